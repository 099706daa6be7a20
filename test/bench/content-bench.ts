/**
 * Benchmark of issue 18's content: the first sync of an N-issue project with `spec.content.comments`
 * against the same sync with the default content, back to back on identical emulators (same seed),
 * each measured sync in its own process (engine-bench.ts). Targets: at most 2x the Jira requests
 * and at least 50% of the throughput of the default content.
 *
 * test/bench/run.ts runs it; alone: `npx node test/bench/content-bench.ts [issues]`.
 */
import type { JIRASyncSpec } from '../../controller/api/jirasync.ts';
import { benchFirstSync, prepareEngineBench, type FirstSyncResult } from './engine-bench.ts';

export interface ContentBenchResult {
  name: 'content-comments';
  issues: number;
  defaultContent: Pick<FirstSyncResult, 'seconds' | 'issuesPerSecond' | 'jiraRequests' | 'peakRssMiB'>;
  withComments: Pick<FirstSyncResult, 'seconds' | 'issuesPerSecond' | 'jiraRequests' | 'peakRssMiB'>;
  requestRatio: number;
  throughputRatio: number;
  pass: boolean;
}

async function firstSync(issues: number, extra: Partial<JIRASyncSpec>): Promise<FirstSyncResult> {
  const b = await prepareEngineBench(issues, 'cloud', extra);
  try {
    return await benchFirstSync(b);
  } finally {
    await b.stop();
  }
}

const pick = (r: FirstSyncResult) => ({ seconds: r.seconds, issuesPerSecond: r.issuesPerSecond, jiraRequests: r.jiraRequests, peakRssMiB: r.peakRssMiB });

export async function runContentBench(issues = 10_000): Promise<ContentBenchResult> {
  const plain = await firstSync(issues, {});
  const commented = await firstSync(issues, { content: { comments: { maxPerIssue: 100 } } });
  const requestRatio = Number((commented.jiraRequests / plain.jiraRequests).toFixed(2));
  const throughputRatio = Number((commented.issuesPerSecond / plain.issuesPerSecond).toFixed(2));
  return {
    name: 'content-comments',
    issues,
    defaultContent: pick(plain),
    withComments: pick(commented),
    requestRatio,
    throughputRatio,
    pass: requestRatio <= 2 && throughputRatio >= 0.5 && commented.failedIssues === 0,
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await runContentBench(Number(process.argv[2] ?? 10_000))));
}
