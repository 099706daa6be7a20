/**
 * Progress and ETA from what the engine reports: pure arithmetic, easy to table-test.
 * Percentage counts whole operations done plus the issue fraction of the current one; the ETA
 * comes from the observed issue rate and is omitted while the rate is unknown.
 */
import type { Progress } from '../api/jirasync.ts';

/** What status needs of the engine's progress report (declared here: status/ depends on api/ only). */
export interface EngineProgress {
  operation: string;
  completedOperations: number;
  totalOperations: number;
  totalIssues?: number;
  processedIssues: number;
  successfulIssues: number;
  failedIssues: number;
}

/** Operations whose duration scales with the issues processed. */
const ISSUE_OPERATIONS = new Set(['fetch-issues', 'write-files']);

export function percentage(p: EngineProgress): number {
  if (p.totalOperations <= 0) return 0;
  let fraction = 0;
  if (ISSUE_OPERATIONS.has(p.operation) && p.totalIssues && p.totalIssues > 0) {
    fraction = Math.min(1, p.processedIssues / p.totalIssues);
  }
  const pct = Math.floor((100 * (p.completedOperations + fraction)) / p.totalOperations);
  // 100 only when the run is over; a running sync never claims to be done.
  return Math.max(0, Math.min(99, pct));
}

/**
 * Estimated completion from the issue rate since the run started. Undefined until at least one
 * issue was processed and the total is known.
 */
export function estimateCompletion(p: EngineProgress, startTime: Date, now: Date): Date | undefined {
  const total = p.totalIssues;
  if (!total || p.processedIssues <= 0) return undefined;
  const elapsed = now.getTime() - startTime.getTime();
  if (elapsed <= 0) return undefined;
  const remaining = Math.max(0, total - p.processedIssues);
  const perIssue = elapsed / p.processedIssues;
  // Commit and push take roughly what a few percent of the issues took; keep the estimate honest.
  const tail = perIssue * Math.max(1, total * 0.02);
  return new Date(now.getTime() + remaining * perIssue + tail);
}

/** The status.progress block for a running sync. */
export function progressStatus(p: EngineProgress, startTime: Date, now: Date): Progress {
  const eta = estimateCompletion(p, startTime, now);
  return {
    percentage: percentage(p),
    currentOperation: p.operation,
    totalOperations: p.totalOperations,
    completedOperations: p.completedOperations,
    ...(eta ? { estimatedCompletion: eta.toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
  };
}
