/**
 * The egress policy through the real controller: a tenant's JIRASync that names a host outside
 * the policy — as its git repository or its Jira baseUrl — fails with EgressDenied (condition
 * and Warning Event, host named, path not), and the hostile server on that address receives
 * nothing, not even a TLS handshake's worth of request.
 */
import t from 'tap';
import type { JIRASync } from '../../controller/api/jirasync.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { startController } from '../fixtures/controller.ts';
import { startHostileServer } from '../fixtures/hostile-server.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 31, projects: [{ key: 'PROJ', issues: 3 }] });
// 127.0.0.2 is loopback too, but outside what this controller may reach.
const hostile = await startHostileServer({ host: '127.0.0.2' });
t.teardown(() => hostile.stop());
await world.core.createNamespacedSecret({
  namespace: world.namespace,
  body: {
    metadata: { name: 'jira-hostile', labels: { 'sync.jira.io/credentials': 'true' } }, type: 'Opaque',
    stringData: { baseUrl: `${hostile.url}/jira`, email: world.jira.email, apiToken: world.jira.apiToken },
  },
});
const ctl = await startController({
  kubeconfigPath: world.cluster.kubeconfigPath, namespace: world.namespace, watchNamespaces: [world.namespace],
  env: { ...world.controllerEnv(), JIRASYNC_EGRESS_ALLOW: '127.0.0.1/32' },
});
t.teardown(() => ctl.stop());
const failed = (o: JIRASync) => o.status?.phase === 'Failed';

t.test('a git repository on a denied address: EgressDenied, nothing received', async (t) => {
  await world.apply('to-hostile-git', specFor(`${hostile.url}/org/secret-repo.git`, { syncType: 'single', target: { issueKeys: ['PROJ-1'] } }));
  const obj = await world.waitFor('to-hostile-git', 'Failed', failed);
  const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
  t.equal(ready?.reason, 'EgressDenied');
  t.equal(obj.status?.conditions?.find((c) => c.type === 'Stalled')?.reason, 'EgressDenied', 'stalled at once: only the operator can allow it');
  t.match(ready?.message, /127\.0\.0\.2/, 'the host is named');
  t.notMatch(ready?.message, /org\/secret-repo/, 'the path is not');
  t.equal(obj.status?.retryCount, 0, 'not retried');
  const events = await world.events('to-hostile-git');
  t.ok(events.some((e) => e.reason === 'EgressDenied' && e.type === 'Warning'), 'an EgressDenied Warning Event');
  t.equal(hostile.requests.length, 0, 'the hostile server received nothing');
});

t.test('a Jira baseUrl on a denied address: EgressDenied, nothing received', async (t) => {
  const url = await world.git.createRepo('egress-jira');
  await world.apply('to-hostile-jira', specFor(url, { syncType: 'single', target: { issueKeys: ['PROJ-1'] }, jira: { secretRef: { name: 'jira-hostile' } } }));
  const obj = await world.waitFor('to-hostile-jira', 'Failed', failed);
  t.equal(obj.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'EgressDenied', obj.status?.lastError ?? '');
  t.equal(hostile.requests.length, 0, 'the hostile server received nothing');
});

t.test('the allowed servers still work under the same policy', async (t) => {
  const url = await world.git.createRepo('egress-ok');
  await world.apply('allowed', specFor(url, { syncType: 'single', target: { issueKeys: ['PROJ-1'] } }));
  const obj = await world.waitFor('allowed', 'Completed', (o) => o.status?.phase === 'Completed');
  t.equal(obj.status?.syncState?.successfulIssues, 1);
});

t.test('a git server that drips one byte at a time is cut off at spec.timeout: DeadlineExceeded, nothing pushed', async (t) => {
  const url = await world.git.createRepo('slow-drip');
  const timers: NodeJS.Timeout[] = [];
  world.git.intercept = (req, res) => {
    if (!req.url?.includes('slow-drip')) return false;
    res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement' });
    timers.push(setInterval(() => res.write('0'), 500));
    return true;
  };
  t.teardown(() => {
    world.git.intercept = undefined;
    for (const x of timers) clearInterval(x);
  });
  const started = Date.now();
  await world.apply('slow', specFor(url, { syncType: 'single', target: { issueKeys: ['PROJ-1'] }, timeout: '4s', retryPolicy: { maxRetries: 0, initialDelay: 1, backoffMultiplier: 1 } }));
  const obj = await world.waitFor('slow', 'Failed', failed, 60_000);
  const seconds = (Date.now() - started) / 1000;
  t.equal(obj.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'DeadlineExceeded', obj.status?.lastError ?? '');
  t.ok(seconds < 30, `ended by the 4 s deadline, not the 120 s idle timeout (${seconds.toFixed(1)} s)`);
  t.equal(world.git.requests.filter((r) => r.path.includes('slow-drip') && r.method === 'POST').length, 0, 'nothing was pushed');
});
