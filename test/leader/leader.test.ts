/**
 * Lease leader election against the real API server, with short timings (lease 3 s, renew
 * deadline 2 s, retry 0.5 s): who leads, when a standby may take over, what the Lease records,
 * and the order of the callbacks.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { stopTestCluster, testCluster } from '../env/cluster.ts';
import { FAST, candidate, captureLog, type Candidate } from './candidates.ts';
import { eventually } from '../fixtures/eventually.ts';
import { startTcpProxy } from '../fixtures/tcp-proxy.ts';

// A control plane this file started itself (run alone) is stopped at the end.
t.teardown(stopTestCluster);

const cluster = await testCluster();
const namespace = await cluster.newNamespace('leader');
const leases = cluster.kc.makeApiClient(k8s.CoordinationV1Api);
let seq = 0;
const leaseName = () => `lease-${++seq}`;
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** Starts candidates and releases them when the test ends. */
function started(t: { teardown(fn: () => unknown): void }, ...cs: Candidate[]): Candidate[] {
  for (const c of cs) {
    c.elector.start();
    t.teardown(() => c.elector.release());
  }
  return cs;
}

async function readLease(name: string): Promise<k8s.V1Lease> {
  return leases.readNamespacedLease({ name, namespace });
}

t.test('one of two candidates leads, the other stands by, and both name the same leader', async (t) => {
  const name = leaseName();
  const [a, b] = started(t, candidate(cluster.kc, namespace, name, 'a-1'), candidate(cluster.kc, namespace, name, 'b-1'));
  const leader = await eventually('a leader', () => (a.elector.isLeader() ? a : b.elector.isLeader() ? b : undefined), { timeoutMs: 5000, intervalMs: 20 });
  const standby = leader === a ? b : a;
  await eventually('the standby to see the leader', () => standby.elector.leader() === leader.identity, { timeoutMs: 3000, intervalMs: 20 });
  await sleep(1500);
  t.equal(leader.elector.isLeader(), true, 'the leader still leads after three renewals');
  t.equal(standby.elector.isLeader(), false, 'the standby does not lead');
  t.equal(leader.elector.leader(), leader.identity);
  t.same(standby.events.map((e) => e.what), ['new-leader'], 'the standby only heard of the new leader');
  t.equal(standby.events[0].who, leader.identity);

  const first = await readLease(name);
  t.equal(first.spec?.holderIdentity, leader.identity);
  t.equal(first.spec?.leaseDurationSeconds, FAST.leaseDurationSeconds);
  t.equal(first.spec?.leaseTransitions, 0, 'creating the lease is not a transition');
  t.match(String(first.spec?.acquireTime), MICRO_TIME, 'acquireTime is a MicroTime');
  t.match(String(first.spec?.renewTime), MICRO_TIME, 'renewTime is a MicroTime');
  await sleep(1200);
  const later = await readLease(name);
  t.equal(String(later.spec?.acquireTime), String(first.spec?.acquireTime), 'renewals keep acquireTime');
  t.ok(new Date(String(later.spec?.renewTime)) > new Date(String(first.spec?.renewTime)), 'renewals move renewTime');
});

t.test('a lease with an ancient renewTime is taken only after the lease duration on our own clock', async (t) => {
  const name = leaseName();
  const ancient = new k8s.V1MicroTime(Date.now() - 3600_000);
  await leases.createNamespacedLease({
    namespace,
    body: { metadata: { name }, spec: { holderIdentity: 'ghost', leaseDurationSeconds: 3, acquireTime: ancient, renewTime: ancient, leaseTransitions: 7 } },
  });
  const t0 = performance.now();
  const [c] = started(t, candidate(cluster.kc, namespace, name, 'c-1'));
  await eventually('the candidate to observe the ghost', () => c.elector.leader() === 'ghost', { timeoutMs: 3000, intervalMs: 20 });
  await eventually('the candidate to take over', () => c.elector.isLeader(), { timeoutMs: 6000, intervalMs: 20 });
  const waited = c.startedAt()! - t0;
  t.ok(waited >= 3000, `waited the full lease duration despite the old timestamp (${Math.round(waited)} ms)`);
  t.ok(waited < 3000 + 500 + 1000, `and not much longer (${Math.round(waited)} ms)`);
  const lease = await readLease(name);
  t.equal(lease.spec?.holderIdentity, 'c-1');
  t.equal(lease.spec?.leaseTransitions, 8, 'the takeover is counted as a transition');
  t.ok(new Date(String(lease.spec?.acquireTime)).getTime() > Date.now() - 60_000, 'acquireTime is the takeover time');
});

