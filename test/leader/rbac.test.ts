/**
 * The RBAC the elector needs, proven with a ServiceAccount that has only that: create on leases,
 * and get/update/watch on its own Lease by name. The watch is what makes a handover fast; without
 * it the elector says so once and falls back to polling.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { stopTestCluster, testCluster } from '../env/cluster.ts';
import { kubeConfigWithToken, serviceAccountToken, untilAllowed } from '../fixtures/service-accounts.ts';
import { FAST, candidate, captureLog, type Candidate } from './candidates.ts';
import { eventually } from '../fixtures/eventually.ts';

// A control plane this file started itself (run alone) is stopped at the end.
t.teardown(stopTestCluster);

const cluster = await testCluster();
const namespace = await cluster.newNamespace('leader-rbac');
const rbac = cluster.kc.makeApiClient(k8s.RbacAuthorizationV1Api);

/** A ServiceAccount allowed create on leases and `verbs` on the Lease `lease` only. */
async function leaseAccount(account: string, lease: string, verbs: string[]): Promise<k8s.KubeConfig> {
  const token = await serviceAccountToken(cluster.kc, namespace, account);
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: account },
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [lease], verbs },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: account },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
    },
  });
  await untilAllowed(cluster.kc, `system:serviceaccount:${namespace}:${account}`, { verb: 'update', group: 'coordination.k8s.io', resource: 'leases', namespace, name: lease });
  return kubeConfigWithToken(cluster.kc, account, token, namespace);
}

function startAll(t: { teardown(fn: () => unknown): void }, ...cs: Candidate[]): void {
  for (const c of cs) {
    c.elector.start();
    t.teardown(() => c.elector.release());
  }
}

t.test('get, update and watch on its own Lease are enough, and the watch hands a released lease over at once', async (t) => {
  const kc = await leaseAccount('elector', 'jirasync-leader', ['get', 'update', 'watch']);
  // Long periods: a poll could not explain a handover in under a second.
  const slow = { leaseDurationSeconds: 60, renewDeadlineSeconds: 40, retryPeriodSeconds: 30 };
  const { log, lines } = captureLog();
  const a = candidate(kc, namespace, 'jirasync-leader', 'rbac-a', { log, timing: slow });
  startAll(t, a);
  await eventually('a to lead', () => a.elector.isLeader(), { timeoutMs: 10_000, intervalMs: 20 });
  const b = candidate(kc, namespace, 'jirasync-leader', 'rbac-b', { log, timing: slow });
  startAll(t, b);
  await eventually('b to see a', () => b.elector.leader() === 'rbac-a', { timeoutMs: 10_000, intervalMs: 20 });
  const t0 = performance.now();
  await a.elector.release();
  await eventually('b to lead', () => b.elector.isLeader(), { timeoutMs: 5000, intervalMs: 20 });
  t.ok(b.startedAt()! - t0 < 1000, `b led ${Math.round(b.startedAt()! - t0)} ms after the release began, with a 30 s retry period`);
  t.notOk(lines.some((l) => l.level === 'warn'), 'no warnings: nothing was refused');
});

t.test('without watch permission the elector warns once and still takes over by polling', async (t) => {
  const kc = await leaseAccount('no-watch', 'nowatch-lease', ['get', 'update']);
  const { log, lines } = captureLog();
  const a = candidate(kc, namespace, 'nowatch-lease', 'nw-a', { log, timing: FAST });
  startAll(t, a);
  await eventually('a to lead', () => a.elector.isLeader(), { timeoutMs: 10_000, intervalMs: 20 });
  const b = candidate(kc, namespace, 'nowatch-lease', 'nw-b', { log, timing: FAST });
  startAll(t, b);
  await eventually('b to see a', () => b.elector.leader() === 'nw-a', { timeoutMs: 10_000, intervalMs: 20 });
  const t0 = performance.now();
  await a.elector.release();
  await eventually('b to lead', () => b.elector.isLeader(), { timeoutMs: 5000, intervalMs: 20 });
  t.ok(b.startedAt()! - t0 < FAST.retryPeriodSeconds * 1.2 * 1000 + 500, `b took over by polling in ${Math.round(b.startedAt()! - t0)} ms`);
  const denied = lines.filter((l) => l.level === 'warn' && String(l.msg).includes('not allowed to watch'));
  t.same(denied.map((l) => l.identity).sort(), ['nw-a', 'nw-b'], 'one warning per candidate, not one per period');
});
