/**
 * Two controller replicas against their own control plane: only the leader reconciles; kill -9 of
 * the leader during a 5,000-issue sync → the standby takes over within lease duration + retry
 * period and finishes, the repository ends exactly matching Jira with one whole commit; SIGTERM of
 * the leader → takeover in under 3 s; restarting the API server → a JIRASync created afterwards is
 * still reconciled.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type JIRASync } from '../../controller/api/jirasync.ts';
import { startControlPlane } from '../env/controlplane.ts';
import { kubeConfigWithCrd } from '../env/crd.ts';
import { startJiraEmulator } from '../jira-emulator/emulator.ts';
import { startGitServer } from '../git-server/server.ts';
import { cloneRepo } from '../git-server/cli.ts';
import { startController, type ControllerProcess } from '../fixtures/controller.ts';
import { eventually } from '../fixtures/eventually.ts';
import { specFor } from '../fixtures/world.ts';

const ISSUES = 5000;
const cp = await startControlPlane();
t.teardown(() => cp.stop());
const kc = await kubeConfigWithCrd(cp.kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);
const objects = kc.makeApiClient(k8s.CustomObjectsApi);
const coord = kc.makeApiClient(k8s.CoordinationV1Api);
const ns = 'ha';
await core.createNamespace({ body: { metadata: { name: ns } } });
const jira = await startJiraEmulator({ seed: 3, projects: [{ key: 'BIG', issues: ISSUES }, { key: 'SMALL', issues: 3 }] });
t.teardown(() => jira.stop());
const git = await startGitServer();
t.teardown(() => git.stop());
await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'jira', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: jira.url, email: jira.email, apiToken: jira.apiToken } } });
await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'git', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { username: git.username, token: git.password } } });

const env = { GIT_CA_FILE: git.caFile };
const ctls: ControllerProcess[] = [];
for (const name of ['replica-a', 'replica-b']) {
  ctls.push(await startController({ kubeconfigPath: cp.kubeconfigPath, namespace: ns, watchNamespaces: [ns], name, env }));
}
t.teardown(() => Promise.all(ctls.map((c) => c.stop('SIGKILL'))));

const ref = { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL };
const get = async (name: string) => (await objects.getNamespacedCustomObject({ ...ref, name })) as JIRASync;
const holder = async () => (await coord.readNamespacedLease({ name: 'jirasync-leader', namespace: ns })).spec?.holderIdentity ?? '';
const leaderOf = async () => {
  const h = await holder();
  return ctls.find((c) => h.startsWith(`${c.name}_`) && c.proc.exitCode === null && c.proc.signalCode === null);
};

t.test('kill -9 of the leader mid-sync: the standby takes over and the repository ends exactly matching Jira', async (t) => {
  const leader = await eventually('a leader', leaderOf, { timeoutMs: 120_000 });
  const standby = ctls.find((c) => c !== leader)!;
  // Slow Jira down so the sync is surely mid-run when the leader dies.
  jira.state.latency(300);
  const url = await git.createRepo('big');
  await objects.createNamespacedCustomObject({ ...ref, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'JIRASync', metadata: { name: 'big' }, spec: specFor(url, { syncType: 'project', target: { projectKey: 'BIG' } }) } });
  await eventually('the leader processing issues', async () => ((await get('big')).status?.syncState?.processedIssues ?? 0) > 0 || undefined, { timeoutMs: 120_000 });
  const standbyLogs = standby.logs.length;
  t.notOk(standby.logs.slice(0, standbyLogs).some((l) => l.msg === 'sync failed' || l.msg === 'leading: reconciling JIRASyncs'), 'the standby did not reconcile');
  const killedAt = Date.now();
  await leader.stop('SIGKILL');
  jira.state.clearFaults();
  await eventually('the standby leading', async () => ((await holder()).startsWith(`${standby.name}_`) ? true : undefined), { timeoutMs: 120_000 });
  const takeover = (Date.now() - killedAt) / 1000;
  t.ok(takeover <= 4 + 1 + 1.5, `takeover after ${takeover.toFixed(1)} s (lease 4 s + retry 1 s + polling slack)`);
  const done = await eventually('Completed', async () => ((await get('big')).status?.phase === 'Completed' ? get('big') : undefined), { timeoutMs: 240_000 });
  t.equal(done.status?.syncState?.totalIssues, ISSUES);
  const clone = await cloneRepo(git, url);
  const files = (await clone.git('ls-tree', '--name-only', 'HEAD', 'projects/BIG/issues/')).trim().split('\n');
  t.equal(files.length, ISSUES, 'one file per issue');
  t.equal(new Set(files).size, ISSUES, 'no duplicates');
  const log = (await clone.git('log', '--format=%s')).trim().split('\n');
  t.equal(log.length, 1, `one whole commit, no partial ones: ${log.join(' | ')}`);
  await clone.git('fsck', '--strict');
  // Restart the killed replica as a standby for the next tests.
  const idx = ctls.indexOf(leader);
  ctls[idx] = await startController({ kubeconfigPath: cp.kubeconfigPath, namespace: ns, watchNamespaces: [ns], name: `${leader.name}-2`, env });
});

t.test('SIGTERM of the leader hands over in under 3 s', async (t) => {
  const leader = await eventually('a leader', leaderOf, { timeoutMs: 120_000 });
  const standby = ctls.find((c) => c !== leader)!;
  const before = Date.now();
  const exit = leader.stop('SIGTERM');
  await eventually('the standby leading', async () => ((await holder()).startsWith(`${standby.name}_`) ? true : undefined), { timeoutMs: 10_000 });
  const handover = (Date.now() - before) / 1000;
  t.ok(handover < 3, `handover in ${handover.toFixed(2)} s`);
  t.equal(await exit, 0, 'the old leader exited cleanly');
});

t.test('after an API server restart a new JIRASync is still reconciled', async (t) => {
  await cp.restartApiServer();
  const url = await git.createRepo('after-restart');
  await objects.createNamespacedCustomObject({ ...ref, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'JIRASync', metadata: { name: 'after-restart' }, spec: specFor(url, { syncType: 'project', target: { projectKey: 'SMALL' } }) } });
  const obj = await eventually('Completed', async () => ((await get('after-restart')).status?.phase === 'Completed' ? get('after-restart') : undefined), { timeoutMs: 120_000 });
  t.equal(obj.status?.syncState?.totalIssues, 3);
});
