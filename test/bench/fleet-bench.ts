/**
 * Fleet benchmark (issue 16, point 3): many small JIRASyncs against one controller deployment, on a
 * real kube-apiserver + etcd, the Jira emulator (in this process) and the HTTPS git server (in a
 * process of its own, test/git-server/process.ts), all on 127.0.0.1.
 *
 *   node test/bench/fleet-bench.ts COUNT [--shards=1|2] [--idle=SECONDS] [--namespaces=50]
 *
 * COUNT syncType-single JIRASyncs (one issue each) are spread over the namespaces; each namespace
 * has its Jira and git Secrets and one repository, every sync writing its own destination.path.
 * The controller (one process, or two with --shards=2: `SHARD=a` and the default one with
 * `SHARDS=a`, half the JIRASyncs labelled sync.jira.io/shard=a) runs with the chart's defaults
 * (CONCURRENCY 4, leases 15/10/2 s, LOG_LEVEL info, the image's node flags) and leads before the
 * first object is created. Measured:
 * - convergence: from creating the first object (the figure run.ts holds against the targets)
 *   and from creating the last, until every one is status.phase Completed (seen by one watch of
 *   all JIRASyncs, not by reads or lists);
 * - then an idle window (--idle, 0 to skip): each controller's CPU (utime+stime from
 *   /proc/PID/stat) as % of one core and its max VmRSS; the API server's own
 *   apiserver_request_total deltas by verb and resource, per second; where the controller's
 *   memory is (V8 heap, external, exported series) from its own /metrics.
 * Also reported: CPU seconds of each process while converging, and API, Jira and git requests
 * per run. Prints one JSON line; test/bench/run.ts reports it against the targets.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../controller/api/jirasync.ts';
import { SHARD_LABEL } from '../../controller/api/shard.ts';
import { startControlPlane, type ControlPlane } from '../env/controlplane.ts';
import { kubeConfigWithCrd } from '../env/crd.ts';
import { startJiraEmulator, type JiraEmulator } from '../jira-emulator/emulator.ts';
import { startGitServerProcess, type GitServerProcess } from '../git-server/process.ts';
import { startController, type ControllerProcess } from '../fixtures/controller.ts';
import { specFor } from '../fixtures/world.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 200);
const shards = opt('shards', 1);
const idleSeconds = opt('idle', 15);
const nsCount = opt('namespaces', 50);
const PROJECT = 'FLEET';
const SYSTEM_NS = 'jirasync-system';
/**
 * Bound: 5x the target rate (120 ms per sync), at least 5 min, so a slow run still converges and
 * gets its idle window measured, and a stuck one ends as a MISS, not a hang.
 */
const convergeTimeoutMs = Math.max(300_000, count * 600);

const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'))?.[1];
const nodeFlags = (JSON.parse(entrypoint ?? '[]') as string[]).filter((a) => a.startsWith('--'));
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const log = (msg: string) => process.stderr.write(`[fleet ${count}x${shards}] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

/** Runs `fn` over `items` with at most `width` in flight. */
async function pool<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

/** A raw GET against the API server with the admin token (for /metrics and Table lists). */
function apiGet(cp: ControlPlane, ca: string, path: string, accept = 'application/json'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${cp.server}${path}`, { ca, headers: { authorization: `Bearer ${cp.adminToken}`, accept }, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Follows every JIRASync's phase with one watch from `resourceVersion` (restarted from the last
 * event seen if the server ends it), instead of listing all of them over and over: a list of
 * thousands every few seconds would load the API server the bench measures.
 */
function watchPhases(cp: ControlPlane, ca: string, resourceVersion: string, onChange: (counts: Readonly<Record<string, number>>) => void) {
  const phaseOf = new Map<string, string>();
  // Kept as events arrive: recounting thousands of objects per event would be the bench's own load.
  const counts: Record<string, number> = {};
  const move = (from: string | undefined, to: string | undefined) => {
    if (from !== undefined) counts[from]--;
    if (to !== undefined) counts[to] = (counts[to] ?? 0) + 1;
  };
  let rv = resourceVersion;
  let stopped = false;
  let current: ReturnType<typeof request> | undefined;
  const start = () => {
    if (stopped) return;
    const path = `/apis/${GROUP}/${VERSION}/${PLURAL}?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`;
    current = request(`${cp.server}${path}`, { ca, headers: { authorization: `Bearer ${cp.adminToken}` } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { type: string; object: { metadata: { namespace?: string; name?: string; resourceVersion?: string }; status?: { phase?: string } } };
          if (ev.type === 'ERROR') continue;
          rv = ev.object.metadata.resourceVersion ?? rv;
          if (ev.type === 'BOOKMARK') continue;
          const key = `${ev.object.metadata.namespace}/${ev.object.metadata.name}`;
          const to = ev.type === 'DELETED' ? undefined : ev.object.status?.phase || 'none';
          move(phaseOf.get(key), to);
          if (to === undefined) phaseOf.delete(key);
          else phaseOf.set(key, to);
          onChange(counts);
        }
      });
      res.on('end', () => setTimeout(start, 500));
    });
    current.on('error', () => setTimeout(start, 500));
    current.end();
  };
  start();
  return {
    phases(): Record<string, number> {
      return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
    },
    stop() {
      stopped = true;
      current?.destroy();
    },
  };
}

