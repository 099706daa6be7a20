/**
 * Step 4, record: what a successful run leaves behind, in this order. The run's metrics (duration
 * with its trace exemplar, issues synced, last success and progress, lag 0), the log line and the
 * span attributes; then the Jira recovery comment when a failure was reported and
 * failurePolicy.commentOnRecovery asks for it; then one status write (Completed, counts, next run
 * time, the report's state); then Events only for transitions: JiraUpdated when the recovery was
 * reported, SyncCompleted when a commit was pushed or the sync was not Completed before (a no-op
 * resync stays quiet).
 */
import type { Span } from '@opentelemetry/api';
import { DEFAULTS } from '../../api/jirasync.ts';
import { traceExemplar } from '../../observability/tracing.ts';
import { reportRecoveryEpisode } from '../jira-report.ts';
import type { Run } from './run.ts';

export async function recordSuccess(run: Run, span: Span, nextRunTime: Date | undefined): Promise<void> {
  const { initial, labels, prevStatus, startTime, deps } = run;
  const m = deps.metrics;
  const result = run.result!;
  const duration = (run.now().getTime() - startTime.getTime()) / 1000;
  m.processingDuration.observe({ labels: { sync_type: initial.spec.syncType }, value: duration, exemplarLabels: traceExemplar() });
  m.syncRuns.inc({ ...labels, result: 'success' });
  m.issuesSynced.inc({ ...labels, result: 'success' }, result.successfulIssues);
  if (result.failedIssues) m.issuesSynced.inc({ ...labels, result: 'failed' }, result.failedIssues);
  m.lastSuccess.set(labels, Date.now() / 1000);
  m.lastProgress.set(labels, Date.now() / 1000);
  m.syncLag.set(labels, 0);
  deps.log.info({ ...labels, seconds: duration, issues: result.totalIssues, failed: result.failedIssues, commit: result.commit ?? null }, 'sync completed');
  span.setAttributes({ 'jirasync.result': 'success', 'jirasync.issues.total': result.totalIssues, 'jirasync.issues.failed': result.failedIssues, 'jirasync.commit': result.commit ?? '' });

  const wasCompleted = initial.status?.phase === 'Completed';
  let report = prevStatus.jiraReport;
  const fp = { ...DEFAULTS.failurePolicy, ...initial.spec.failurePolicy };
  if (report?.state === 'Reported' && fp.commentOnRecovery) {
    report = await reportRecoveryEpisode(initial, report, { own: run.jira, options: deps.jiraOptions }, run.now());
  } else if (report && report.state !== 'Recovered') {
    report = { ...report, state: 'Recovered' };
  }
  const obj = run.obj;
  await run.write(obj, { kind: 'succeeded', result, startTime, configHash: run.hash, nextRunTime, requestedAt: run.requestedAt }, (s) => {
    if (report) s.jiraReport = report;
  });
  if (report?.state === 'Recovered' && prevStatus.jiraReport?.state === 'Reported') {
    await deps.events.record(obj, 'Normal', 'JiraUpdated', report.message ?? 'Recovery reported to Jira');
  }
  if (result.commit || !wasCompleted) {
    const change = result.commit
      ? `pushed ${result.commit.slice(0, 12)}: ${result.added} added, ${result.updated} updated, ${result.removed} removed`
      : 'no changes to commit';
    const partial = result.failedIssues ? `; ${result.failedIssues} issues failed: ${result.failures.slice(0, 3).map((f) => f.key).join(', ')}` : '';
    await deps.events.record(obj, result.failedIssues ? 'Warning' : 'Normal', 'SyncCompleted', `Synced ${result.successfulIssues} issues, ${change}${partial}`);
  }
}
