/**
 * `npm run bench`: speed and memory against baselines measured in the same run, everything on
 * loopback (Jira emulator, HTTPS git server). Each case runs in its own process so that peak RSS
 * belongs to that case alone. Prints absolute numbers, ratios and whether each target is met;
 * exits 1 when a target is missed. `--quick` uses smaller sizes for a smoke run; `--only=fleet` runs
 * only the fleet cases (test/bench/fleet-bench.ts: a real API server and the controller process);
 * `--only=memory` only the large first syncs (10,000 and 100,000 issues, and 20,000 inside the
 * controller process: test/bench/controller-bench.ts); `--only=content` only the content case
 * (test/bench/content-bench.ts: comments vs default content).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const quick = process.argv.includes('--quick');
/** `--only=fleet` runs the fleet cases alone (they need a control plane and take the longest); `--only=memory` the large first syncs; `--only=content` the content case. */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
/** `--fleet=1000` picks the fleet sizes (the first is also run on two shards, unless `--no-shards`). */
const fleetArg = process.argv.find((a) => a.startsWith('--fleet='))?.slice(8);
const fleetSizes = fleetArg ? fleetArg.split(',').map(Number) : quick ? [200] : [1_000, 5_000];
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

type Row = Record<string, unknown> & { name: string; pass?: boolean };

/** The node flags of the image's entrypoint, so that the numbers describe the controller as shipped. */
const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(here('../../Dockerfile'), 'utf8'))?.[1];
const nodeFlags = (JSON.parse(entrypoint ?? '[]') as string[]).filter((a) => a.startsWith('--'));
/** The image's environment (ENV lines of the runtime stage), such as its malloc tuning. */
const imageEnv = Object.fromEntries([...readFileSync(here('../../Dockerfile'), 'utf8').split(/^FROM .* AS runtime$/m)[1].matchAll(/^ENV (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));

/** Runs a bench script in a child process and returns the JSON lines it printed. */
function runCase(script: string, args: string[]): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...new Set(['--expose-gc', ...nodeFlags]), here(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...imageEnv } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const rows = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Row);
      if (code !== 0 || rows.length === 0) reject(new Error(`${script} exited with ${code}:\n${out.slice(-2000)}`));
      else resolve(rows);
    });
  });
}

const fmt = (n: unknown, unit = '') => (typeof n === 'number' ? `${Number.isInteger(n) ? n : n.toFixed(2)}${unit}` : String(n));
const results: { title: string; lines: string[]; pass: boolean }[] = [];
function report(title: string, pass: boolean, lines: string[]): void {
  results.push({ title, lines, pass });
  console.log(`\n${pass ? 'PASS' : 'MISS'}  ${title}`);
  for (const l of lines) console.log(`      ${l}`);
}

const small = quick ? 2_000 : 10_000;
const large = quick ? 10_000 : 100_000;
/** Issues of the first sync run inside the controller process (issue 16, point 4). */
const inController = quick ? 5_000 : 20_000;
/** Peak RSS targets (MiB): the large first sync, and the one inside the controller. */
const LARGE_PEAK_TARGET = 300;
const CONTROLLER_PEAK_TARGET = 250;
/** Throughput target of the first sync of `small` issues (issues/s, on the 2-core bench machine). */
const SMALL_RATE_TARGET = 2_500;

const fleets = only === undefined || only === 'fleet' ? `, fleets of ${fleetSizes.join(' and ')} JIRASyncs` : '';
console.log(`jirasync benchmarks (${quick ? 'quick' : 'full'}${only ? `, only ${only}` : ''}): issue counts ${small} and ${large} (${inController} inside the controller)${fleets}, all servers on 127.0.0.1`);

// Issue 18: what issue files hold costs requests and throughput; compared back to back on the same data.
async function contentCase(): Promise<void> {
  const [content] = await runCase('content-bench.ts', [String(small)]);
  const plain = content.defaultContent as Row;
  const withComments = content.withComments as Row;
  report(`first sync of ${small} issues with spec.content.comments vs the default content (back to back, same data)`, Boolean(content.pass), [
    `Jira requests ${fmt(withComments.jiraRequests)} vs ${fmt(plain.jiraRequests)} → ratio ${fmt(content.requestRatio)} (target ≤ 2)`,
    `${fmt(withComments.issuesPerSecond)} vs ${fmt(plain.issuesPerSecond)} issues/s → ratio ${fmt(content.throughputRatio)} (target ≥ 0.5); ${fmt(withComments.seconds, ' s')} vs ${fmt(plain.seconds, ' s')}; peak RSS ${fmt(withComments.peakRssMiB, ' MiB')} vs ${fmt(plain.peakRssMiB, ' MiB')}`,
  ]);
}

