/**
 * A large first sync inside the real controller (issue 16, point 4): the controller process as a
 * Deployment runs it (`node controller/main.ts` with the image's node flags and environment, and
 * the chart's defaults), against a real kube-apiserver + etcd, the Jira emulator and the HTTPS git server,
 * all on 127.0.0.1. One incremental JIRASync of an N-issue project into an empty repository.
 *
 *   node test/bench/controller-bench.ts [ISSUES]     (default 20,000)
 *
 * Measured: the controller process's peak RSS (VmHWM from /proc/PID/status: the kernel's own
 * high-water mark, so no spike between samples is missed) and its RSS when idle before the sync;
 * the run's duration as the controller logs it, and the controller's CPU seconds meanwhile. Checked: the pushed commit holds one file per
 * issue and passes `git fsck --strict`. Prints one JSON line; test/bench/run.ts reports it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type JIRASync } from '../../controller/api/jirasync.ts';
import { startControlPlane, type ControlPlane } from '../env/controlplane.ts';
import { kubeConfigWithCrd } from '../env/crd.ts';
import { git as gitCli, gitCliEnv } from '../git-server/cli.ts';
import { startGitServer, type GitServer } from '../git-server/server.ts';
import { startJiraEmulator, type JiraEmulator } from '../jira-emulator/emulator.ts';
import { startController, type ControllerProcess } from '../fixtures/controller.ts';
import { specFor } from '../fixtures/world.ts';

const issues = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 20_000);
const PROJECT = 'BIG';
const NS = 'bench';
const SYSTEM_NS = 'jirasync-system';

const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'))?.[1];
const nodeFlags = (JSON.parse(entrypoint ?? '[]') as string[]).filter((a) => a.startsWith('--'));
/** The image's environment (ENV lines of the Dockerfile's runtime stage), such as its malloc tuning. */
const imageEnv = Object.fromEntries([...readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8').split(/^FROM .* AS runtime$/m)[1].matchAll(/^ENV (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
const log = (msg: string) => process.stderr.write(`[controller ${issues}] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** CPU seconds (user + system) of a process so far, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** A field of /proc/PID/status in MiB (VmRSS now, VmHWM the peak so far). */
function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

let cp: ControlPlane | undefined;
let jira: JiraEmulator | undefined;
let git: GitServer | undefined;
let ctl: ControllerProcess | undefined;
try {
  cp = await startControlPlane();
  const kc = await kubeConfigWithCrd(cp.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const objects = kc.makeApiClient(k8s.CustomObjectsApi);
  const coord = kc.makeApiClient(k8s.CoordinationV1Api);
  jira = await startJiraEmulator({ seed: 42, projects: [{ key: PROJECT, issues }] });
  git = await startGitServer();
  const repo = await git.createRepo('big');
  await core.createNamespace({ body: { metadata: { name: SYSTEM_NS } } });
  await core.createNamespace({ body: { metadata: { name: NS } } });
  const labels = { 'sync.jira.io/credentials': 'true' };
  await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'jira', labels }, stringData: { baseUrl: jira.url, email: jira.email, apiToken: jira.apiToken } } });
  await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'git', labels }, stringData: { username: git.username, token: git.password } } });

  // The chart's defaults, and the image's node flags.
  ctl = await startController({
    kubeconfigPath: cp.kubeconfigPath,
    namespace: SYSTEM_NS,
    watchNamespaces: [NS],
    name: 'ctl',
    env: { ...imageEnv, GIT_CA_FILE: git.caFile, CONCURRENCY: '4', LEASE_DURATION_SECONDS: '15', RENEW_DEADLINE_SECONDS: '10', RETRY_PERIOD_SECONDS: '2', LOG_LEVEL: 'info', NODE_OPTIONS: nodeFlags.join(' ') },
  });
  const pid = ctl.proc.pid!;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const holder = await coord.readNamespacedLease({ name: 'jirasync-leader', namespace: SYSTEM_NS }).then((l) => l.spec?.holderIdentity ?? '', () => '');
    if (holder.startsWith('ctl_')) break;
    if (Date.now() > deadline) throw new Error(`the controller did not lead within 60 s:\n${ctl.output.slice(-20).join('\n')}`);
    await sleep(250);
  }
  await sleep(2000);
  const idleRssMiB = statusMiB(pid, 'VmRSS');
  const idleHwmMiB = statusMiB(pid, 'VmHWM');
  log(`controller leading, RSS ${idleRssMiB} MiB (peak so far ${idleHwmMiB} MiB); creating the JIRASync`);

  const ref = { group: GROUP, version: VERSION, namespace: NS, plural: PLURAL };
  const spec = specFor(repo, { syncType: 'incremental', target: { projectKey: PROJECT } });
  const started = Date.now();
  const cpuBefore = cpuSeconds(pid);
  await objects.createNamespacedCustomObject({ ...ref, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'JIRASync', metadata: { name: 'big' }, spec } });
  let phase = '';
  let status: JIRASync['status'];
  while (Date.now() - started < Math.max(600_000, issues * 30)) {
    status = ((await objects.getNamespacedCustomObject({ ...ref, name: 'big' })) as JIRASync).status;
    phase = status?.phase ?? '';
    if (phase === 'Completed' || phase === 'Failed') break;
    // BENCH_TRACE=1: RSS and the run's progress once a second, to see which step grows it.
    if (process.env.BENCH_TRACE) {
      // The controller's own view of its heap, from its default Node metrics.
      const metrics = await fetch(`${ctl.url}/metrics`).then((r) => r.text(), () => '');
      const m = (name: string) => Math.round(Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0) / 2 ** 20);
      log(`RSS ${statusMiB(pid, 'VmRSS')} MiB (peak ${statusMiB(pid, 'VmHWM')}), heap ${m('nodejs_heap_size_used_bytes')}/${m('nodejs_heap_size_total_bytes')} MiB, external ${m('nodejs_external_memory_bytes')} MiB; ${status?.progress?.currentOperation ?? phase} ${status?.progress?.percentage ?? ''}%`);
    }
    await sleep(1000);
  }
  const wallSeconds = (Date.now() - started) / 1000;
  const peakRssMiB = statusMiB(pid, 'VmHWM');
  const syncCpuSeconds = Math.round((cpuSeconds(pid) - cpuBefore) * 100) / 100;
  const afterRssMiB = statusMiB(pid, 'VmRSS');
  const completed = ctl.logs.find((l) => l.msg === 'sync completed');
  const seconds = completed ? Number(completed.seconds) : wallSeconds;
  log(`${phase} after ${wallSeconds.toFixed(1)} s (run ${seconds} s), peak RSS ${peakRssMiB} MiB`);

  // The pushed commit: one file per issue, and a repository git itself finds sound.
  const env = gitCliEnv(git);
  const bare = (...args: string[]) => gitCli(args, { cwd: git!.barePath('big'), env });
  const files = phase === 'Completed' ? (await bare('ls-tree', '-r', '--name-only', 'main', `projects/${PROJECT}/issues/`)).trim().split('\n').filter(Boolean).length : 0;
  const commits = phase === 'Completed' ? Number((await bare('rev-list', '--count', 'main')).trim()) : 0;
  const fsck = phase === 'Completed' ? (await bare('fsck', '--strict', '--no-progress')).trim() : 'not run';
  console.log(JSON.stringify({
    name: 'controller-first-sync',
    issues,
    phase,
    seconds,
    wallSeconds,
    issuesPerSecond: Math.round(issues / seconds),
    cpuSeconds: syncCpuSeconds,
    peakRssMiB,
    idleRssMiB,
    idleHwmMiB,
    afterRssMiB,
    files,
    commits,
    fsckClean: fsck === '',
    pass: phase === 'Completed' && files === issues && commits === 1 && fsck === '' && peakRssMiB < 250,
  }));
} finally {
  await ctl?.stop('SIGTERM', 20_000).catch(() => undefined);
  await jira?.stop().catch(() => undefined);
  await git?.stop().catch(() => undefined);
  await cp?.stop().catch(() => undefined);
}