t.test('a leader cut off from the API server stops within the renew deadline, and the standby takes over after the lease duration', async (t) => {
  const name = leaseName();
  const proxy = await startTcpProxy(cluster.kc);
  t.teardown(() => proxy.close());
  const a = candidate(proxy.kc, namespace, name, 'cut-a');
  started(t, a);
  await eventually('a to lead', () => a.elector.isLeader(), { timeoutMs: 5000, intervalMs: 20 });
  const [b] = started(t, candidate(cluster.kc, namespace, name, 'cut-b'));
  await eventually('b to see a', () => b.elector.leader() === 'cut-a', { timeoutMs: 3000, intervalMs: 20 });
  await sleep(1000);
  const before = (await readLease(name)).spec?.leaseTransitions ?? 0;

  const cutAt = performance.now();
  proxy.cut();
  await eventually('b to take over', () => b.elector.isLeader(), { timeoutMs: 3000 + 500 + 1500, intervalMs: 20 });
  const stoppedAt = a.events.find((e) => e.what === 'stopped')?.at;
  const abortedAt = a.events.find((e) => e.what === 'signal-aborted')?.at;
  const tookOver = b.startedAt()! - cutAt;
  t.ok(stoppedAt !== undefined && abortedAt !== undefined, 'the cut-off leader stopped and its signal aborted');
  t.ok(a.signal?.aborted, 'the leader signal is aborted');
  t.ok(stoppedAt! - cutAt <= FAST.renewDeadlineSeconds * 1000 + 100, `it stopped within the renew deadline (${Math.round(stoppedAt! - cutAt)} ms)`);
  t.ok(stoppedAt! < b.startedAt()!, 'the old leader stopped before the new one started');
  t.ok(tookOver >= (FAST.leaseDurationSeconds - FAST.retryPeriodSeconds) * 1000 - 100, `b waited out the lease (${Math.round(tookOver)} ms)`);
  t.ok(tookOver <= (FAST.leaseDurationSeconds + FAST.retryPeriodSeconds) * 1000 + 700, `b took over within lease + retry (${Math.round(tookOver)} ms)`);
  const lease = await readLease(name);
  t.equal(lease.spec?.holderIdentity, 'cut-b');
  t.equal(lease.spec?.leaseTransitions, before + 1, 'leaseTransitions went up by one');
  t.equal(a.elector.isLeader(), false);
});

t.test('release() stops the leader first and hands the lease to the standby at once', async (t) => {
  const name = leaseName();
  const a = candidate(cluster.kc, namespace, name, 'rel-a');
  started(t, a);
  await eventually('a to lead', () => a.elector.isLeader(), { timeoutMs: 5000, intervalMs: 20 });
  const [b] = started(t, candidate(cluster.kc, namespace, name, 'rel-b'));
  await eventually('b to see a', () => b.elector.leader() === 'rel-a', { timeoutMs: 3000, intervalMs: 20 });
  const before = (await readLease(name)).spec?.leaseTransitions ?? 0;

  const t0 = performance.now();
  await a.elector.release();
  const released = await readLease(name).catch(() => undefined);
  await eventually('b to lead', () => b.elector.isLeader(), { timeoutMs: 3000, intervalMs: 20 });
  const handover = b.startedAt()! - t0;
  t.ok(handover < 1000, `the standby led ${Math.round(handover)} ms after release() began`);
  t.ok(released === undefined || released.spec?.holderIdentity !== 'rel-a', 'a no longer holds the lease once release() returned');
  t.same(a.events.map((e) => e.what), ['new-leader', 'started', 'signal-aborted', 'stopped'], 'callbacks in order');
  t.equal(a.events.at(-1)!.at <= b.startedAt()!, true, 'the old leader had stopped before the new one started');
  t.equal(a.elector.isLeader(), false);
  const lease = await readLease(name);
  t.equal(lease.spec?.holderIdentity, 'rel-b');
  t.equal(lease.spec?.leaseDurationSeconds, FAST.leaseDurationSeconds);
  t.equal(lease.spec?.leaseTransitions, before + 1, 'the handover counts as one transition');
});

t.test('a release leaves an empty holder with leaseDurationSeconds 1 when nobody is waiting', async (t) => {
  const name = leaseName();
  const a = candidate(cluster.kc, namespace, name, 'solo');
  a.elector.start();
  await eventually('solo to lead', () => a.elector.isLeader(), { timeoutMs: 5000, intervalMs: 20 });
  await a.elector.release();
  const lease = await readLease(name);
  t.equal(lease.spec?.holderIdentity ?? '', '', 'no holder');
  t.equal(lease.spec?.leaseDurationSeconds, 1);
  t.equal(lease.spec?.leaseTransitions, 0, 'transitions kept');
  t.same(a.events.map((e) => e.what), ['new-leader', 'started', 'signal-aborted', 'stopped']);
  await a.elector.release();
  t.equal(a.events.length, 4, 'a second release() does nothing more');
});

