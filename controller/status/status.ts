/**
 * The one place that decides phase and conditions. The reconciler describes what happened as an
 * Outcome; this module turns it into the next status from the previous one. Nobody else writes a
 * phase or a condition.
 */
import { CONDITION_TYPES as C, type JIRASyncStatus, type Phase } from '../api/jirasync.ts';
import { FAILURE_REASONS, STATE_REASONS, type FailureReason } from '../api/reasons.ts';
import { setCondition, type ConditionInput } from './conditions.ts';
import { progressStatus, type EngineProgress } from './progress.ts';

/** Every condition reason, CamelCase, stable: scripts and alerts match on them. */
export const REASONS = {
  ...STATE_REASONS,
  ...(Object.fromEntries(Object.keys(FAILURE_REASONS).map((r) => [r, r])) as { [R in FailureReason]: R }),
};

/** What status needs of a finished run (declared here: status/ depends on api/ only). */
export interface EngineResult {
  /** Pushed by this run. */
  commit?: string;
  /** The branch head after the run (what status.syncState.lastCommit names). */
  head?: string;
  added: number;
  updated: number;
  removed: number;
  totalIssues: number;
  processedIssues: number;
  successfulIssues: number;
  failedIssues: number;
  cursor?: string;
  lastFullScanTime?: string;
}

export type Outcome =
  | { kind: 'pending'; message: string }
  | { kind: 'running'; progress: EngineProgress; startTime: Date; configHash: string; requestedAt?: string }
  | { kind: 'succeeded'; result: EngineResult; startTime: Date; configHash: string; nextRunTime?: Date; requestedAt?: string }
  | { kind: 'retrying'; reason: FailureReason; error: string; retryCount: number; maxRetries: number; nextRunTime: Date; requestedAt?: string }
  /** A wait that does not count as a retry (rate limited): Pending until nextRunTime. */
  | { kind: 'waiting'; reason: FailureReason; error: string; nextRunTime: Date; requestedAt?: string }
  /** `exhausted`: a retryable failure that used up retryPolicy.maxRetries (Stalled says RetriesExhausted). */
  | { kind: 'failed'; reason: FailureReason; exhausted?: boolean; error: string; retryCount: number; requestedAt?: string }
  | { kind: 'suspended' };

export interface StatusContext {
  generation: number | undefined;
  now: Date;
}

