/**
 * Never lose the mirror, through the real controller: a project sync completes, then Jira starts
 * answering its token as Jira Cloud answers an expired one (200, zero issues, X-Seraph-LoginReason
 * on search and count; 401 on /myself) — the next run fails with AuthenticationFailed and the
 * branch head does not move. Then, with the token valid again, a search that stops paging early is
 * refused by the deletion guard (DeletionRefused): again no commit, and the failure is reported on
 * Jira exactly once although Jira answers the comment POST with a 504 after posting it.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { JIRASync } from '../../controller/api/jirasync.ts';
import { REQUESTED_AT_ANNOTATION } from '../../controller/api/jirasync.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { startController } from '../fixtures/controller.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';
import { hermeticGitEnv } from '../git-server/server.ts';

const run = promisify(execFile);
t.teardown(stopTestCluster);
const ISSUES = 10_000;
const world = await makeWorld(t, { seed: 41, projects: [{ key: 'PROJ', issues: ISSUES }] });
const ctl = await startController({
  kubeconfigPath: world.cluster.kubeconfigPath, namespace: world.namespace, watchNamespaces: [world.namespace], env: world.controllerEnv(),
});
t.teardown(() => ctl.stop());
const head = async () => (await run('git', ['--git-dir', world.git.barePath('mirror'), 'rev-parse', 'refs/heads/main'], { env: hermeticGitEnv() })).stdout.trim();
const files = async () => (await run('git', ['--git-dir', world.git.barePath('mirror'), 'ls-tree', '-r', '--name-only', 'main', 'projects/PROJ/issues/'], { env: hermeticGitEnv() })).stdout.trim().split('\n').length;
let requests = 0;
/** Asks for a run (the requestedAt handshake); returns the value the status will echo when handled. */
const request = async (): Promise<string> => {
  const value = `r${++requests}-${Date.now()}`;
  await world.annotate('mirror', { [REQUESTED_AT_ANNOTATION]: value });
  return value;
};
const settled = (since: string) => (o: JIRASync) => o.status?.lastHandledRequestedAt === since && ['Failed', 'Completed'].includes(o.status?.phase ?? '');

const url = await world.git.createRepo('mirror');
await world.apply('mirror', specFor(url, {
  syncType: 'project', target: { projectKey: 'PROJ' }, retryPolicy: { maxRetries: 0, initialDelay: 1, backoffMultiplier: 1 },
  failurePolicy: { issueKey: 'PROJ-1', transitionTo: [] },
}));
const first = await world.waitFor('mirror', 'the first sync', (o) => o.status?.phase === 'Completed', 120_000);
const good = await head();

t.test('the first sync wrote every issue', async (t) => {
  t.equal(first.status?.syncState?.successfulIssues, ISSUES);
  t.equal(await files(), ISSUES);
});

t.test('an expired token answered as anonymous: AuthenticationFailed, the branch untouched', async (t) => {
  world.jira.state.expiredTokenMode(true);
  world.jira.state.expireToken(world.jira.apiToken);
  t.teardown(() => {
    world.jira.state.expireToken(world.jira.apiToken, false);
    world.jira.state.expiredTokenMode(false);
  });
  // The failure report is decided after the Failed phase is written: wait for its outcome too.
  const since = await request();
  const o = await world.waitFor('mirror', 'the run with the expired token, its report decided', (x) => settled(since)(x) && x.status?.jiraReport?.state !== undefined, 90_000);
  t.equal(o.status?.phase, 'Failed');
  t.equal(o.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'AuthenticationFailed', o.status?.lastError ?? '');
  t.equal(o.status?.jiraReport?.state, 'Skipped', 'not reported: the sync\'s own identity is refused and no other is used');
  const events = await world.events('mirror');
  t.ok(events.some((e) => e.reason === 'AuthenticationFailed' && e.type === 'Warning'), 'an AuthenticationFailed Warning Event');
  t.equal(await head(), good, 'no commit');
  t.equal(await files(), ISSUES, 'every file is still there');
});

t.test('a search that stops paging early: DeletionRefused, the branch untouched', async (t) => {
  world.jira.state.truncatePaging(100);
  // The gateway times out on the failure comment after Jira posted it.
  world.jira.state.fail5xx({ count: 1, status: 504, path: '/comment', method: 'POST', afterProcessing: true });
  t.teardown(() => {
    world.jira.state.truncatePaging(Number.MAX_SAFE_INTEGER);
    world.jira.state.clearFaults();
  });
  const since = await request();
  const o = await world.waitFor('mirror', 'the run with short paging, reported', (x) => settled(since)(x) && x.status?.jiraReport?.state === 'Reported', 90_000);
  const comments = world.jira.state.comments('PROJ-1');
  t.equal(comments.length, 1, 'exactly one failure comment, though the POST was answered 504');
  t.match(JSON.stringify(comments[0]?.body), /DeletionRefused|deletion/i);
  t.equal(world.jira.state.faults().stats.failed5xx, 1, 'the 504 happened');
  t.equal(o.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'DeletionRefused', o.status?.lastError ?? '');
  t.equal(o.status?.conditions?.find((c) => c.type === 'Stalled')?.reason, 'DeletionRefused');
  t.equal(await head(), good, 'no commit');
  t.equal(await files(), ISSUES, 'every file is still there');
});
