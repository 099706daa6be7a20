import t from 'tap';
import { nextStatus } from '../../controller/status/status.ts';
import { percentage, estimateCompletion } from '../../controller/status/progress.ts';
import { configHash } from '../../controller/api/fingerprint.ts';
import { setCondition } from '../../controller/status/conditions.ts';
import { jirasync } from '../fixtures/jirasync.ts';

const t0 = new Date('2026-01-01T10:00:00Z');
const later = (s: number) => new Date(t0.getTime() + s * 1000);
const progress = (over: Partial<Parameters<typeof percentage>[0]> = {}) => ({
  operation: 'fetch-issues', completedOperations: 1, totalOperations: 5, totalIssues: 100, processedIssues: 50, successfulIssues: 50, failedIssues: 0, ...over,
});

t.test('percentage counts finished operations plus the issue fraction, and never 100 while running', async (t) => {
  const cases: [string, ReturnType<typeof progress>, number][] = [
    ['start', progress({ operation: 'resolve-target', completedOperations: 0, processedIssues: 0 }), 0],
    ['half the issues in the second operation', progress(), 30],
    ['all issues fetched', progress({ processedIssues: 100 }), 40],
    ['pushing', progress({ operation: 'push', completedOperations: 5 }), 99],
    ['unknown total', progress({ totalIssues: undefined }), 20],
  ];
  for (const [name, p, want] of cases) t.equal(percentage(p), want, name);
});

t.test('the ETA follows the observed rate and is omitted while unknown', async (t) => {
  t.equal(estimateCompletion(progress({ processedIssues: 0 }), t0, later(10)), undefined, 'nothing processed yet');
  t.equal(estimateCompletion(progress({ totalIssues: undefined }), t0, later(10)), undefined, 'no total');
  const eta = estimateCompletion(progress(), t0, later(50))!;
  t.ok(eta.getTime() > later(100).getTime() && eta.getTime() < later(110).getTime(), `50 of 100 in 50 s → about 50 s more (${eta.toISOString()})`);
});

t.test('a running sync is Running with Processing and Progressing true and Ready false', async (t) => {
  const s = nextStatus(undefined, { kind: 'running', progress: progress(), startTime: t0, configHash: 'h' }, { generation: 3, now: later(5) });
  t.equal(s.phase, 'Running');
  t.equal(s.observedGeneration, 3);
  t.equal(s.syncState?.processedIssues, 50);
  const c = Object.fromEntries((s.conditions ?? []).map((x) => [x.type, x]));
  t.equal(c.Ready.status, 'False');
  t.equal(c.Ready.reason, 'SyncInProgress');
  t.equal(c.Processing.status, 'True');
  t.equal(c.Progressing.status, 'True');
  t.equal(c.Stalled.status, 'False');
  t.equal(c.Ready.observedGeneration, 3);
});

t.test('success resets retries and error and sets lastSyncTime; lastTransitionTime moves only on status change', async (t) => {
  const running = nextStatus({ retryCount: 2, lastError: 'boom' }, { kind: 'running', progress: progress(), startTime: t0, configHash: 'h' }, { generation: 1, now: later(1) });
  const running2 = nextStatus(running, { kind: 'running', progress: progress({ processedIssues: 60 }), startTime: t0, configHash: 'h' }, { generation: 1, now: later(3) });
  const readyBefore = running.conditions!.find((c) => c.type === 'Ready')!;
  const readyAfter = running2.conditions!.find((c) => c.type === 'Ready')!;
  t.equal(readyAfter.lastTransitionTime, readyBefore.lastTransitionTime, 'unchanged status keeps its transition time');
  t.not(readyAfter.message, readyBefore.message, 'message still updates');
  const done = nextStatus(running2, { kind: 'succeeded', startTime: t0, configHash: 'h', result: { commit: 'abcdef1234567890', added: 1, updated: 2, removed: 0, totalIssues: 100, processedIssues: 100, successfulIssues: 100, failedIssues: 0 } }, { generation: 1, now: later(9) });
  t.equal(done.phase, 'Completed');
  t.equal(done.retryCount, 0);
  t.equal(done.lastError, undefined);
  t.equal(done.syncState?.lastSyncTime, '2026-01-01T10:00:09Z');
  t.equal(done.progress?.percentage, 100);
  const ready = done.conditions!.find((c) => c.type === 'Ready')!;
  t.equal(ready.status, 'True');
  t.equal(ready.lastTransitionTime, '2026-01-01T10:00:09Z');
});