/** The next status after `outcome`, keeping what the outcome does not speak about. */
export function nextStatus(prev: JIRASyncStatus | undefined, outcome: Outcome, ctx: StatusContext): JIRASyncStatus {
  const { now, generation } = ctx;
  const s: JIRASyncStatus = structuredClone(prev ?? {});
  s.observedGeneration = generation;
  s.lastStatusUpdate = iso(now);
  let phase: Phase;
  const conds: ConditionInput[] = [];

  switch (outcome.kind) {
    case 'pending': {
      phase = 'Pending';
      conds.push(
        { type: C.Ready, status: 'False', reason: REASONS.Waiting, message: outcome.message },
        { type: C.Processing, status: 'False', reason: REASONS.Idle, message: outcome.message },
      );
      break;
    }
    case 'running': {
      phase = 'Running';
      const p = outcome.progress;
      s.progress = progressStatus(p, outcome.startTime, now);
      s.syncState = {
        ...s.syncState,
        startTime: iso(outcome.startTime),
        totalIssues: p.totalIssues ?? 0,
        processedIssues: p.processedIssues,
        successfulIssues: p.successfulIssues,
        failedIssues: p.failedIssues,
        configHash: outcome.configHash,
      };
      const counts = p.totalIssues !== undefined ? ` (${p.processedIssues}/${p.totalIssues} issues)` : '';
      conds.push(
        { type: C.Ready, status: 'False', reason: REASONS.SyncInProgress, message: `Sync ${s.progress.percentage}% complete${counts}` },
        { type: C.Processing, status: 'True', reason: REASONS.SyncActive, message: `Running ${p.operation}` },
        {
          type: C.Progressing,
          status: 'True',
          reason: REASONS.ProgressMade,
          message: p.totalIssues !== undefined
            ? `Processed ${p.processedIssues} of ${p.totalIssues} issues, ${Math.max(0, p.totalIssues - p.processedIssues)} remaining`
            : `Running ${p.operation}`,
        },
        { type: C.Stalled, status: 'False', reason: REASONS.NotStalled, message: 'Sync is running' },
      );
      break;
    }
    case 'succeeded': {
      phase = 'Completed';
      const r = outcome.result;
      s.progress = { percentage: 100, currentOperation: 'done', totalOperations: s.progress?.totalOperations ?? 5, completedOperations: s.progress?.totalOperations ?? 5 };
      s.syncState = {
        ...s.syncState,
        startTime: iso(outcome.startTime),
        totalIssues: r.totalIssues,
        processedIssues: r.processedIssues,
        successfulIssues: r.successfulIssues,
        failedIssues: r.failedIssues,
        lastSyncTime: iso(now),
        configHash: outcome.configHash,
        ...(r.cursor ? { cursor: r.cursor } : {}),
        ...(r.lastFullScanTime ? { lastFullScanTime: r.lastFullScanTime } : {}),
        ...((r.head ?? r.commit) ? { lastCommit: r.head ?? r.commit } : {}),
        lastRunChanges: { added: r.added, updated: r.updated, removed: r.removed },
      };
      s.retryCount = 0;
      delete s.lastError;
      const change = r.commit ? `commit ${r.commit.slice(0, 12)}: ${r.added} added, ${r.updated} updated, ${r.removed} removed` : 'no changes';
      const partial = r.failedIssues > 0 ? `; ${r.failedIssues} issues could not be written` : '';
      conds.push(
        { type: C.Ready, status: 'True', reason: REASONS.Succeeded, message: `Synced ${r.successfulIssues} issues (${change})${partial}` },
        { type: C.Processing, status: 'False', reason: REASONS.Idle, message: 'No sync running' },
        { type: C.Progressing, status: 'False', reason: REASONS.Succeeded, message: `Sync finished, ${change}` },
        { type: C.Stalled, status: 'False', reason: REASONS.NotStalled, message: 'Last sync succeeded' },
      );
      break;
    }
    case 'retrying': {
      phase = 'Pending';
      s.retryCount = outcome.retryCount;
      s.lastError = outcome.error;
      const when = iso(outcome.nextRunTime);
      conds.push(
        { type: C.Ready, status: 'False', reason: outcome.reason, message: `${outcome.error} (retry ${outcome.retryCount}/${outcome.maxRetries} at ${when})` },
        { type: C.Processing, status: 'False', reason: REASONS.RetryScheduled, message: `Retry ${outcome.retryCount}/${outcome.maxRetries} at ${when}` },
        { type: C.Progressing, status: 'False', reason: REASONS.RetryScheduled, message: `Waiting to retry after: ${outcome.error}` },
        { type: C.Stalled, status: 'False', reason: REASONS.RetryScheduled, message: `Retrying (${outcome.retryCount}/${outcome.maxRetries})` },
      );
      break;
    }
    case 'waiting': {
      phase = 'Pending';
      s.lastError = outcome.error;
      const when = iso(outcome.nextRunTime);
      conds.push(
        { type: C.Ready, status: 'False', reason: outcome.reason, message: `${outcome.error} (waiting until ${when}; not counted as a retry)` },
        { type: C.Processing, status: 'False', reason: REASONS.Waiting, message: `Waiting until ${when}` },
        { type: C.Progressing, status: 'False', reason: REASONS.Waiting, message: `Waiting after: ${outcome.error}` },
        { type: C.Stalled, status: 'False', reason: REASONS.Waiting, message: `Waiting until ${when}` },
      );
      break;
    }
    case 'failed': {
      phase = 'Failed';
      s.retryCount = outcome.retryCount;
      s.lastError = outcome.error;
      const stall = outcome.exhausted ? REASONS.RetriesExhausted : outcome.reason;
      conds.push(
        { type: C.Ready, status: 'False', reason: outcome.reason, message: outcome.error },
        { type: C.Processing, status: 'False', reason: REASONS.Idle, message: 'No sync running' },
        { type: C.Progressing, status: 'False', reason: stall, message: stallAdvice(outcome.reason, outcome.exhausted === true) },
        { type: C.Stalled, status: 'True', reason: stall, message: outcome.error },
      );
      break;
    }
    case 'suspended': {
      phase = 'Suspended';
      conds.push(
        { type: C.Ready, status: 'False', reason: REASONS.Suspended, message: 'Sync is suspended (spec.suspend is true)' },
        { type: C.Processing, status: 'False', reason: REASONS.Suspended, message: 'Suspended' },
        { type: C.Stalled, status: 'False', reason: REASONS.Suspended, message: 'Suspended by the user' },
      );
      break;
    }
  }

  s.phase = phase;
  if ('nextRunTime' in outcome && outcome.nextRunTime) s.nextRunTime = iso(outcome.nextRunTime);
  else if (outcome.kind !== 'running') delete s.nextRunTime;
  if ('requestedAt' in outcome && outcome.requestedAt !== undefined) s.lastHandledRequestedAt = outcome.requestedAt;
  for (const c of conds) s.conditions = setCondition(s.conditions, c, generation, now);
  return s;
}

function stallAdvice(reason: FailureReason, exhausted: boolean): string {
  const fix = FAILURE_REASONS[reason].help;
  return exhausted ? `Retries exhausted (${reason}): ${fix} Then edit the spec or request a sync (sync.jira.io/requestedAt).` : fix;
}

/** RFC 3339 without milliseconds, as Kubernetes writes times. */
export function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
