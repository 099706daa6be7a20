/**
 * `npm run sandbox`: jirasync running locally, end to end, on 127.0.0.1 — a control plane with the
 * CRD, the Jira emulator with a sample project, a git server, Prometheus (with exemplars) and
 * Alertmanager with the shipped rules, a trace receiver, two traced controller replicas, and sample
 * JIRASyncs in namespace `demo`. Prints each
 * step with its timing, waits until the samples reach their phases, prints what to try, and on
 * Ctrl-C (SIGINT) or SIGTERM stops everything it started. `--help` lists the options.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startControlPlane } from '../env/controlplane.ts';
import { installCrd } from '../env/crd.ts';
import { testBinaries } from '../env/testbin.ts';
import { startGitServer } from '../git-server/server.ts';
import { startJiraEmulator } from '../jira-emulator/emulator.ts';
import { statusReaderToken } from './access.ts';
import { parseSandboxArgs, USAGE, type SandboxOptions } from './args.ts';
import { currentLeader, ensureLeaseNamespace, LEASE_NAME, LEASE_NAMESPACE, startReplica, type Replica } from './controllers.ts';
import { startMonitoring, watchAlerts, type Monitoring } from './monitoring.ts';
import { alive, commandLine, descendants, killLeftovers, secs, StopStack } from './processes.ts';
import { Progress, StopRequested } from './progress.ts';
import { renderGuide, type SandboxInfo } from './report.ts';
import { applySamples, DEMO_NAMESPACE, FAILURE_ISSUE, pickIssues, waitForSamples } from './samples.ts';
import { startTraceSink } from './traces.ts';

/** Marks a directory as the sandbox's own, so it may be wiped. */
const MARKER = '.jirasync-sandbox';
const print = (line: string) => process.stdout.write(`${line}\n`);
const progress = new Progress(print);
const stack = new StopStack();

let opts: SandboxOptions;
try {
  const parsed = parseSandboxArgs(process.argv.slice(2));
  if (parsed === 'help') {
    print(USAGE);
    process.exit(0);
  }
  opts = parsed;
} catch (err) {
  process.stderr.write(`sandbox: ${(err as Error).message}\n`);
  process.exit(2);
}

let startup: Promise<void> | undefined;
let shuttingDown = false;

/** Stops everything this process started, newest first, then sweeps leftover descendants. */
async function shutdown(reason: string, code: number, removeData: boolean): Promise<never> {
  if (shuttingDown) {
    // A second Ctrl-C: no more waiting.
    await killLeftovers();
    process.exit(code || 130);
  }
  shuttingDown = true;
  progress.requestStop();
  print(`\nStopping the sandbox (${reason}) …`);
  // Let a step in flight finish registering what it started (steps check the stop flag).
  if (startup) await Promise.race([startup.catch(() => {}), new Promise((r) => setTimeout(r, 60_000))]);
  await stack.stopAll((line) => print(`  ${line}`));
  const killed = await killLeftovers();
  if (killed > 0) print(`  killed ${killed} leftover process${killed === 1 ? '' : 'es'}`);
  releaseLock(opts.dir);
  if (opts.readyFile) rmSync(opts.readyFile, { force: true });
  if (removeData && !opts.keep && existsSync(join(opts.dir, MARKER))) {
    rmSync(opts.dir, { recursive: true, force: true });
    print(`  removed ${opts.dir}`);
  } else {
    print(`  data kept in ${opts.dir}`);
  }
  print('Sandbox stopped.');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown('SIGINT', 0, true));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0, true));
