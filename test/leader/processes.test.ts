/**
 * Two and three real candidate processes on one Lease: `kill -9` of the leader hands over after
 * the lease duration (nobody released anything), SIGTERM hands over at once.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stopTestCluster, testCluster } from '../env/cluster.ts';
import { FAST } from './candidates.ts';
import { eventually } from '../fixtures/eventually.ts';

// A control plane this file started itself (run alone) is stopped at the end.
t.teardown(stopTestCluster);

const script = fileURLToPath(new URL('./candidate-process.ts', import.meta.url));
const cluster = await testCluster();
const namespace = await cluster.newNamespace('leader-proc');

interface Proc {
  identity: string;
  child: ChildProcess;
  lines: { at: number; event: string; leader?: string }[];
  /** Its log lines (stderr), shown when a test fails. */
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnCandidate(t: { teardown(fn: () => unknown): void; passing(): boolean; comment(...m: unknown[]): void }, lease: string, identity: string): Proc {
  const child = spawn(process.execPath, [script, cluster.kubeconfigPath, namespace, lease, identity], { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = {
    identity,
    child,
    lines: [],
    logs: [],
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  createInterface(child.stdout!).on('line', (l) => p.lines.push({ at: performance.now(), ...(JSON.parse(l) as { event: string; leader?: string }) }));
  createInterface(child.stderr!).on('line', (l) => p.logs.push(l));
  t.teardown(() => {
    if (!t.passing()) t.comment(`${identity} stdout:\n${p.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${p.logs.join('\n')}`);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return p.exited;
  });
  return p;
}

const leading = (p: Proc) => p.lines.findLast((l) => l.event === 'started' || l.event === 'stopped')?.event === 'started';
const startedAt = (p: Proc) => p.lines.findLast((l) => l.event === 'started')?.at;

// Three processes for both scenarios: loading the Kubernetes client takes seconds (on a busy
// machine, a minute or more), so they are started once and every one is waited for.
const procs = ['p-1', 'p-2', 'p-3'].map((id) => spawnCandidate(t, 'election', id));
await eventually('the processes to start', () => procs.every((p) => p.lines.some((l) => l.event === 'ready')), { timeoutMs: 240_000, intervalMs: 20 });

t.test('kill -9 of the leader process: another process leads within lease duration + retry period', async (t) => {
  const leader = await eventually('a leader process', () => procs.find(leading), { timeoutMs: 10_000, intervalMs: 20 });
  const standbys = procs.filter((p) => p !== leader);
  await eventually('the standbys to see the leader', () => standbys.every((p) => p.lines.some((l) => l.event === 'new-leader' && l.leader === leader.identity)), { timeoutMs: 5000, intervalMs: 20 });

  const killedAt = performance.now();
  leader.child.kill('SIGKILL');
  t.same(await leader.exited, { code: null, signal: 'SIGKILL' });
  const next = await eventually('a standby to lead', () => standbys.find(leading), { timeoutMs: 10_000, intervalMs: 20 });
  const took = startedAt(next)! - killedAt;
  t.ok(took >= (FAST.leaseDurationSeconds - FAST.retryPeriodSeconds) * 1000 - 100, `no takeover before the lease expired (${Math.round(took)} ms)`);
  t.ok(took <= (FAST.leaseDurationSeconds + FAST.retryPeriodSeconds) * 1000 + 700, `took over within lease + retry (${Math.round(took)} ms)`);
  await eventually('everyone to see the new leader', () => standbys.every((p) => p.lines.some((l) => l.event === 'new-leader' && l.leader === next.identity)), { timeoutMs: 5000, intervalMs: 20 });
  t.equal(standbys.filter(leading).length, 1, 'exactly one process leads');
});

t.test('SIGTERM of the leader process: it releases and the standby leads in well under 3 s', async (t) => {
  const alive = procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  t.equal(alive.length, 2, 'two processes are left');
  const leader = await eventually('a leader process', () => alive.find(leading), { timeoutMs: 10_000, intervalMs: 20 });
  const standby = alive.find((p) => p !== leader)!;

  const termAt = performance.now();
  leader.child.kill('SIGTERM');
  await eventually('the standby to lead', () => leading(standby), { timeoutMs: 3000, intervalMs: 20 });
  const took = startedAt(standby)! - termAt;
  t.ok(took < 1500, `the standby led ${Math.round(took)} ms after SIGTERM`);
  t.same(await leader.exited, { code: 0, signal: null }, 'the old leader exited cleanly');
  t.same(leader.lines.map((l) => l.event).slice(-2), ['stopped', 'released'], 'it stopped leading, then released');
});
