/**
 * The controller end to end against the real API server, the Jira emulator and the git server:
 * syncs reach Completed with the expected files in git, kubectl shows truthful columns, Events
 * appear, spec edits re-sync while label-only edits do not, suspend stops scheduling, a request
 * annotation runs an immediate sync, and a cron schedule re-runs.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopTestCluster } from '../env/cluster.ts';
import { cloneRepo } from '../git-server/cli.ts';
import { startController } from '../fixtures/controller.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

t.teardown(stopTestCluster);
const world = await makeWorld(t);
const ctl = await startController({
  kubeconfigPath: world.cluster.kubeconfigPath, namespace: world.namespace, watchNamespaces: [world.namespace], env: world.controllerEnv(),
});
t.teardown(() => ctl.stop());
const completed = (o: { status?: { phase?: string } }) => o.status?.phase === 'Completed';

async function files(url: string): Promise<{ dir: string; list: (sub: string) => string[] }> {
  const { dir } = await cloneRepo(world.git, url);
  return { dir, list: (sub) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).sort() : []) };
}

t.test('a single sync reaches Completed with its file in git, columns and Events', async (t) => {
  const url = await world.git.createRepo('single');
  await world.apply('one', specFor(url, { syncType: 'single', target: { issueKeys: ['PROJ-3'] } }));
  const obj = await world.waitFor('one', 'Completed', completed);
  t.equal(obj.status?.syncState?.totalIssues, 1);
  t.equal(obj.status?.syncState?.processedIssues, 1);
  t.equal(obj.status?.progress?.percentage, 100);
  t.equal(obj.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  const repo = await files(url);
  t.same(repo.list('projects/PROJ/issues'), ['PROJ-3.yaml']);
  t.match(readFileSync(join(repo.dir, 'projects/PROJ/issues/PROJ-3.yaml'), 'utf8'), /^key: PROJ-3\n/);
  const out = execFileSync('kubectl', ['--kubeconfig', world.cluster.kubeconfigPath, '-n', world.namespace, 'get', 'jirasync', 'one', '--no-headers'], { encoding: 'utf8' });
  t.match(out, /^one\s+single\s+Completed\s+100\s+1\s+1\s+0\s+/);
  const reasons = (await world.events('one')).map((e) => e.reason);
  t.ok(reasons.includes('SyncStarted') && reasons.includes('SyncCompleted'), `events: ${reasons.join(', ')}`);
});

t.test('a jql sync writes exactly the matching issues; a spec edit re-syncs, a label-only edit does not', async (t) => {
  const url = await world.git.createRepo('jql');
  await world.apply('query', specFor(url, { syncType: 'jql', target: { jqlQuery: 'project = PROJ AND key in (PROJ-1, PROJ-2, PROJ-5)' } }));
  const first = await world.waitFor('query', 'Completed', completed);
  t.same((await files(url)).list('projects/PROJ/issues'), ['PROJ-1.yaml', 'PROJ-2.yaml', 'PROJ-5.yaml']);

  await world.objects.patchNamespacedCustomObject(
    { group: 'sync.jira.io', version: 'v1alpha1', namespace: world.namespace, plural: 'jirasyncs', name: 'query', body: { metadata: { labels: { team: 'a' } } } },
    (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', (await import('@kubernetes/client-node')).PatchStrategy.MergePatch),
  );
  await sleep(3000);
  const afterLabel = await world.get('query');
  t.equal(afterLabel.status?.syncState?.lastSyncTime, first.status?.syncState?.lastSyncTime, 'a label edit does not re-sync');

  await world.patchSpec('query', { target: { jqlQuery: 'project = PROJ AND key in (PROJ-1, PROJ-7)' } });
  await world.waitFor('query', 'Completed for generation 2', (o) => completed(o) && o.status?.observedGeneration === 2 && o.status?.syncState?.lastSyncTime !== first.status?.syncState?.lastSyncTime);
  t.same((await files(url)).list('projects/PROJ/issues'), ['PROJ-1.yaml', 'PROJ-7.yaml'], 'issues that left the query are removed');

  await world.patchSpec('query', { retryPolicy: { maxRetries: 5 } });
  const observed = await world.waitFor('query', 'observedGeneration 3', (o) => o.status?.observedGeneration === 3);
  const before = await world.get('query');
  t.equal(observed.status?.phase, 'Completed');
  t.equal(before.status?.syncState?.lastCommit, observed.status?.syncState?.lastCommit, 'a retry-policy edit does not re-sync');
});

t.test('an incremental sync picks up a changed issue on request, and the handshake echoes the request', async (t) => {
  const url = await world.git.createRepo('incr');
  await world.apply('incr', specFor(url, { syncType: 'incremental', target: { projectKey: 'PROJ' } }));
  const first = await world.waitFor('incr', 'Completed', completed);
  t.equal((await files(url)).list('projects/PROJ/issues').length, 40);
  world.jira.state.updateIssue('PROJ-9', { summary: 'Changed by the incremental test' });
  await world.annotate('incr', { 'sync.jira.io/requestedAt': 'req-1' });
  const second = await world.waitFor('incr', 'request handled', (o) => o.status?.lastHandledRequestedAt === 'req-1' && completed(o));
  t.not(second.status?.syncState?.lastCommit, first.status?.syncState?.lastCommit, 'a new commit');
  t.equal(second.status?.syncState?.lastRunChanges?.updated, 1, 'one file updated');
  t.match(readFileSync(join((await files(url)).dir, 'projects/PROJ/issues/PROJ-9.yaml'), 'utf8'), /Changed by the incremental test/);
});

t.test('suspend stops runs and a cron schedule re-runs', async (t) => {
  const url = await world.git.createRepo('sched');
  await world.apply('sched', specFor(url, { syncType: 'single', target: { issueKeys: ['PROJ-4'] }, schedule: '* * * * *' }));
  const first = await world.waitFor('sched', 'Completed', completed);
  t.ok(first.status?.nextRunTime, 'nextRunTime is set for a scheduled sync');
  const again = await world.waitFor('sched', 'a scheduled re-run', (o) => completed(o) && o.status?.syncState?.startTime !== first.status?.syncState?.startTime, 75_000);
  t.ok(Date.parse(again.status!.syncState!.startTime!) >= Date.parse(first.status!.nextRunTime!) - 1000, 'the re-run started at the scheduled time');
  await world.patchSpec('sched', { suspend: true });
  const suspended = await world.waitFor('sched', 'Suspended', (o) => o.status?.phase === 'Suspended');
  t.equal(suspended.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'Suspended');
  t.equal(suspended.status?.nextRunTime, undefined, 'no next run while suspended');
});
