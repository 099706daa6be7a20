/**
 * The progress writer: throttled from the run's start, never overlapping, and — once a run ends —
 * no write lands after flushed() returns (a late Running write would overwrite the final status).
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProgressWriter } from '../../controller/reconcile/progress-writer.ts';
import type { SyncProgress } from '../../controller/sync/engine.ts';

const p = (operation: SyncProgress['operation'], processedIssues: number): SyncProgress => ({
  operation, processedIssues, successfulIssues: processedIssues, failedIssues: 0, completedOperations: 0, totalOperations: 5,
});

t.test('a run shorter than the interval writes no progress, whatever its operations', async (t) => {
  const written: string[] = [];
  const observed: string[] = [];
  const w = new ProgressWriter(async (x) => void written.push(x.operation), (x) => void observed.push(x.operation), 1000);
  for (const op of ['resolve-target', 'fetch-issues', 'write-files', 'commit', 'push'] as const) w.report(p(op, 1));
  await w.flushed();
  t.same(written, [], 'no status write: the Running write before and the result after tell it all');
  t.equal(observed.length, 5, 'every report still reaches the observer (metrics, spans)');
});

t.test('flushed() waits for the write in flight and drops the throttled one', async (t) => {
  const log: string[] = [];
  const w = new ProgressWriter(async (x) => {
    log.push(`start ${x.processedIssues}`);
    await sleep(100);
    log.push(`end ${x.processedIssues}`);
  }, () => {}, 50);
  await sleep(60);
  w.report(p('fetch-issues', 1)); // the interval since the start has passed: written at once
  w.report(p('fetch-issues', 2)); // throttled
  await w.flushed();
  log.push('flushed');
  w.report(p('write-files', 3)); // after the end: ignored
  await sleep(150);
  t.same(log, ['start 1', 'end 1', 'flushed']);
});

t.test('writes never overlap and the latest progress is written', async (t) => {
  let inFlight = 0;
  let overlapped = false;
  const written: number[] = [];
  const w = new ProgressWriter(async (x) => {
    overlapped ||= ++inFlight > 1;
    await sleep(30);
    written.push(x.processedIssues);
    inFlight--;
  }, () => {}, 20);
  for (let i = 1; i <= 10; i++) {
    w.report(p(i % 3 === 0 ? 'write-files' : 'fetch-issues', i));
    await sleep(5);
  }
  await sleep(200);
  await w.flushed();
  t.notOk(overlapped, 'one write at a time');
  t.equal(written.at(-1), 10, 'the last progress reached the status');
});