t.test('retrying is Pending with the error; exhausted is Failed and Stalled', async (t) => {
  const retry = nextStatus(undefined, { kind: 'retrying', reason: 'AuthenticationFailed', error: 'Jira authentication failed', retryCount: 1, maxRetries: 3, nextRunTime: later(30) }, { generation: 1, now: t0 });
  t.equal(retry.phase, 'Pending');
  t.equal(retry.retryCount, 1);
  t.equal(retry.nextRunTime, '2026-01-01T10:00:30Z');
  t.equal(retry.conditions!.find((c) => c.type === 'Stalled')!.status, 'False');
  const failed = nextStatus(retry, { kind: 'failed', reason: 'AuthenticationFailed', exhausted: true, error: 'Jira authentication failed', retryCount: 4 }, { generation: 1, now: later(60) });
  t.equal(failed.phase, 'Failed');
  t.equal(failed.nextRunTime, undefined);
  const stalled = failed.conditions!.find((c) => c.type === 'Stalled')!;
  t.equal(stalled.status, 'True');
  t.equal(stalled.reason, 'RetriesExhausted');
  t.equal(failed.conditions!.find((c) => c.type === 'Ready')!.reason, 'AuthenticationFailed', 'Ready names the cause');
});

t.test('a wait that is not a retry keeps retryCount and says why', async (t) => {
  const prev = nextStatus(undefined, { kind: 'retrying', reason: 'JiraUnavailable', error: '503', retryCount: 1, maxRetries: 3, nextRunTime: later(30) }, { generation: 1, now: t0 });
  const wait = nextStatus(prev, { kind: 'waiting', reason: 'RateLimited', error: '429', nextRunTime: later(90) }, { generation: 1, now: later(40) });
  t.equal(wait.phase, 'Pending');
  t.equal(wait.retryCount, 1, 'retryCount unchanged');
  t.equal(wait.nextRunTime, '2026-01-01T10:01:30Z');
  t.equal(wait.conditions!.find((c) => c.type === 'Ready')!.reason, 'RateLimited');
  t.equal(wait.conditions!.find((c) => c.type === 'Stalled')!.status, 'False');
});

t.test('a stalling failure names its reason in Stalled', async (t) => {
  const failed = nextStatus(undefined, { kind: 'failed', reason: 'DeletionRefused', error: 'would delete 100%', retryCount: 0 }, { generation: 1, now: t0 });
  t.equal(failed.conditions!.find((c) => c.type === 'Stalled')!.reason, 'DeletionRefused');
  t.match(failed.conditions!.find((c) => c.type === 'Progressing')!.message, /deletion guard/);
});

t.test('configHash ignores what does not change the synced content', async (t) => {
  const a = jirasync('a', 'ns', { syncType: 'batch', target: { issueKeys: ['A-1', 'A-2'] } });
  const b = jirasync('a', 'ns', { syncType: 'batch', target: { issueKeys: ['A-2', 'A-1'] }, retryPolicy: { maxRetries: 5 }, schedule: '@hourly', suspend: true });
  t.equal(configHash(a.spec), configHash(b.spec), 'order of keys, retry policy, schedule and suspend do not matter');
  const c = jirasync('a', 'ns', { syncType: 'batch', target: { issueKeys: ['A-1', 'A-3'] } });
  t.not(configHash(a.spec), configHash(c.spec), 'a different key set does');
  const d = jirasync('a', 'ns', { syncType: 'batch', target: { issueKeys: ['A-1', 'A-2'] }, destination: { path: '/x' } });
  t.not(configHash(a.spec), configHash(d.spec), 'a different path does');
});

t.test('setCondition appends new types and replaces existing ones in place', async (t) => {
  let list = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: 'm' }, 1, t0);
  list = setCondition(list, { type: 'Stalled', status: 'False', reason: 'B', message: 'm' }, 1, t0);
  list = setCondition(list, { type: 'Ready', status: 'True', reason: 'C', message: 'm' }, 2, later(1));
  t.same(list.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]), [['Ready', 'True', 'C', '2026-01-01T10:00:01Z'], ['Stalled', 'False', 'B', '2026-01-01T10:00:00Z']]);
});
