/**
 * One sync in its own process, for the benchmark: the process's peak RSS (maxRSS) is then the
 * peak of exactly one sync, free of the emulator and git server running in the parent.
 * Usage: node test/bench/sync-once.ts CONFIG.json — prints one JSON line (SyncOnceReport).
 */
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { writeHeapSnapshot } from 'node:v8';
import type { JIRASyncSpec } from '../../controller/api/jirasync.ts';
import type { GitTarget } from '../../controller/git/destination.ts';
import { createGitDestination } from '../../controller/git/git.ts';
import { createJiraSource, createLimiter } from '../../controller/jira/jira.ts';
import { createLogger } from '../../controller/observability/log.ts';
import { runSync, type SyncResult } from '../../controller/sync/engine.ts';

export interface SyncOnceConfig {
  /** Cloud: email + apiToken; Data Center: a personal access token. */
  jira: { baseUrl: string; email?: string; apiToken?: string; token?: string };
  target: GitTarget;
  spec: JIRASyncSpec;
  owner: { namespace: string; name: string };
  fullScan?: boolean;
  lastFullScanTime?: string;
  /**
   * A small sync run first and not measured, so the measured one runs warm as in a controller
   * that has been up for a while (modules loaded, code compiled, connections known).
   */
  warmup?: { target: GitTarget; spec: JIRASyncSpec };
}

export interface SyncOnceReport {
  /** Open (fetch into the cache) + sync + commit + push, in seconds. */
  seconds: number;
  /** CPU time (user + system) of the measured sync, in seconds: less sensitive to a busy machine. */
  cpuSeconds: number;
  /** Peak resident set size of this process, in MiB. */
  peakRssMiB: number;
  /** HTTP requests the Jira layer made. */
  jiraRequests: number;
  result: SyncResult;
}

const config = JSON.parse(await readFile(process.argv[2], 'utf8')) as SyncOnceConfig;
const j = config.jira;
const source = createJiraSource(
  { baseUrl: j.baseUrl, credentials: j.token ? { kind: 'bearer', token: j.token } : { kind: 'basic', email: j.email ?? '', apiToken: j.apiToken ?? '' } },
  // No pacing: the bench measures the sync, not the production rate cap.
  { limiter: createLimiter({ maxConcurrent: 6, requestsPerSecond: Infinity }) },
);
const log = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const mib = (n: number) => Math.round(n / 2 ** 20);
// BENCH_TRACE=1 prints each phase (sync operations and git steps) with memory at its start and
// the highest RSS sampled while it ran (stderr), to see where the time and the peak go.
const tracing = Boolean(process.env.BENCH_TRACE);
let phase = 'start';
let phasePeak = 0;
const sampler = tracing ? setInterval(() => (phasePeak = Math.max(phasePeak, process.memoryUsage.rss())), 10) : undefined;
sampler?.unref();
let started = performance.now();
const trace = (what: string) => {
  if (!tracing) return;
  // BENCH_TRACE=gc collects first, so heap= is what is live (and the peaks are no longer natural).
  if (process.env.BENCH_TRACE === 'gc') (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const peak = Math.max(phasePeak, m.rss);
  process.stderr.write(`${((performance.now() - started) / 1000).toFixed(3)}s ${what} (peak during ${phase}: ${mib(peak)}MiB) rss=${mib(m.rss)}MiB heap=${mib(m.heapUsed)}/${mib(m.heapTotal)}MiB ext=${mib(m.external)}MiB ab=${mib(m.arrayBuffers)}MiB\n`);
  phase = what;
  phasePeak = m.rss;
  if (process.env.BENCH_SNAPSHOT === what) process.stderr.write(`heap snapshot ${writeHeapSnapshot()}\n`);
};
const destination = createGitDestination(
  {
    wrap: async (info, call) => {
      trace(`git ${info.operation}`);
      try {
        return await call();
      } finally {
        trace(`git ${info.operation} done`);
      }
    },
  },
  { log, ...(process.env.BENCH_NO_WORKER ? { deflateWorker: false } : {}) },
);
if (config.warmup) {
  const warm = await destination.open(config.warmup.target);
  await runSync({ owner: config.owner, spec: config.warmup.spec }, { source, checkout: warm }, () => {});
}
const requestsBefore = source.requestCount();
const cpuBefore = process.cpuUsage();
started = performance.now();
trace('measured sync');
const checkout = await destination.open(config.target);
trace('opened');
let last = '';
let chunks = 0;
const result = await runSync({ owner: config.owner, spec: config.spec, fullScan: config.fullScan, lastFullScanTime: config.lastFullScanTime }, { source, checkout }, (p) => {
  if (p.operation !== last) trace((last = p.operation));
  else if (p.operation === 'fetch-issues' && ++chunks % 20 === 0) trace(`fetch-issues ${p.processedIssues}`);
});
trace('done');
const report: SyncOnceReport = {
  seconds: (performance.now() - started) / 1000,
  cpuSeconds: (() => {
    const c = process.cpuUsage(cpuBefore);
    return (c.user + c.system) / 1e6;
  })(),
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  jiraRequests: source.requestCount() - requestsBefore,
  result: { ...result, failures: result.failures.slice(0, 3) },
};
process.stdout.write(`${JSON.stringify(report)}\n`);