if (only === undefined || only === 'content') await contentCase();

if (only === undefined) {
  const [git] = await runCase('git-bench.ts', [String(small)]);
  report(`git stage of ${small} files vs git fast-import (baseline, same run)`, (git.ratio as number) <= 2, [
    `stage ${fmt(git.stageSeconds, ' s')} vs fast-import ${fmt(git.fastImportSeconds, ' s')} → ratio ${fmt(git.ratio)} (target ≤ 2)`,
    `fast-import without heap trimming ${fmt(git.fastImportNoTrimSeconds, ' s')} → ratio ${fmt(git.ratioNoTrim)}`,
    `push ${fmt(git.pushSeconds, ' s')} vs git CLI push ${fmt(git.gitCliPushSeconds, ' s')}; pack ${fmt(Math.round((git.packBytes as number) / 1024), ' KiB')}; peak RSS ${fmt(git.peakRssMb, ' MB')}`,
  ]);

  const [jira] = await runCase('jira-bench.ts', [String(small)]);
  report(`Jira client layer: enumerate + bulk fetch ${small} issues`, true, [
    `${fmt(jira.issuesPerSecond)} issues/s in ${fmt(jira.seconds, ' s')} (enumerate ${fmt(jira.enumerateSeconds, ' s')}), ${fmt(jira.requests)} requests (ceil(n/5000) + ceil(n/100) + 1 identity check = ${Math.ceil(small / 5000) + Math.ceil(small / 100) + 1})`,
  ]);

  const [dc] = await runCase('jira-bench.ts', [String(small), 'datacenter']);
  report(`Jira Data Center client: classic search + key-in fetch of ${small} issues`, Boolean(dc.pass), [
    `${fmt(dc.issuesPerSecond)} issues/s in ${fmt(dc.seconds, ' s')} (enumerate ${fmt(dc.enumerateSeconds, ' s')}), ${fmt(dc.requests)} requests (target ≤ ${dc.targetFormula} = ${fmt(dc.requestTarget)})`,
  ]);

  const [first, incremental, noop] = await runCase('engine-bench.ts', [String(small)]);
  report(`first sync of ${small} issues into an empty repository`, Boolean(first.pass) && (first.seconds as number) < 30, [
    `${fmt(first.seconds, ' s')} end to end (target < 30 s), ${fmt(first.issuesPerSecond)} issues/s, peak RSS ${fmt(first.peakRssMiB, ' MiB')} (target < 300)`,
    `Jira requests ${fmt(first.jiraRequests)} (budget ceil(n/page)+5 = ${fmt(first.jiraRequestBudget)})`,
    `git stage alone is the git case above: ${fmt(git.stageSeconds, ' s')} for ${small} files`,
  ]);
  report(`no-op sync of ${small} issues`, Boolean(noop.pass), [
    `${fmt(noop.seconds, ' s')}, Jira requests ${fmt(noop.jiraRequests)} (target ≤ 2), commit ${noop.commit ?? 'none'}, pushed ${noop.pushed}`,
  ]);

  const [dcFirst, dcNoop] = await runCase('engine-bench.ts', [String(small), 'datacenter']);
  report(`first sync of ${small} issues from Jira Data Center into an empty repository`, Boolean(dcFirst.pass), [
    `${fmt(dcFirst.seconds, ' s')} end to end, ${fmt(dcFirst.issuesPerSecond)} issues/s, peak RSS ${fmt(dcFirst.peakRssMiB, ' MiB')} (target < 300)`,
    `Jira requests ${fmt(dcFirst.jiraRequests)} (budget 2·ceil(n/1000) + 5 + mentioned users = ${fmt(dcFirst.jiraRequestBudget)})`,
  ]);
  report(`no-op sync of ${small} issues from Jira Data Center`, Boolean(dcNoop.pass), [
    `${fmt(dcNoop.seconds, ' s')}, Jira requests ${fmt(dcNoop.jiraRequests)} (target ≤ 2), commit ${dcNoop.commit ?? 'none'}, pushed ${dcNoop.pushed}`,
  ]);
  void incremental;
}

if (only === undefined || only === 'memory') await memoryCases();

/**
 * Memory of large first syncs (issue 16, point 4): the 100,000-issue first sync in its own process
 * and a 20,000-issue first sync inside the controller process, each against a peak RSS target,
 * with the 10,000-issue first sync as the baseline of the same run (throughput target, and the
 * yardstick the larger ones' time and memory are compared with).
 */