// Should this process die of a bug, its children must not outlive it (the controllers would keep
// their ports). Synchronous: nothing else runs in an 'exit' handler.
process.on('exit', () => {
  for (const pid of descendants()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});
process.on('uncaughtException', (err) => {
  print(`\nUnexpected error: ${describe(err)}`);
  void shutdown('unexpected error', 1, false);
});

try {
  takeLock(opts.dir, opts.keep);
} catch (err) {
  process.stderr.write(`sandbox: ${(err as Error).message}\n`);
  process.exit(1);
}
startup = start(opts);
startup.catch(async (err: unknown) => {
  if (err instanceof StopRequested || shuttingDown) return;
  print(`\nThe sandbox did not start: ${describe(err)}`);
  print(`Logs: ${join(opts.dir, 'logs')}/ and ${join(opts.dir, 'controlplane')}/*.log (the data directory is kept).`);
  await shutdown('start failed', 1, false);
});

async function start(o: SandboxOptions): Promise<void> {
  const { dir } = o;
  print(`jirasync sandbox: data in ${dir}${o.keep ? ' (kept between runs)' : ''}`);

  await progress.step('test binaries (kube-apiserver, etcd) from the setup cache', async () => testBinaries(), (b) => b.KUBE_APISERVER.replace(/\/[^/]+$/, ''));

  const cp = await progress.step('control plane (etcd + kube-apiserver)', async () => {
    const c = await startControlPlane({ dir: join(dir, 'controlplane'), keep: true, log: (l) => progress.note(l) });
    stack.push('control plane', () => c.stop());
    return c;
  }, (c) => c.server);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  await progress.step('JIRASync CRD', () => installCrd(kc), () => 'jirasyncs.sync.jira.io established');

  const jira = await progress.step('Jira emulator', async () => {
    const e = await startJiraEmulator({ seed: 1, projects: [{ key: 'PROJ', issues: o.issues, name: 'Sample project' }, { key: 'OPS', issues: 5, name: 'Operations' }] });
    stack.push('Jira emulator', () => e.stop());
    // OPS has no "Failed" status: the failure report falls back to the next transition, "Blocked".
    e.state.setWorkflow('OPS', [{ name: 'Start Progress', to: 'In Progress' }, { name: 'Block', to: 'Blocked' }, { name: 'Done', to: 'Done' }]);
    return e;
  }, (e) => `${e.url} — PROJ with ${o.issues} issues (epics, subtasks, links), OPS with 5`);
  const picked = pickIssues(jira.state, 'PROJ', o.issues);

  const git = await progress.step('git server with an empty repository', async () => {
    const g = await startGitServer();
    stack.push('git server', () => g.stop());
    const repoUrl = await g.createRepo('demo');
    mkdirSync(join(dir, 'git'), { recursive: true });
    const caFile = join(dir, 'git', 'ca.pem');
    copyFileSync(g.caFile, caFile);
    const credentialsFile = join(dir, 'git', 'credentials');
    const host = new URL(g.baseUrl).host;
    writeFileSync(credentialsFile, `https://${encodeURIComponent(g.username)}:${encodeURIComponent(g.password)}@${host}\n`, { mode: 0o600 });
    return { server: g, repoUrl, caFile, credentialsFile };
  }, (g) => g.repoUrl);

  const traces = await progress.step('trace receiver (OTLP; the controllers trace every run)', async () => {
    const sink = await startTraceSink(join(dir, 'traces', 'run-trace-ids'));
    stack.push('trace receiver', () => sink.stop());
    return sink;
  }, (s) => s.url);

  const names = ['controller-a', 'controller-b'];
  await ensureLeaseNamespace(kc);
  // One after the other: on a small machine two cold Node starts at once take longer than in turn.
  const replicas: Replica[] = [];
  for (const name of names) {
    replicas.push(await progress.step(`controller replica ${name}`, async () => {
      const r = await startReplica(name, {
        kubeconfigPath: cp.kubeconfigPath,
        dir,
        env: { GIT_CA_FILE: git.server.caFile, JIRA_BASE_URL: jira.url, JIRA_EMAIL: jira.email, JIRA_API_TOKEN: jira.apiToken, ...traces.env },
        onUnexpectedExit: (n, code) => print(`! ${n} exited (code ${code}); the other replica takes over the Lease`),
      });
      stack.push(name, () => r.stop());
      return r;
    }, (r) => `${r.ctl.url} (pid ${r.ctl.proc.pid})`));
  }
  const leader = await progress.step(`leader election (Lease ${LEASE_NAMESPACE}/${LEASE_NAME})`, () => currentLeader(kc, names), (n) => `${n} leads, the other stands by`);

  let monitoring: Monitoring | undefined;
  let monitoringNote: string | undefined;
  try {
    monitoring = await progress.step('Prometheus and Alertmanager with alerts/jirasync.rules.yaml', async () => {
      const m = await startMonitoring({ targets: replicas.map((r) => `127.0.0.1:${r.ctl.port}`), fastAlerts: o.fastAlerts });
      stack.push('Prometheus and Alertmanager', () => m.stop());
      return m;
    }, (m) => `Prometheus ${m.prometheusUrl}, Alertmanager ${m.alertmanagerUrl}`);
  } catch (err) {
    if (err instanceof StopRequested) throw err;
    monitoringNote = describe(err);
    progress.note(`continuing without them: ${monitoringNote}`);
  }

  const samples = await progress.step(`sample JIRASyncs in namespace ${DEMO_NAMESPACE}`, () => applySamples(kc, {
    jira: { url: jira.url, email: jira.email, apiToken: jira.apiToken },
    git: { username: git.server.username, password: git.server.password, repoUrl: git.repoUrl },
    singleKey: picked.singleKey,
    epicKey: picked.epicKey,
  }), (s) => s.map((x) => x.name).join(', '));

  const reached = await progress.step('waiting for the samples to reach their phases', () => waitForSamples(kc, samples, {
    timeoutMs: o.waitSeconds * 1000,
    cancelled: () => progress.stopRequested,
    onReached: (s, obj) => {
      const st = obj.status;
      const detail = s.expect === 'Completed'
        ? `${plural(st?.syncState?.processedIssues ?? 0, 'issue')}, commit ${st?.syncState?.lastCommit?.slice(0, 8) ?? '-'}`
        : `after ${st?.retryCount ?? 0} attempts, reported on ${FAILURE_ISSUE}: ${st?.lastError ?? ''}`;
      progress.note(`${s.name}: ${st?.phase} (${detail})`);
    },
  }), () => 'single, jql and epic Completed; bad-credentials Failed');

  const tokenFile = join(dir, 'status-token');
  await progress.step('status API reader token (ServiceAccount + Role + TokenRequest)', async () => {
    writeFileSync(tokenFile, `${await statusReaderToken(kc)}\n`, { mode: 0o600 });
  }, () => tokenFile);

  if (monitoring) watchAlerts(monitoring, (line) => print(`! ${line}`), () => shuttingDown);

  const info: SandboxInfo = {
    pid: process.pid,
    dir,
    keep: o.keep,
    startedInMs: progress.elapsedMs,
    kubeconfigPath: cp.kubeconfigPath,
    apiServer: cp.server,
    namespace: DEMO_NAMESPACE,
    leaseNamespace: LEASE_NAMESPACE,
    leaseName: LEASE_NAME,
    jira: { url: jira.url, email: jira.email, apiToken: jira.apiToken, project: 'PROJ', issues: o.issues, failureIssue: FAILURE_ISSUE },
    git: { baseUrl: git.server.baseUrl, repoUrl: git.repoUrl, caFile: git.caFile, credentialsFile: git.credentialsFile, username: git.server.username },
    ...(monitoring ? { prometheusUrl: monitoring.prometheusUrl, alertmanagerUrl: monitoring.alertmanagerUrl } : {}),
    alertTiming: monitoring?.alertTiming ?? 'no Prometheus',
    ...(monitoringNote ? { monitoringNote } : {}),
    traces: { url: traces.url, idsFile: traces.idsFile },
    controllers: replicas.map((r) => ({ name: r.ctl.name, url: r.ctl.url, pid: r.ctl.proc.pid ?? 0, leader: r.ctl.name === leader, logFile: r.logFile })),
    statusTokenFile: tokenFile,
    samples: samples.map((s) => ({ name: s.name, syncType: s.syncType, path: s.path, expect: s.expect, phase: reached.get(s.name)?.status?.phase ?? '?', about: s.about })),
    ports: [
      Number(new URL(cp.server).port), Number(new URL(jira.url).port), Number(new URL(git.server.baseUrl).port), traces.port,
      ...replicas.map((r) => r.ctl.port), ...(monitoring?.ports ?? []),
    ],
  };
  for (const line of renderGuide(info)) print(line);
  if (o.readyFile) {
    writeFileSync(`${o.readyFile}.tmp`, JSON.stringify(info, null, 2));
    renameSync(`${o.readyFile}.tmp`, o.readyFile);
  }
  print(`READY in ${secs(progress.elapsedMs)}`);
}

/** One sandbox per data directory: refuses to start next to a live one; wipes old data unless kept. */
function takeLock(dir: string, keep: boolean): void {
  const pidFile = join(dir, 'sandbox.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid) && commandLine(pid).includes('sandbox')) {
      throw new Error(`another sandbox (pid ${pid}) uses ${dir}; stop it first or pass --dir`);
    }
  }
  // Only a directory the sandbox made itself is ever wiped (--dir could name anything).
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER))) {
    throw new Error(`${dir} is not empty and was not made by the sandbox; pass an empty or new --dir`);
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
  // Clones cached by the last run point at a git server that no longer exists.
  rmSync(join(dir, 'cache'), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MARKER), 'Data of `npm run sandbox`; removed on exit unless --keep.\n');
  writeFileSync(pidFile, `${process.pid}\n`);
}

/** Removes the pid file if it is ours (a refused start must not remove another sandbox's). */
function releaseLock(dir: string): void {
  const pidFile = join(dir, 'sandbox.pid');
  try {
    if (readFileSync(pidFile, 'utf8').trim() === String(process.pid)) rmSync(pidFile, { force: true });
  } catch {
    /* none */
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** An error with its causes, one line (client errors carry the HTTP body in `body`). */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const msg = e instanceof Error ? e.message : String(e);
    const body = (e as { body?: unknown }).body;
    parts.push(body ? `${msg} (${typeof body === 'string' ? body : JSON.stringify(body)})`.slice(0, 500) : msg);
  }
  return parts.join(': ');
}
