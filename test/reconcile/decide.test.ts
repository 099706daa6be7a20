import t from 'tap';
import { decide } from '../../controller/reconcile/decide.ts';
import { retryDelaySeconds } from '../../controller/reconcile/retry.ts';
import { configHash } from '../../controller/api/fingerprint.ts';
import type { JIRASync, JIRASyncStatus } from '../../controller/api/jirasync.ts';
import { jirasync } from '../fixtures/jirasync.ts';

const now = new Date('2026-01-01T10:30:00Z');
function withStatus(obj: JIRASync, status: JIRASyncStatus, annotations?: Record<string, string>): JIRASync {
  return { ...obj, metadata: { ...obj.metadata, generation: 1, ...(annotations ? { annotations } : {}) }, status: { observedGeneration: 1, ...status } };
}
const base = jirasync('a', 'ns');
const hash = configHash(base.spec);

t.test('what a JIRASync does next', async (t) => {
  const cases: [string, JIRASync, string][] = [
    ['a new object runs', base, 'run:first'],
    ['suspended', jirasync('a', 'ns', { suspend: true }), 'suspend'],
    ['a completed sync without schedule waits forever', withStatus(base, { phase: 'Completed', syncState: { configHash: hash, startTime: '2026-01-01T10:00:00Z' } }), 'wait:-'],
    ['a changed config runs', withStatus(base, { phase: 'Completed', syncState: { configHash: 'old' } }), 'run:new-config'],
    ['a new requestedAt runs', withStatus(base, { phase: 'Completed', syncState: { configHash: hash }, lastHandledRequestedAt: '1' }, { 'sync.jira.io/requestedAt': '2' }), 'run:requested'],
    ['a handled requestedAt does not', withStatus(base, { phase: 'Completed', syncState: { configHash: hash }, lastHandledRequestedAt: '2' }, { 'sync.jira.io/requestedAt': '2' }), 'wait:-'],
    ['a due retry runs', withStatus(base, { phase: 'Pending', retryCount: 1, nextRunTime: '2026-01-01T10:29:00Z', syncState: { configHash: hash } }), 'run:retry'],
    ['a future retry waits until its time', withStatus(base, { phase: 'Pending', retryCount: 1, nextRunTime: '2026-01-01T10:31:00Z', syncState: { configHash: hash } }), 'wait:2026-01-01T10:31:00.000Z'],
    ['a run cut short resumes', withStatus(base, { phase: 'Running', syncState: { configHash: hash } }), 'run:resume'],
    ['a failed sync stays failed', withStatus(base, { phase: 'Failed', syncState: { configHash: hash } }), 'wait:-'],
    ['a failed sync with an unsent Jira report reports', withStatus(base, { phase: 'Failed', jiraReport: { state: 'Pending' }, syncState: { configHash: hash } }), 'report'],
    ['a scheduled sync runs when due', withStatus(jirasync('a', 'ns', { schedule: '*/15 * * * *' }), { phase: 'Completed', syncState: { configHash: hash, startTime: '2026-01-01T10:00:00Z' } }), 'run:schedule'],
    ['a scheduled sync waits for its next time', withStatus(jirasync('a', 'ns', { schedule: '*/15 * * * *' }), { phase: 'Completed', syncState: { configHash: hash, startTime: '2026-01-01T10:30:00Z' } }), 'wait:2026-01-01T10:45:00.000Z'],
    ['a schedule in another time zone', withStatus(jirasync('a', 'ns', { schedule: '0 12 * * *', timeZone: 'Europe/Berlin' }), { phase: 'Completed', syncState: { configHash: hash, startTime: '2026-01-01T10:00:00Z' } }), 'wait:2026-01-01T11:00:00.000Z'],
    ['an impossible calendar date is invalid', jirasync('a', 'ns', { schedule: '0 0 31 2 *' }), 'invalid'],
    ['an unknown time zone is invalid', jirasync('a', 'ns', { schedule: '@hourly', timeZone: 'Mars/Olympus' }), 'invalid'],
  ];
  for (const [name, obj, want] of cases) {
    const d = decide(obj, now);
    const got = d.action === 'run' ? `run:${d.why}` : d.action === 'wait' ? `wait:${d.until?.toISOString() ?? '-'}` : d.action;
    t.equal(got, want, name);
  }
});

t.test('retry delays grow by the multiplier and are capped at an hour', async (t) => {
  const p = { initialDelay: 30, backoffMultiplier: 2, maxRetries: 10 };
  t.same([1, 2, 3, 4].map((n) => retryDelaySeconds(p, n)), [30, 60, 120, 240]);
  t.equal(retryDelaySeconds({ initialDelay: 3600, backoffMultiplier: 10 }, 5), 3600);
  t.equal(retryDelaySeconds(undefined, 1), 30, 'defaults');
});
