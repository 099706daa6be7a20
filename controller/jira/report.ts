/**
 * Failure reporting to Jira, as `spec.failurePolicy` asks: a comment on each associated issue,
 * then the first wanted transition the issue's workflow offers.
 *
 * What it ensures:
 * - One comment per failure episode. The comment carries a marker (adf.ts) and existing comments
 *   are searched for it first, so a restart or a repeated reconcile finds it and does not post again;
 *   after a failed POST (which may have landed) the marker is searched again before re-posting.
 * - A transition rejected by Jira (validator, required field) falls back to the next wanted one.
 * - A transition only if the issue is not already in one of the wanted statuses, so a retried
 *   report does not move the issue twice; no wanted transition offered → 'none-available', not an error.
 * - Per-issue problems (issue gone, no permission) are recorded in `errors` and the other issues
 *   are still reported. If Jira is unavailable or rate limiting, the whole call throws the retryable
 *   error; with rejected credentials (401) it throws JiraAuthError, since no issue can be reported.
 *   Either way the reconciler keeps the sync's own status and calls again later (safe, see above).
 */
import { errorMessage } from '../observability/redact.ts';
import { failureComment, failureMarker, hasMarker, recoveryComment, recoveryMarker, type FailureCommentInput } from './adf.ts';
import type { AdfDocument, JiraWorkflowApi } from './api.ts';
import { backoffDelayMs, DEFAULT_RETRY, sleep } from './backoff.ts';
import { isJiraError } from './errors.ts';
import { createJiraApi, type JiraClientOptions } from './jira.ts';
import type { JiraConnection } from './source.ts';

/** Recorded for an issue whose workflow offers none of the wanted transitions. */
export const NONE_AVAILABLE = 'none-available';

/** Comment pages searched for a marker (100 comments each, newest first). */
const MAX_COMMENT_PAGES = 20;

/** What the comment says (see adf.ts), plus where it goes and what else to do. */
export interface FailureReportInput extends FailureCommentInput {
  issueKeys: readonly string[];
  /** Wanted statuses or transition names, first match wins; empty for no transition. */
  transitionTo: readonly string[];
  comment: boolean;
}

export interface FailureReportResult {
  /** Issues commented on by this call. */
  commented: string[];
  /** Issues that already had this episode's comment. */
  alreadyReported: string[];
  /** Status the issue is now in because of (or already matching) `transitionTo`, or 'none-available'. */
  transitions: Record<string, string>;
  /** Per-issue problems that retrying now would not fix (redacted messages). */
  errors: Record<string, string>;
}

export interface RecoveryReportInput {
  issueKeys: readonly string[];
  syncRef: string;
  episode: string;
  when: Date | string;
}

export type RecoveryReportResult = Pick<FailureReportResult, 'commented' | 'alreadyReported' | 'errors'>;

export interface ReportOptions extends JiraClientOptions {
  signal?: AbortSignal;
}

type Target = JiraConnection | JiraWorkflowApi;

function apiFor(target: Target, opts: JiraClientOptions): JiraWorkflowApi {
  return 'baseUrl' in target ? createJiraApi(target, opts) : target;
}

const same = (a: string, b: string): boolean => a.trim().localeCompare(b.trim(), undefined, { sensitivity: 'accent' }) === 0;

/** Whether any comment of the issue (newest first, bounded) carries the marker. */
export async function findMarker(api: JiraWorkflowApi, key: string, marker: string, signal?: AbortSignal): Promise<boolean> {
  let startAt: number | undefined = 0;
  for (let page = 0; startAt !== undefined && page < MAX_COMMENT_PAGES; page++) {
    const res = await api.comments(key, startAt, signal);
    if (res.comments.some((c) => hasMarker(c.body, marker))) return true;
    startAt = res.nextStartAt;
  }
  return false;
}