async function memoryCases(): Promise<void> {
  const [base] = await runCase('engine-bench.ts', [String(small), '--first-only']);
  report(`first sync of ${small} issues: throughput (baseline of the memory cases)`, (base.issuesPerSecond as number) >= SMALL_RATE_TARGET, [
    `${fmt(base.issuesPerSecond)} issues/s (target ≥ ${SMALL_RATE_TARGET}) in ${fmt(base.seconds, ' s')}, ${fmt(base.cpuSeconds, ' s')} CPU; peak RSS ${fmt(base.peakRssMiB, ' MiB')}`,
  ]);
  const [bigFirst, bigIncremental, bigNoop] = await runCase('engine-bench.ts', [String(large)]);
  const bigPeak = bigFirst.peakRssMiB as number;
  report(`first sync of ${large} issues: peak RSS`, bigPeak < LARGE_PEAK_TARGET && (bigFirst.issuesPerSecond as number) >= 500, [
    `peak RSS ${fmt(bigPeak, ' MiB')} (target < ${LARGE_PEAK_TARGET}); ${fmt(bigPeak / (base.peakRssMiB as number))}x the ${small}-issue sync's ${fmt(base.peakRssMiB, ' MiB')} for ${large / small}x the issues`,
    `${fmt(bigFirst.seconds, ' s')}, ${fmt(bigFirst.issuesPerSecond)} issues/s (target ≥ 500), ${fmt(bigFirst.cpuSeconds, ' s')} CPU; Jira requests ${fmt(bigFirst.jiraRequests)}`,
    `scaling: ${fmt((bigFirst.seconds as number) / (base.seconds as number))}x the time for ${large / small}x the issues`,
  ]);
  const [ctl] = await runCase('controller-bench.ts', [String(inController)]);
  const ctlPeak = ctl.peakRssMiB as number;
  report(`first sync of ${inController} issues inside the controller process: peak RSS`, Boolean(ctl.pass) && ctlPeak < CONTROLLER_PEAK_TARGET, [
    `controller peak RSS (VmHWM) ${fmt(ctlPeak, ' MiB')} (target < ${CONTROLLER_PEAK_TARGET}); ${fmt(ctl.idleRssMiB, ' MiB')} idle before the sync, so the sync added ${fmt(ctlPeak - (ctl.idleRssMiB as number), ' MiB')} (${fmt(ctlPeak / (ctl.idleRssMiB as number))}x idle)`,
    `${ctl.phase} in ${fmt(ctl.seconds, ' s')} (${fmt(ctl.issuesPerSecond)} issues/s at the controller's Jira rate limit, ${fmt(ctl.cpuSeconds, ' s')} controller CPU); pushed ${fmt(ctl.files)} issue files in ${fmt(ctl.commits)} commit(s), git fsck --strict ${ctl.fsckClean ? 'clean' : 'NOT clean'}`,
  ]);
  report(`incremental sync, ${fmt(bigIncremental.changed)} changed issues in a ${large}-issue repository`, Boolean(bigIncremental.pass), [
    `${fmt(bigIncremental.seconds, ' s')} (target < 2 s), Jira requests ${fmt(bigIncremental.jiraRequests)} (target ≤ 3), peak RSS ${fmt(bigIncremental.peakRssMiB, ' MiB')}`,
    `commit touches exactly the changed files: ${bigIncremental.exactlyChangedFiles}; new objects ${fmt(bigIncremental.newObjects)} (bound ${fmt(bigIncremental.newObjectsBound)})`,
    `vs the first sync of the same repository: ${fmt((bigIncremental.seconds as number) / (bigFirst.seconds as number))}x its time`,
  ]);
  report(`no-op sync of ${large} issues`, Boolean(bigNoop.pass), [
    `${fmt(bigNoop.seconds, ' s')}, Jira requests ${fmt(bigNoop.jiraRequests)}, commit ${bigNoop.commit ?? 'none'}, pushed ${bigNoop.pushed}`,
  ]);
}

