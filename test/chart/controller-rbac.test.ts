/**
 * The chart's RBAC is sufficient: the real controller, authenticated as the chart's ServiceAccount
 * (a TokenRequest token, no admin rights), leads through the Lease, syncs a JIRASync to Completed,
 * writes status and Events, and serves the status API (TokenReview + SubjectAccessReview) — with
 * the namespace-restricted variant of the chart, so Roles and not ClusterRoles are proven.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { stopTestCluster } from '../env/cluster.ts';
import { startController } from '../fixtures/controller.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';
import { installChartRbac } from './install.ts';

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 5, projects: [{ key: 'RB', issues: 12 }] });
const release = await world.cluster.newNamespace('rel');
const rbac = await installChartRbac({ cluster: world.cluster, namespace: release, watchNamespaces: [world.namespace] });
t.teardown(() => rbac.uninstall());

const ctl = await startController({ kubeconfigPath: rbac.kubeconfigPath, namespace: release, watchNamespaces: [world.namespace], env: world.controllerEnv() });
t.teardown(() => ctl.stop());

t.test('the controller does a full sync with only the chart\'s permissions', async (t) => {
  const url = await world.git.createRepo('rbac');
  await world.apply('rbac', specFor(url, { syncType: 'project', target: { projectKey: 'RB' } }));
  const done = await world.waitFor('rbac', 'Completed', (o) => o.status?.phase === 'Completed', 180_000);
  t.equal(done.status?.syncState?.totalIssues, 12);
  const reasons = (await world.events('rbac')).map((e) => e.reason);
  t.ok(reasons.includes('SyncCompleted'), `Events were written: ${reasons.join(', ')}`);
  const lease = await world.cluster.kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: 'jirasync-leader', namespace: release });
  t.match(lease.spec?.holderIdentity ?? '', /^controller-/, 'the controller holds the Lease in the release namespace');
  const denied = ctl.output.filter((l) => /forbidden/i.test(l));
  t.same(denied, [], 'no request was forbidden');
});

t.test('the status API works with the chart\'s permissions for TokenReview and SubjectAccessReview', async (t) => {
  // The controller's own token may read jirasyncs in the watched namespace, so it may ask for this one.
  const res = await fetch(`${ctl.url}/api/v1/namespaces/${world.namespace}/syncs/rbac/status`, { headers: { authorization: `Bearer ${rbac.token}` } });
  t.equal(res.status, 200);
  const body = (await res.json()) as { data?: { phase?: string } };
  t.equal(body.data?.phase, 'Completed');
  const anonymous = await fetch(`${ctl.url}/api/v1/namespaces/${world.namespace}/syncs/rbac/status`);
  t.equal(anonymous.status, 401);
});