/**
 * Posts the comment unless one with the marker exists; true when posted by this call. The POST is
 * never repeated blindly: after a 5xx, a timeout or a dropped connection the comment may have been
 * posted all the same, so the marker is looked for again before each new attempt.
 */
async function commentOnce(api: JiraWorkflowApi, key: string, marker: string, body: AdfDocument, opts: ReportOptions): Promise<boolean> {
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  for (let attempt = 0; ; attempt++) {
    // Found after a failed POST of ours: that POST did land.
    if (await findMarker(api, key, marker, opts.signal)) return attempt > 0;
    try {
      await api.addComment(key, body, opts.signal);
      return true;
    } catch (err) {
      const again = isJiraError(err) && err.retryable && err.kind === 'unavailable' && attempt < retry.maxRetries;
      if (!again) throw err;
      await sleep(backoffDelayMs(attempt, retry), opts.signal);
    }
  }
}

/**
 * Applies the first wanted transition on offer; returns the resulting status or NONE_AVAILABLE.
 * When Jira rejects one (a workflow validator, a field its screen requires: a 400), the next wanted
 * one on offer is tried; if all are rejected, the last rejection is the issue's error. A 5xx goes
 * up (the POST is not repeated blindly): the retried report starts again from the issue's status.
 */
export async function transitionFirst(api: JiraWorkflowApi, key: string, wanted: readonly string[], signal?: AbortSignal): Promise<string> {
  const current = await api.issueStatus(key, signal);
  if (wanted.some((w) => same(w, current))) return current;
  const offered = await api.transitions(key, signal);
  const candidates = [...new Set(wanted.map((w) => offered.find((o) => same(o.name, w) || same(o.to, w))).filter((t) => t !== undefined))];
  let rejected: unknown;
  for (const t of candidates) {
    try {
      await api.transition(key, t.id, signal);
      return t.to || t.name;
    } catch (err) {
      if (!(isJiraError(err) && err.kind === 'badRequest')) throw err;
      rejected = err;
    }
  }
  if (rejected !== undefined) throw rejected;
  return NONE_AVAILABLE;
}

/**
 * A per-issue failure worth recording (404, 403, a rejected transition). Anything retryable, a 401
 * (no issue can be reported until the Secret is fixed) and unknown errors are rethrown.
 */
function perIssue(err: unknown): string {
  if (!isJiraError(err) || err.retryable || err.status === 401) throw err;
  return errorMessage(err);
}

/** Reports a failed sync on its issues (see the module comment for the guarantees). */
export async function reportFailure(target: Target, input: FailureReportInput, opts: ReportOptions = {}): Promise<FailureReportResult> {
  const api = apiFor(target, opts);
  const result: FailureReportResult = { commented: [], alreadyReported: [], transitions: {}, errors: {} };
  const marker = failureMarker(input.syncRef, input.episode);
  for (const key of input.issueKeys) {
    try {
      if (input.comment) {
        const posted = await commentOnce(api, key, marker, failureComment(input), opts);
        (posted ? result.commented : result.alreadyReported).push(key);
      }
      if (input.transitionTo.length) result.transitions[key] = await transitionFirst(api, key, input.transitionTo, opts.signal);
    } catch (err) {
      result.errors[key] = perIssue(err);
    }
  }
  return result;
}

/** Comments once per episode that the sync is healthy again (when commentOnRecovery is on). */
export async function reportRecovery(target: Target, input: RecoveryReportInput, opts: ReportOptions = {}): Promise<RecoveryReportResult> {
  const api = apiFor(target, opts);
  const result: RecoveryReportResult = { commented: [], alreadyReported: [], errors: {} };
  const marker = recoveryMarker(input.syncRef, input.episode);
  for (const key of input.issueKeys) {
    try {
      const posted = await commentOnce(api, key, marker, recoveryComment(input), opts);
      (posted ? result.commented : result.alreadyReported).push(key);
    } catch (err) {
      result.errors[key] = perIssue(err);
    }
  }
  return result;
}
