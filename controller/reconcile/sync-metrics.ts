/**
 * Per-JIRASync gauges from a status: what the leader exports for every sync it knows, so a new
 * leader shows idle syncs at once and a replica that stops leading stops exporting them (stale
 * values on a standby would keep alerts firing after the fact).
 */
import { CONDITION_TYPES, type JIRASync, type JIRASyncStatus } from '../api/jirasync.ts';
import { isFailureReason } from '../api/reasons.ts';
import { forgetSyncs, setFailureReason, setPhase, type Metrics } from '../observability/metrics.ts';
import { parseSchedule } from './schedule.ts';

export async function exportSyncGauges(m: Metrics, obj: JIRASync, status: JIRASyncStatus | undefined = obj.status, now = new Date()): Promise<void> {
  const labels = { namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name };
  setPhase(m, labels.namespace, labels.name, obj.spec.syncType, status?.phase ?? 'Pending');
  m.retryCount.set(labels, status?.retryCount ?? 0);
  setFailureReason(m, labels.namespace, labels.name, failureReasonOf(status));
  if (status?.progress?.percentage !== undefined) m.progress.set(labels, status.progress.percentage);
  const state = status?.syncState;
  if (state?.processedIssues !== undefined) m.issuesProcessed.set(labels, state.processedIssues);
  if (state?.totalIssues !== undefined) m.issuesTotal.set(labels, state.totalIssues);
  const lastSync = status?.syncState?.lastSyncTime;
  if (lastSync) m.lastSuccess.set(labels, Date.parse(lastSync) / 1000);
  let interval: number | undefined;
  try {
    interval = obj.spec.schedule && !obj.spec.suspend ? parseSchedule(obj.spec.schedule, obj.spec.timeZone).intervalSeconds(now) : undefined;
  } catch {
    interval = undefined;
  }
  if (interval) m.scheduleInterval.set(labels, interval);
  else m.scheduleInterval.remove(labels);
}

/**
 * The cause of the last failed run while the sync has not succeeded since: Ready=False with a
 * failure reason and a lastError (pending a retry or Failed; not while a new run is in progress).
 */
function failureReasonOf(status: JIRASyncStatus | undefined): string | undefined {
  if (!status?.lastError || status.phase === 'Completed' || status.phase === 'Suspended') return undefined;
  const ready = status.conditions?.find((c) => c.type === CONDITION_TYPES.Ready);
  return ready?.status === 'False' && isFailureReason(ready.reason) ? ready.reason : undefined;
}

/** Drops every per-sync series this replica exports (on losing leadership). */
export async function forgetAllSyncs(m: Metrics, objs: readonly JIRASync[]): Promise<void> {
  await forgetSyncs(m, objs.map((o) => ({ namespace: o.metadata.namespace ?? 'default', name: o.metadata.name })));
}