t.test('an admin overwriting the holder makes the leader stop at once; it takes the lease back once that holder is silent', async (t) => {
  const name = leaseName();
  const [a] = started(t, candidate(cluster.kc, namespace, name, 'ow-a'));
  await eventually('a to lead', () => a.elector.isLeader(), { timeoutMs: 5000, intervalMs: 20 });
  const lease = await readLease(name);
  const now = new k8s.V1MicroTime();
  lease.spec = { ...lease.spec, holderIdentity: 'intruder', acquireTime: now, renewTime: now, leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 };
  const t0 = performance.now();
  await leases.replaceNamespacedLease({ name, namespace, body: lease });
  await eventually("the leader's signal to abort", () => a.signal?.aborted, { timeoutMs: FAST.renewDeadlineSeconds * 1000, intervalMs: 20 });
  t.ok(performance.now() - t0 < FAST.renewDeadlineSeconds * 1000, `noticed in ${Math.round(performance.now() - t0)} ms`);
  t.equal(a.elector.isLeader(), false);
  t.equal(a.elector.leader(), 'intruder');
  t.same(a.events.map((e) => e.what), ['new-leader', 'started', 'signal-aborted', 'stopped', 'new-leader']);
  t.equal(a.events.at(-1)!.who, 'intruder');

  await eventually('a to lead again', () => a.elector.isLeader(), { timeoutMs: 3000 + 1500, intervalMs: 20 });
  t.ok(a.startedAt()! - t0 >= 3000 - 100, 'it waited out the intruder lease first');
  const back = await readLease(name);
  t.equal(back.spec?.holderIdentity, 'ow-a');
  t.equal(back.spec?.leaseTransitions, (lease.spec.leaseTransitions ?? 0) + 1, 'taking it back is a transition');
});

t.test('candidates racing for a missing lease and then for a released one resolve conflicts: never two leaders', async (t) => {
  const name = leaseName();
  const { log, lines } = captureLog();
  const cs = ['r-1', 'r-2', 'r-3', 'r-4'].map((id) => candidate(cluster.kc, namespace, name, id, { log }));
  started(t, ...cs);
  let maxLeaders = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxLeaders = Math.max(maxLeaders, cs.filter((c) => c.elector.isLeader()).length);
      await sleep(5);
    }
  })();
  const first = await eventually('a leader', () => cs.find((c) => c.elector.isLeader()), { timeoutMs: 5000, intervalMs: 20 });
  await eventually('everyone to agree', () => cs.every((c) => c.elector.leader() === first.identity), { timeoutMs: 3000, intervalMs: 20 });
  await first.elector.release();
  const second = await eventually('a second leader', () => cs.find((c) => c !== first && c.elector.isLeader()), { timeoutMs: 3000, intervalMs: 20 });
  await eventually('everyone to agree again', () => cs.every((c) => c === first || c.elector.leader() === second.identity), { timeoutMs: 3000, intervalMs: 20 });
  await sleep(1000);
  sampling = false;
  await sampler;
  t.equal(maxLeaders, 1, 'never more than one leader at a time');
  t.equal(cs.filter((c) => c.elector.isLeader()).length, 1);
  const lease = await readLease(name);
  t.equal(lease.spec?.holderIdentity, second.identity);
  t.equal(lease.spec?.leaseTransitions, 1, 'one transition, however many raced');
  t.ok(lines.some((l) => String(l.msg).includes('(409)')), 'at least one conflict happened and was handled');
  t.notOk(lines.some((l) => l.level === 'warn' && String(l.msg).includes('attempt failed')), 'no attempt failed with an error');
});

t.test('impossible timings are refused', async (t) => {
  const base = { kc: cluster.kc, namespace, name: 'x', identity: 'x' };
  const { LeaderElector } = await import('../../controller/leader/leader.ts');
  const cb = { onStartedLeading() {}, onStoppedLeading() {} };
  t.throws(() => new LeaderElector({ ...base, leaseDurationSeconds: 2, renewDeadlineSeconds: 2 }, cb), /lease duration/);
  t.throws(() => new LeaderElector({ ...base, renewDeadlineSeconds: 1, retryPeriodSeconds: 1 }, cb), /renew deadline/);
  t.throws(() => new LeaderElector({ ...base, identity: '' }, cb), /identity/);
});