// Fleet (issue 16, point 3): many small JIRASyncs on a real API server with the controller as a
// process; each size in its own process with its own control plane, so nothing of one run is left
// for the next to list, watch or count.
const fleetIdle = quick ? 15 : 60;
/** The convergence targets: 1,000 in 2 min and 5,000 in 10 min, i.e. 120 ms per JIRASync. */
const convergeTarget = (n: number) => n * 0.12;
const fleetRows = new Map<number, Row>();
const shardN = fleetSizes[0];
async function shardCase(): Promise<void> {
  // Two shards for the smallest fleet: the same objects, half labelled sync.jira.io/shard=a.
  const [two] = await runCase('fleet-bench.ts', [String(shardN), '--shards=2', '--idle=0']);
  const one = fleetRows.get(shardN)!;
  // From the first creation: creating objects is slower on a busier API server, and the work
  // done meanwhile would flatter the measure taken from the last creation.
  const ratio = (one.totalSeconds as number) / (two.totalSeconds as number);
  report(`fleet of ${shardN} on 2 shards (SHARD=a and the default with SHARDS=a, concurrency ${two.concurrency} each)`, Boolean(two.converged) && ratio >= 1.3, [
    `${two.converged ? 'all Completed' : `NOT converged (${JSON.stringify(two.phases)})`} ${fmt(two.totalSeconds, ' s')} from the first creation vs ${fmt(one.totalSeconds, ' s')} on one shard → ratio ${fmt(ratio)} (target ≥ 1.3); from the last creation ${fmt(two.convergeSeconds, ' s')} vs ${fmt(one.convergeSeconds, ' s')}`,
    `runs: ${fmt(two.runs)} completed, ${fmt(two.failedRuns)} failed attempts, p50 ${fmt(two.runSecondsP50, ' s')}, p90 ${fmt(two.runSecondsP90, ' s')}; controllers' CPU ${(two.controllerCpuSecondsWhileConverging as number[]).map((c) => fmt(c, ' s')).join(' + ')}; load average ${fmt(two.loadAverage1m)}`,
    `CPU seconds meanwhile (2 cores × ${fmt(two.totalSeconds, ' s')} available): ${Object.entries(two.cpuSecondsWhileConverging as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ]);
}

for (const n of only === undefined || only === 'fleet' ? fleetSizes : []) {
  const [f] = await runCase('fleet-bench.ts', [String(n), `--idle=${fleetIdle}`]);
  fleetRows.set(n, f);
  const target = convergeTarget(n);
  // Counted from the first creation: all of the fleet's time, creating included.
  const conv = f.totalSeconds as number;
  report(`fleet of ${n} JIRASyncs (single, one issue each) in ${f.namespaces} namespaces, one controller, concurrency ${f.concurrency}: convergence`, Boolean(f.converged) && conv < target, [
    `${f.converged ? 'all Completed' : `NOT converged (${JSON.stringify(f.phases)})`} ${fmt(conv, ' s')} from the first creation (target < ${fmt(target, ' s')}); ${fmt(f.convergeSeconds, ' s')} from the last (creating took ${fmt(f.createSeconds, ' s')})`,
    `runs: ${fmt(f.runs)} completed, ${fmt(f.failedRuns)} failed attempts; one run p50 ${fmt(f.runSecondsP50, ' s')}, p90 ${fmt(f.runSecondsP90, ' s')}; controller CPU ${fmt((f.controllerCpuSecondsWhileConverging as number[])[0], ' s')} meanwhile; load average ${fmt(f.loadAverage1m)}`,
    `CPU seconds meanwhile (2 cores × ${fmt(f.totalSeconds, ' s')} available): ${Object.entries(f.cpuSecondsWhileConverging as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    ...((f.failures as string[]).length ? [`not Completed, e.g. ${(f.failures as string[]).join('; ')}`] : []),
  ]);
  if (f.idleSeconds !== undefined) {
    const cpu = (f.cpuPercent as number[])[0];
    const rss = (f.rssMaxMiB as number[])[0];
    const nonLease = f.nonLeaseRequestsPerSecond as number;
    report(`fleet of ${n}: ${fmt(f.idleSeconds, ' s')} idle after convergence`, cpu < 2 && rss < 300 && nonLease < 0.1, [
      `controller CPU ${fmt(cpu, '%')} of one core (target < 2%), max RSS ${fmt(rss, ' MiB')} (target < 300 MiB${n === 5000 ? '' : ', set for 5,000'}; ${fmt((f.rssAtConvergenceMiB as number[])[0], ' MiB')} at convergence)`,
      `API server: ${fmt(f.apiRequestsPerSecond, '/s')} requests, ${fmt(f.leaseRequestsPerSecond, '/s')} on leases; on the controller's other resources (JIRASyncs, Secrets, Events, reviews): ${fmt(nonLease, '/s')} (target < 0.1/s)`,
      `by verb and resource (/s): ${Object.entries(f.apiRates as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
      ...((f.idleMemory as Record<string, number>[] | undefined) ?? []).map((m) => `where the RSS is: V8 heap ${fmt(m.heapUsedMiB, ' MiB')} used of ${fmt(m.heapTotalMiB, ' MiB')}, external ${fmt(m.externalMiB, ' MiB')}; ${fmt(m.jirasyncSeries)} jirasync_ series exported`),
    ]);
  }
  // The shard comparison comes right after the fleet it is compared with.
  if (n === shardN && !process.argv.includes('--no-shards')) await shardCase();
}

const missed = results.filter((r) => !r.pass);
console.log(`\n${results.length - missed.length} targets met, ${missed.length} missed`);
process.exitCode = missed.length ? 1 : 0;
