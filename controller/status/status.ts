/**
 * The one place that decides phase and conditions. The reconciler describes what happened as an
 * Outcome; this module turns it into the next status from the previous one. Nobody else writes a
 * phase or a condition.
 */
import { CONDITION_TYPES as C, type JIRASyncStatus, type Phase } from '../api/jirasync.ts';
import { setCondition, type ConditionInput } from './conditions.ts';
import { progressStatus, type EngineProgress } from './progress.ts';
import type { SyncResult } from '../sync/engine.ts';

/** Reasons, CamelCase, stable: scripts and alerts match on them. */
export const REASONS = {
  Succeeded: 'Succeeded',
  SyncInProgress: 'SyncInProgress',
  SyncActive: 'SyncActive',
  ProgressMade: 'ProgressMade',
  Idle: 'Idle',
  SyncFailed: 'SyncFailed',
  RetryScheduled: 'RetryScheduled',
  RetriesExhausted: 'RetriesExhausted',
  Suspended: 'Suspended',
  Waiting: 'Waiting',
  InvalidSpec: 'InvalidSpec',
  SecretNotFound: 'SecretNotFound',
  SecretInvalid: 'SecretInvalid',
  OwnershipConflict: 'OwnershipConflict',
  NotStalled: 'NotStalled',
} as const;

export type StallReason = 'InvalidSpec' | 'SecretNotFound' | 'SecretInvalid' | 'OwnershipConflict' | 'RetriesExhausted';

/** What the engine reports when a run ends well. */
export type EngineResult = Pick<SyncResult, 'commit' | 'added' | 'updated' | 'removed' | 'totalIssues' | 'processedIssues' | 'successfulIssues' | 'failedIssues' | 'cursor' | 'lastFullScanTime'>;

export type Outcome =
  | { kind: 'pending'; message: string }
  | { kind: 'running'; progress: EngineProgress; startTime: Date; configHash: string; requestedAt?: string }
  | { kind: 'succeeded'; result: EngineResult; startTime: Date; configHash: string; nextRunTime?: Date; requestedAt?: string }
  | { kind: 'retrying'; error: string; retryCount: number; maxRetries: number; nextRunTime: Date; requestedAt?: string }
  | { kind: 'failed'; reason: StallReason; error: string; retryCount: number; requestedAt?: string }
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
        ...(r.commit ? { lastCommit: r.commit } : {}),
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
        { type: C.Ready, status: 'False', reason: REASONS.SyncFailed, message: `${outcome.error} (retry ${outcome.retryCount}/${outcome.maxRetries} at ${when})` },
        { type: C.Processing, status: 'False', reason: REASONS.RetryScheduled, message: `Retry ${outcome.retryCount}/${outcome.maxRetries} at ${when}` },
        { type: C.Progressing, status: 'False', reason: REASONS.RetryScheduled, message: `Waiting to retry after: ${outcome.error}` },
        { type: C.Stalled, status: 'False', reason: REASONS.RetryScheduled, message: `Retrying (${outcome.retryCount}/${outcome.maxRetries})` },
      );
      break;
    }
    case 'failed': {
      phase = 'Failed';
      s.retryCount = outcome.retryCount;
      s.lastError = outcome.error;
      conds.push(
        { type: C.Ready, status: 'False', reason: outcome.reason, message: outcome.error },
        { type: C.Processing, status: 'False', reason: REASONS.Idle, message: 'No sync running' },
        { type: C.Progressing, status: 'False', reason: outcome.reason, message: stallAdvice(outcome.reason) },
        { type: C.Stalled, status: 'True', reason: outcome.reason, message: outcome.error },
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

function stallAdvice(reason: StallReason): string {
  switch (reason) {
    case 'RetriesExhausted':
      return 'Retries exhausted; fix the cause, then edit the spec or request a sync (sync.jira.io/requestedAt)';
    case 'OwnershipConflict':
      return 'Another JIRASync writes to this destination path; choose another destination.path';
    default:
      return 'Waiting for a change to the spec or its Secrets';
  }
}

/** RFC 3339 without milliseconds, as Kubernetes writes times. */
export function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
