/**
 * Smoke test of `npm run sandbox`: starts the real sandbox (a small sample project), then checks
 * from outside what its guide promises — sample phases in the API server, the synced repository
 * with the git CLI, the failure comment in the Jira emulator, the alert in Alertmanager, the status
 * API with the printed token — running the printed command lines themselves where it can; then
 * Ctrl-C (SIGINT) must stop everything: no descendant process, no listening port, no data left.
 */
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { JIRASync } from '../../controller/api/jirasync.ts';
import { alive, commandLine, descendants } from './processes.ts';
import type { SandboxInfo } from './report.ts';
import { sampleDifferences, toolSamples, type ToolSample } from '../docs/markdown.ts';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./sandbox.ts', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'jirasync-sandbox-test-'));
const dataDir = join(work, 'data');
const readyFile = join(work, 'ready.json');

const child = spawn(process.execPath, [script, '--issues', '60', '--wait', '240', '--dir', dataDir, '--ready-file', readyFile], {
  cwd: repoRoot,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
child.stdout.on('data', (d: Buffer) => (output += d.toString()));
child.stderr.on('data', (d: Buffer) => (output += d.toString()));
const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
let seenPids: number[] = [];

t.teardown(async () => {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  }
  for (const pid of seenPids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

/** Waits for the ready file (bounded), failing at once if the sandbox exits. */
async function ready(ms: number): Promise<SandboxInfo> {
  const deadline = Date.now() + ms;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`the sandbox exited with ${child.exitCode} before it was ready:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the sandbox was not ready after ${ms / 1000} s:\n${output}`);
    await sleep(500);
  }
  return JSON.parse(readFileSync(readyFile, 'utf8')) as SandboxInfo;
}

/** Runs printed guide lines in bash from the repository root, as a user would paste them. */
async function paste(lines: string[]): Promise<string> {
  const { stdout } = await run('bash', ['-eu', '-c', lines.join('\n')], {
    cwd: repoRoot, env: { PATH: process.env.PATH, HOME: work, TMPDIR: work, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
  });
  return stdout;
}

/** The guide line matching `re` (without its indentation and trailing comment). */
function guideLine(re: RegExp): string {
  const line = output.split('\n').find((l) => re.test(l));
  if (!line) throw new Error(`no line matching ${re} in the sandbox output:\n${output}`);
  return line.trim().replace(/\s+# .*$/, '');
}

// Bounded so the whole file stays within tap's 600 s: start ≤ 360 s, alert ≤ 150 s, the rest seconds.
const info = await ready(360_000);
seenPids = descendants(child.pid!);

t.test('the sandbox prints each step with its timing and a guide', async (t) => {
  t.match(output, /✓ control plane \(etcd \+ kube-apiserver\): https:\/\/127\.0\.0\.1:\d+ \(\d+\.\d s\)/);
  t.match(output, /✓ controller replica controller-b: http:\/\/127\.0\.0\.1:\d+ \(pid \d+\) \(\d+\.\d s\)/);
  t.match(output, new RegExp(`export KUBECONFIG=${info.kubeconfigPath}`));
  t.match(output, /kubectl get jirasync -n demo -w/);
  t.match(output, /scripts\/monitor-sync\.sh -n demo /);
  t.match(output, /shortened to 30s in memory/);
  t.notMatch(output, new RegExp(readFileSync(info.statusTokenFile, 'utf8').trim()), 'the status token is not printed');
  t.equal(info.controllers.length, 2);
  t.equal(info.controllers.filter((c) => c.leader).length, 1, 'exactly one replica leads');
});

t.test('samples reach their phases in the API server, as kubectl shows them', async (t) => {
  const { stdout } = await run('kubectl', ['--kubeconfig', info.kubeconfigPath, 'get', 'jirasync', '-n', 'demo', '-o', 'json']);
  const items = (JSON.parse(stdout) as { items: JIRASync[] }).items;
  const by = new Map(items.map((o) => [o.metadata.name, o]));
  t.same([...by.keys()].sort(), ['bad-credentials', 'epic', 'jql', 'single']);
  t.equal(by.get('single')?.status?.phase, 'Completed');
  t.equal(by.get('epic')?.status?.phase, 'Completed');
  // jql is scheduled every 2 minutes: it may be in its next run right now, after a success.
  t.ok(by.get('jql')?.status?.phase === 'Completed' || (by.get('jql')?.status?.phase === 'Running' && by.get('jql')?.status?.syncState?.lastSyncTime), 'jql has completed');
  t.ok(by.get('jql')?.status?.nextRunTime, 'jql has a next run time');
  const bad = by.get('bad-credentials')?.status;
  t.equal(bad?.phase, 'Failed');
  t.equal(bad?.retryCount, 3, 'the first run and two retries');
  t.equal(bad?.jiraReport?.state, 'Reported');
  t.match(bad?.lastError ?? '', /401|credentials/);
  const lease = await run('kubectl', ['--kubeconfig', info.kubeconfigPath, 'get', 'lease', '-n', 'jirasync-system', 'jirasync-leader', '-o', 'jsonpath={.spec.holderIdentity}']);
  t.match(lease.stdout, new RegExp(`^${info.controllers.find((c) => c.leader)!.name}_`), 'the Lease names the replica the guide calls leader');
});

t.test('the printed clone commands give the synced files', async (t) => {
  const objs = JSON.parse((await run('kubectl', ['--kubeconfig', info.kubeconfigPath, 'get', 'jirasync', '-n', 'demo', '-o', 'json'])).stdout) as { items: JIRASync[] };
  const processed = (name: string) => objs.items.find((o) => o.metadata.name === name)?.status?.syncState?.processedIssues ?? -1;
  const out = await paste([
    guideLine(/^\s+dest=\$\(mktemp -d\)\/demo$/),
    guideLine(/git -c credential\.helper='store --file=.*' clone /),
    guideLine(/git -C "\$dest" log --oneline/),
    'echo "DEST=$dest"',
  ]);
  const dest = /DEST=(.*)/.exec(out)![1];
  const list = (sub: string) => (existsSync(join(dest, sub)) ? readdirSync(join(dest, sub)).sort() : []);
  const single = info.samples.find((s) => s.name === 'single')!.about.match(/PROJ-\d+/)![0];
  const epic = info.samples.find((s) => s.name === 'epic')!.about.match(/PROJ-\d+/)![0];
  t.same(list('single/projects/PROJ/issues'), [`${single}.yaml`]);
  t.match(readFileSync(join(dest, 'single/projects/PROJ/issues', `${single}.yaml`), 'utf8'), new RegExp(`^key: ${single}\\n`));
  t.ok(list('epic/projects/PROJ/issues').includes(`${epic}.yaml`), 'the epic itself is synced');
  t.equal(list('epic/projects/PROJ/issues').length, processed('epic'), 'one file per processed issue of the epic');
  t.ok(processed('jql') > 0, 'the query matched issues');
  t.equal(list('jql/projects/PROJ/issues').length, processed('jql'), 'one file per processed issue of the query');
  t.notOk(existsSync(join(dest, 'bad-credentials')), 'the failing sample wrote nothing');
  t.match(out, /[0-9a-f]{7,} /, 'git log shows the sync commits');
});

t.test('the failing sample commented on OPS-1 and moved it to the fallback status', async (t) => {
  const comments = (await (await fetch(`${info.jira.url}/_emulator/issues/OPS-1/comments`)).json()) as { body: unknown }[];
  t.equal(comments.length, 1, 'exactly one comment');
  t.match(JSON.stringify(comments[0].body), /demo\/bad-credentials/);
  t.notMatch(JSON.stringify(comments[0].body), /not-the-right-token/, 'no secret in the comment');
  const issue = (await (await fetch(`${info.jira.url}/_emulator/issues/OPS-1`)).json()) as { status: string };
  t.equal(issue.status, 'Blocked', 'OPS has no "Failed": the fallback transition was used');
  t.match(await paste([guideLine(/_emulator\/issues\/OPS-1\/comments/)]), /bad-credentials/, 'the printed curl line shows it');
});

t.test('the status API answers the printed token and refuses a request without one', async (t) => {
  const body = JSON.parse(await paste([guideLine(/syncs\/jql\/status \| jq \.$/)])) as { data: { phase: string } };
  t.match(body.data.phase, /^(Completed|Running)$/);
  const names = await paste([guideLine(/api\/v1\/syncs \| jq/)]);
  t.same(names.trim().split('\n').sort(), ['"bad-credentials"', '"epic"', '"jql"', '"single"']);
  const res = await fetch(`${info.controllers[1].url}/api/v1/namespaces/demo/syncs/jql/status`);
  t.equal(res.status, 401);
});

t.test('JIRASyncFailed for the failing sample reaches Alertmanager', async (t) => {
  const deadline = Date.now() + 150_000;
  type AmAlert = { labels: Record<string, string>; status: { state: string } };
  let alerts: AmAlert[] = [];
  for (;;) {
    alerts = (await (await fetch(`${info.alertmanagerUrl}/api/v2/alerts`)).json()) as AmAlert[];
    if (alerts.some((a) => a.labels.alertname === 'JIRASyncFailed')) break;
    if (Date.now() > deadline) break;
    await sleep(2000);
  }
  const failed = alerts.filter((a) => a.labels.alertname === 'JIRASyncFailed');
  const have = alerts.map((a) => `${a.labels.alertname} ${a.labels.namespace ?? ''}/${a.labels.name ?? ''}`).join(', ');
  t.same(failed.map((a) => [a.labels.namespace, a.labels.name, a.labels.severity, a.status.state]), [['demo', 'bad-credentials', 'warning', 'active']],
    `one active JIRASyncFailed for demo/bad-credentials (Alertmanager has: ${have})`, failed.length === 0 ? { diagnostics: await prometheusView() } : {});
  t.match(await paste([guideLine(/api\/v2\/alerts \| jq/)]), /JIRASyncFailed/, 'the printed curl line shows it');
});

t.test('Prometheus shows an exemplar with the trace id of a run, as the printed query_exemplars line shows', async (t) => {
  const line = guideLine(/api\/v1\/query_exemplars\?query=jirasync_processing_duration_seconds_bucket/);
  // The samples finished before the guide was printed; the next scrape (every 10 s) brings their exemplars.
  let out = '';
  for (const deadline = Date.now() + 60_000; ; await sleep(2000)) {
    out = await paste([line]);
    if (/^\w+ [0-9a-f]{32} [\d.]+$/m.test(out) || Date.now() > deadline) break;
  }
  const exemplars = [...out.matchAll(/^(\w+) ([0-9a-f]{32}) ([\d.e+-]+)$/gm)].map((m) => ({ syncType: m[1], traceId: m[2], seconds: Number(m[3]) }));
  t.ok(exemplars.length > 0, 'at least one run-duration exemplar with a trace id', { output: out });
  t.ok(exemplars.every((e) => ['single', 'jql', 'epic'].includes(e.syncType) && e.seconds >= 0), 'for the samples\' sync types, with a duration');
  const sent = readFileSync(info.traces.idsFile, 'utf8').split('\n');
  t.ok(exemplars.some((e) => sent.includes(e.traceId)), 'an exemplar names a run whose trace the controllers sent');
  const om = await paste([guideLine(/Accept: application\/openmetrics-text/)]);
  t.match(om, /_bucket\{.*\} \d+ # \{trace_id="[0-9a-f]{32}"\}/, 'the leader\'s OpenMetrics scrape shows the exemplars');
});

t.test("the README's tool samples are what the tools print here", async (t) => {
  const samples = toolSamples(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
  t.ok(samples.length >= 6, 'a sample for each tool');
  const env = { PATH: process.env.PATH, HOME: work, TMPDIR: work, KUBECONFIG: info.kubeconfigPath };
  const sh = (command: string) => spawn('bash', ['-c', command], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const runSample = async (s: ToolSample) => {
    const c = sh(s.command);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number>((resolve) => c.once('exit', (code) => resolve(code ?? -1)));
    if (s.while) {
      await sleep(2000);
      await new Promise((resolve) => sh(s.while!).once('exit', resolve));
    }
    return { code: await done, stdout, stderr };
  };
  for (const s of samples) {
    // jql re-runs every 2 minutes; the samples show the namespace at rest. A run can still start
    // between this check and the command, so a mismatch is tried once more.
    let diff: string[] = [];
    let got = { code: 0, stdout: '', stderr: '' };
    for (let attempt = 0; attempt < 2; attempt++) {
      await idle();
      got = await runSample(s);
      diff = sampleDifferences(s, got.stdout, got.code);
      if (diff.length === 0) break;
    }
    t.same(diff, [], `README line ${s.line}: ${s.command}`, diff.length ? { stdout: got.stdout, stderr: got.stderr } : {});
  }
});

/** Waits (bounded) until no sample is Running. */
async function idle(): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(500)) {
    const { stdout } = await run('kubectl', ['--kubeconfig', info.kubeconfigPath, 'get', 'jirasync', '-n', 'demo', '-o', 'jsonpath={.items[*].status.phase}']);
    if (!stdout.includes('Running')) return;
  }
}

t.test('SIGINT stops everything: no process, no listening port, no data left', async (t) => {
  seenPids = [...new Set([...seenPids, ...descendants(child.pid!)])];
  t.ok(seenPids.length >= 6, `the sandbox runs its processes as children (${seenPids.length})`);
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const how = await exited;
  clearTimeout(timer);
  t.same(how, { code: 0, signal: null }, 'exits 0 on its own');
  t.match(output, /Sandbox stopped\./);
  t.same(seenPids.filter(alive).map((p) => `${p} ${commandLine(p)}`), [], 'no child process is left');
  const mentions = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && commandLine(Number(p)).includes(dataDir));
  t.same(mentions, [], 'no process mentions the data directory');
  const open: number[] = [];
  for (const port of info.ports) if (await accepts(port)) open.push(port);
  t.same(open, [], `none of the ports ${info.ports.join(', ')} accepts connections`);
  t.notOk(existsSync(dataDir), 'the data directory is removed without --keep');
  t.notOk(existsSync(readyFile), 'the ready file is removed');
});

/** What Prometheus saw, for a failure message: targets, alerts, the phase series. */
async function prometheusView(): Promise<unknown> {
  const get = async (path: string) => {
    try {
      return ((await (await fetch(`${info.prometheusUrl}${path}`)).json()) as { data: unknown }).data;
    } catch (err) {
      return String(err);
    }
  };
  return {
    targets: await get('/api/v1/targets?state=active'),
    alerts: await get('/api/v1/alerts'),
    phases: await get(`/api/v1/query?query=${encodeURIComponent('jirasync_phase_info')}`),
    notifiers: await get('/api/v1/alertmanagers'),
    sandboxOutput: output.split('\n').filter((l) => l.startsWith('!')),
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.setTimeout(2000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}