/** apiserver_request_total summed by "VERB resource[/subresource]". */
async function requestTotals(cp: ControlPlane, ca: string): Promise<Map<string, number>> {
  const text = await apiGet(cp, ca, '/metrics', 'text/plain');
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const key = `${labels.verb} ${labels.resource || '(non-resource)'}${labels.subresource ? `/${labels.subresource}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
}

/**
 * CPU seconds so far of this process (the Jira emulator, the phase watch), of its exited children,
 * and of each live child by role or command name: the git server process with the
 * `git http-backend` processes it reaped, kube-apiserver, etcd, the controllers.
 */
function cpuByProcess(controllers: number[], gitServer: number): Record<string, number> {
  const self = readFileSync('/proc/self/stat', 'utf8');
  const f = self.slice(self.lastIndexOf(')') + 2).split(' ');
  const out: Record<string, number> = { 'bench (emulator)': (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK };
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const g = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (Number(g[1]) !== process.pid) continue;
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const name = controllers.includes(Number(pid)) ? 'controller' : Number(pid) === gitServer ? 'git server (with http-backend)' : comm;
      out[name] = (out[name] ?? 0) + (Number(g[11]) + Number(g[12]) + Number(g[13]) + Number(g[14])) / CLK_TCK;
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Where an idle controller's memory is, from its own /metrics: V8 heap, off-heap buffers, series it exports. */
async function memoryOf(c: ControllerProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`${c.url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  return {
    heapUsedMiB: Math.round(value('nodejs_heap_size_used_bytes')),
    heapTotalMiB: Math.round(value('nodejs_heap_size_total_bytes')),
    externalMiB: Math.round(value('nodejs_external_memory_bytes')),
    jirasyncSeries: text.split('\n').filter((l) => l.startsWith('jirasync_')).length,
  };
}

let cp: ControlPlane | undefined;
let jira: JiraEmulator | undefined;
let git: GitServerProcess | undefined;
const ctls: ControllerProcess[] = [];
let stopping = false;
try {
  const t0 = Date.now();
  cp = await startControlPlane();
  const ca = readFileSync(join(cp.dir, 'pki', 'apiserver.crt'), 'utf8');
  const kc = await kubeConfigWithCrd(cp.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const objects = kc.makeApiClient(k8s.CustomObjectsApi);
  const coord = kc.makeApiClient(k8s.CoordinationV1Api);
  jira = await startJiraEmulator({ seed: 16, projects: [{ key: PROJECT, issues: count }] });
  git = await startGitServerProcess();
  const namespaces = Array.from({ length: nsCount }, (_, i) => `fleet-${String(i).padStart(2, '0')}`);
  const repos = new Map<string, string>();
  await core.createNamespace({ body: { metadata: { name: SYSTEM_NS } } });
  await pool(namespaces, 8, async (ns) => {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const labels = { 'sync.jira.io/credentials': 'true' };
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'jira', labels }, stringData: { baseUrl: jira!.url, email: jira!.email, apiToken: jira!.apiToken } } });
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'git', labels }, stringData: { username: git!.username, token: git!.password } } });
    repos.set(ns, await git!.createRepo(ns));
  });
  log(`world ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const env: Record<string, string> = {
    GIT_CA_FILE: git.caFile,
    CONCURRENCY: '4',
    LEASE_DURATION_SECONDS: '15',
    RENEW_DEADLINE_SECONDS: '10',
    RETRY_PERIOD_SECONDS: '2',
    LOG_LEVEL: 'info',
    NODE_OPTIONS: [
      ...nodeFlags,
      ...(process.env.FLEET_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.FLEET_PROFILE_DIR}`] : []),
      // A heap snapshot of each controller at the end of the idle window, to see what it holds.
      ...(process.env.FLEET_HEAP_SNAPSHOT_DIR ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${process.env.FLEET_HEAP_SNAPSHOT_DIR}`] : []),
    ].join(' '),
  };
  const setups: { name: string; lease: string; env: Record<string, string> }[] = shards === 2 ? [{ name: 'ctl-a', lease: 'jirasync-leader-a', env: { SHARD: 'a' } }, { name: 'ctl-default', lease: 'jirasync-leader', env: { SHARDS: 'a' } }] : [{ name: 'ctl', lease: 'jirasync-leader', env: {} }];
  for (const s of setups) {
    const c = await startController({ kubeconfigPath: cp.kubeconfigPath, namespace: SYSTEM_NS, watchNamespaces: [], name: s.name, env: { ...env, ...s.env } });
    ctls.push(c);
    // A controller that dies mid-run would leave the fleet stuck until the bound: say why at once.
    void c.exited.then((code) => {
      if (!stopping) log(`${s.name} exited (${code}) before the bench ended:\n${c.output.slice(-30).join('\n')}`);
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const holder = await coord.readNamespacedLease({ name: s.lease, namespace: SYSTEM_NS }).then((l) => l.spec?.holderIdentity ?? '', () => '');
      if (holder.startsWith(`${s.name}_`)) break;
      if (Date.now() > deadline) throw new Error(`${s.name} did not lead within 60 s:\n${c.output.slice(-20).join('\n')}`);
      await sleep(250);
    }
  }
  log(`${ctls.length} controller(s) leading`);

  const ref = { group: GROUP, version: VERSION, plural: PLURAL };
  const ticksAtCreate = ctls.map((c) => cpuTicks(c.proc.pid!));
  const cpuAtCreate = cpuByProcess(ctls.map((c) => c.proc.pid!), git.pid);
  const requestsAtCreate = await requestTotals(cp, ca);
  const listRv = (JSON.parse(await apiGet(cp, ca, `/apis/${GROUP}/${VERSION}/${PLURAL}?limit=1`)) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  let doneAt = 0;
  const converging = Promise.withResolvers<void>();
  const watcher = watchPhases(cp, ca, listRv, (counts) => {
    if (doneAt === 0 && counts.Completed === count) {
      doneAt = Date.now();
      converging.resolve();
    }
  });
  const created = Date.now();
  await pool(Array.from({ length: count }, (_, i) => i), 16, async (i) => {
    const namespace = namespaces[i % nsCount];
    const labels = shards === 2 && i % 2 === 1 ? { [SHARD_LABEL]: 'a' } : undefined;
    const spec = specFor(repos.get(namespace)!, { syncType: 'single', target: { issueKeys: [`${PROJECT}-${i + 1}`] } });
    spec.destination.path = `syncs/s-${i}`;
    await objects.createNamespacedCustomObject({ ...ref, namespace, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'JIRASync', metadata: { name: `s-${i}`, ...(labels ? { labels } : {}) }, spec } });
  });
  const lastCreated = Date.now();
  const createSeconds = (lastCreated - created) / 1000;
  log(`created ${count} JIRASyncs in ${createSeconds.toFixed(1)} s`);

  const progress = setInterval(() => log(`phases ${JSON.stringify(watcher.phases())}`), 30_000);
  // Unreferenced: the bound must not keep this process alive once it has converged.
  await Promise.race([converging.promise, sleep(convergeTimeoutMs, undefined, { ref: false })]);
  clearInterval(progress);
  watcher.stop();
  const phases = watcher.phases();
  const converged = doneAt > 0;
  const convergeSeconds = ((converged ? doneAt : Date.now()) - lastCreated) / 1000;
  const totalSeconds = ((converged ? doneAt : Date.now()) - created) / 1000;
  log(`${converged ? 'converged' : 'NOT converged'} ${convergeSeconds.toFixed(1)} s after the last creation: ${JSON.stringify(phases)}`);
  let failures: string[] = [];
  if (!converged) {
    const list = (await objects.listClusterCustomObject(ref)) as { items: { metadata: { namespace: string; name: string }; status?: { phase?: string; conditions?: { type: string; reason?: string; message?: string }[] } }[] };
    failures = list.items.filter((o) => o.status?.phase !== 'Completed').slice(0, 5).map((o) => `${o.metadata.namespace}/${o.metadata.name}: ${o.status?.phase} ${JSON.stringify(o.status?.conditions?.find((c) => c.type === 'Ready') ?? {})}`);
  }

  const requestsAtConvergence = await requestTotals(cp, ca);
  const gitRequests: Record<string, number> = {};
  for (const r of await git.requests()) {
    const k = `${r.method} ${r.path.replace(/^.*\.git\//, '')}`;
    gitRequests[k] = (gitRequests[k] ?? 0) + 1;
  }
  const row: Record<string, unknown> = { name: 'fleet', syncs: count, shards, namespaces: nsCount, concurrency: 4, converged, phases, failures, createSeconds, convergeSeconds, totalSeconds };
  row.rssAtConvergenceMiB = ctls.map((c) => rssMiB(c.proc.pid!));
  // Where convergence time goes: the controller's own run durations (its 'sync completed' lines).
  const runs = ctls.flatMap((c) => c.logs.filter((l) => l.msg === 'sync completed').map((l) => Number(l.seconds))).sort((a, b) => a - b);
  const q = (f: number) => runs[Math.min(runs.length - 1, Math.floor(f * runs.length))] ?? 0;
  Object.assign(row, {
    runs: runs.length,
    runSecondsP50: q(0.5),
    runSecondsP90: q(0.9),
    runSecondsSum: runs.reduce((a, b) => a + b, 0),
    failedRuns: ctls.reduce((n, c) => n + c.logs.filter((l) => l.msg === 'sync failed').length, 0),
    controllerCpuSecondsWhileConverging: ctls.map((c, i) => (cpuTicks(c.proc.pid!) - ticksAtCreate[i]) / CLK_TCK),
    loadAverage1m: loadavg()[0],
    // API requests per run while converging, by verb and resource (the bench's own creates included).
    requestsPerRun: Object.fromEntries([...requestsAtConvergence]
      .map(([k, v]) => [k, Math.round(((v - (requestsAtCreate.get(k) ?? 0)) / Math.max(1, runs.length)) * 100) / 100] as const)
      .filter(([, v]) => v >= 0.01).sort((a, b) => b[1] - a[1])),
    jiraRequestsPerRun: Object.fromEntries(Object.entries(jira.state.requestLog.reduce<Record<string, number>>((acc, r) => ((acc[`${r.method} ${r.path}`] = (acc[`${r.method} ${r.path}`] ?? 0) + 1), acc), {}))
      .map(([k, v]) => [k, Math.round((v / Math.max(1, runs.length)) * 100) / 100])),
    gitRequestsPerRun: Object.fromEntries(Object.entries(gitRequests).map(([k, v]) => [k, Math.round((v / Math.max(1, runs.length)) * 100) / 100])),
    cpuSecondsWhileConverging: Object.fromEntries(Object.entries(cpuByProcess(ctls.map((c) => c.proc.pid!), git.pid)).map(([k, v]) => [k, Math.round((v - (cpuAtCreate[k] ?? 0)) * 10) / 10])),
  });

  if (idleSeconds > 0 && converged) {
    // Let the last status writes and Events settle, then measure a quiet window.
    await sleep(5000);
    const pids = ctls.map((c) => c.proc.pid!);
    const before = await requestTotals(cp, ca);
    const ticks0 = pids.map(cpuTicks);
    const w0 = Date.now();
    const rssMax = pids.map(rssMiB);
    while (Date.now() - w0 < idleSeconds * 1000) {
      await sleep(1000);
      pids.forEach((p, i) => (rssMax[i] = Math.max(rssMax[i], rssMiB(p))));
    }
    const ticks1 = pids.map(cpuTicks);
    const window = (Date.now() - w0) / 1000;
    const after = await requestTotals(cp, ca);
    const rates: Record<string, number> = {};
    for (const [k, v] of after) {
      const d = v - (before.get(k) ?? 0);
      if (d > 0) rates[k] = d / window;
    }
    // What counts is traffic on the resources the controller may touch at all (the chart's RBAC)
    // other than its Leases. The rest is not the controller's: the API server's own loops (its
    // endpoint reconciler of the `kubernetes` Service, the restarts of its internal watches of
    // nodes, namespaces, ...) and this bench's own scrapes of /metrics.
    const controllers = (k: string) => / (jirasyncs|secrets|events|tokenreviews|subjectaccessreviews)(\/\w+)?$/.test(k);
    const sum = (pred: (k: string) => boolean) => Object.entries(rates).filter(([k]) => pred(k)).reduce((a, [, v]) => a + v, 0);
    Object.assign(row, {
      idleSeconds: window,
      cpuPercent: pids.map((_, i) => ((ticks1[i] - ticks0[i]) / CLK_TCK / window) * 100),
      rssMaxMiB: rssMax,
      apiRequestsPerSecond: sum(() => true),
      leaseRequestsPerSecond: sum((k) => / leases$/.test(k)),
      nonLeaseRequestsPerSecond: sum(controllers),
      apiRates: Object.fromEntries(Object.entries(rates).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
      idleMemory: await Promise.all(ctls.map((c) => memoryOf(c))),
    });
    if (process.env.FLEET_HEAP_SNAPSHOT_DIR) {
      for (const c of ctls) c.proc.kill('SIGUSR2');
      await sleep(30_000);
    }
  }
  row.setupSeconds = (created - t0) / 1000;
  console.log(JSON.stringify(row));
} finally {
  stopping = true;
  await Promise.all(ctls.map((c) => c.stop('SIGTERM', 20_000).catch(() => undefined)));
  await jira?.stop().catch(() => undefined);
  await git?.stop().catch(() => undefined);
  await cp?.stop().catch(() => undefined);
}
