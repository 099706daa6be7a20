/**
 * Failure and recovery reports to Jira for one JIRASync, as spec.failurePolicy says. Once per
 * failure episode: the episode id lives in status.jiraReport and in a marker inside the comment,
 * so a restart or a repeated reconcile never posts twice. Jira being down never blocks the sync's
 * own status: the report is left Pending and retried later.
 */
import { DEFAULTS, type JIRASync, type JiraReport } from '../api/jirasync.ts';
import type { JiraClientOptions } from '../jira/jira.ts';
import { isJiraError, JiraAuthError } from '../jira/errors.ts';
import { reportFailure, reportRecovery } from '../jira/report.ts';
import type { JiraConnection } from '../jira/source.ts';
import { errorMessage } from '../observability/redact.ts';
import { iso } from '../status/status.ts';

/** The issues a JIRASync reports on: failurePolicy.issueKey, else its own keys for single/batch. */
export function reportIssueKeys(obj: JIRASync): string[] {
  const fp = obj.spec.failurePolicy;
  if (fp?.issueKey) return [fp.issueKey];
  if (obj.spec.syncType === 'single' || obj.spec.syncType === 'batch') return [...(obj.spec.target.issueKeys ?? [])];
  return [];
}

export interface ReportContext {
  /**
   * The sync's own Jira connection, when it could be resolved. There is deliberately no fallback:
   * reporting with another identity after a 401/403 would let a tenant write, as the controller's
   * default user, text it chose on an issue it chose.
   */
  own?: JiraConnection;
  options?: JiraClientOptions;
}

/** Reports a failure episode; returns the jiraReport status block to store. Never throws. */
export async function reportFailureEpisode(obj: JIRASync, prev: JiraReport | undefined, error: string, retryCount: number, ctx: ReportContext, now: Date): Promise<JiraReport> {
  const episode = prev && prev.state !== 'Recovered' && prev.episode ? prev.episode : `${(obj.metadata.uid ?? 'x').slice(0, 8)}-${now.getTime().toString(36)}`;
  const fp = { ...DEFAULTS.failurePolicy, ...obj.spec.failurePolicy };
  const issueKeys = reportIssueKeys(obj);
  const base: JiraReport = { episode, issueKeys, lastAttemptTime: iso(now) };
  if (prev?.episode === episode && prev.state === 'Reported') return prev;
  if (!issueKeys.length) return { ...base, state: 'Skipped', message: 'No tracking issue: set spec.failurePolicy.issueKey to report failures to Jira' };
  if (!fp.comment && !fp.transitionTo.length) return { ...base, state: 'Skipped', message: 'failurePolicy asks for neither a comment nor a transition' };
  const conn = ctx.own;
  if (!conn) return { ...base, state: 'Skipped', message: 'No Jira connection to report with' };
  {
    try {
      const res = await reportFailure(conn, {
        issueKeys, syncRef: `${obj.metadata.namespace}/${obj.metadata.name}`, phase: 'Failed', error, retryCount, when: now, episode,
        transitionTo: fp.transitionTo, comment: fp.comment,
      }, ctx.options);
      const transitions = Object.entries(res.transitions).map(([k, v]) => `${k}→${v}`).join(', ');
      const errors = Object.entries(res.errors).map(([k, v]) => `${k}: ${v}`).join('; ');
      const parts = [
        res.commented.length ? `commented on ${res.commented.join(', ')}` : '',
        res.alreadyReported.length ? `already reported on ${res.alreadyReported.join(', ')}` : '',
        transitions ? `transitions ${transitions}` : '',
        errors ? `errors: ${errors}` : '',
      ].filter(Boolean);
      const firstTransition = Object.values(res.transitions)[0];
      return { ...base, state: 'Reported', ...(firstTransition ? { transition: firstTransition } : {}), message: parts.join('; ') || 'nothing to do' };
    } catch (err) {
      // The sync's own identity is refused: retrying with it cannot help, and no other is used.
      if (err instanceof JiraAuthError) return { ...base, state: 'Skipped', message: `Not reported: Jira refused the sync's own credentials (${errorMessage(err, 200)})` };
      return { ...base, state: 'Pending', message: `Jira update failed, will retry: ${errorMessage(err)}` };
    }
  }
}

/**
 * Comments once that the sync is healthy again; returns the updated block. Never throws. When Jira
 * could not take the comment for a passing reason (5xx, timeout, 429) the block stays Reported, so
 * the next successful run tries again (the recovery marker keeps it to one comment).
 */
export async function reportRecoveryEpisode(obj: JIRASync, prev: JiraReport, ctx: ReportContext, now: Date): Promise<JiraReport> {
  const issueKeys = prev.issueKeys ?? reportIssueKeys(obj);
  if (!ctx.own) return { ...prev, state: 'Recovered', lastAttemptTime: iso(now), message: 'recovered' };
  try {
    const res = await reportRecovery(ctx.own, { issueKeys, syncRef: `${obj.metadata.namespace}/${obj.metadata.name}`, episode: prev.episode ?? '', when: now }, ctx.options);
    return { ...prev, state: 'Recovered', lastAttemptTime: iso(now), message: res.commented.length ? `recovery commented on ${res.commented.join(', ')}` : 'recovered' };
  } catch (err) {
    if (isJiraError(err) && err.retryable) {
      return { ...prev, lastAttemptTime: iso(now), message: `recovered; the recovery comment failed and is retried on the next run: ${errorMessage(err)}` };
    }
    return { ...prev, state: 'Recovered', lastAttemptTime: iso(now), message: `recovered; recovery comment failed: ${errorMessage(err)}` };
  }
}
