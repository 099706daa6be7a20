/**
 * The Jira layer's errors: one class per thing a caller does differently, each with a `kind`
 * and a `retryable` flag, and a message that is already redacted (no credential can appear).
 *
 * `retryable` answers "could the very same call succeed later with nothing changed?" — true for
 * rate limits, 5xx, network failures and malformed bodies, false for everything a person must fix.
 * The layer retries retryable errors itself (bounded); when one still escapes, the caller retries
 * later. How the reconciler is meant to read `kind` (Flux's stalling / waiting / backoff):
 *
 * | kind          | reconciler                                                                 |
 * |---------------|----------------------------------------------------------------------------|
 * | `badRequest`  | stalling: bad JQL or unknown project/field; only a spec change fixes it     |
 * | `auth`        | failure retried per `retryPolicy`, reason JiraAuthFailed (see below)         |
 * | `notFound`    | failure retried per `retryPolicy` (issue deleted, or hidden from the user)  |
 * | `rateLimited` | waiting: requeue after `retryAfterSeconds`, not counted as a failed retry   |
 * | `unavailable` | 5xx, 408, 409, network, malformed: retried per `retryPolicy` with backoff    |
 *
 * Why auth is not stalling: 401/403 is fixed by rotating the token in the referenced Secret (or by
 * granting a permission in Jira), neither of which changes the JIRASync spec, so a stalled sync would
 * never notice the fix. It is retried per `retryPolicy`, clearly classified, and never retried
 * inside the layer (an in-place retry with the same wrong token cannot help, and hammering Jira with
 * bad credentials can lock the account).
 */
import {
  isApiError,
  isAuthError,
  isForbiddenError,
  isNetworkError,
  isNotFoundError,
  isRateLimitError,
  isSchemaMismatchError,
  isServerError,
} from 'jira.js';
import type { FailureReason } from '../api/reasons.ts';
import { excerpt, redact } from '../observability/redact.ts';

export const JIRA_ERROR_KINDS = ['auth', 'notFound', 'badRequest', 'rateLimited', 'unavailable'] as const;
export type JiraErrorKind = (typeof JIRA_ERROR_KINDS)[number];

/** Where a failed call was going, for messages and metrics. */
export interface JiraCallSite {
  endpoint: string;
  method: string;
}

/** Base of every error the Jira layer throws. `status` is the HTTP status, 0 when none arrived. */
export class JiraError extends Error {
  readonly kind: JiraErrorKind;
  readonly retryable: boolean;
  readonly status: number;
  readonly endpoint: string;
  /** The condition reason this error ends a run with (controller/api/reasons.ts). */
  readonly failureReason: FailureReason;

  constructor(kind: JiraErrorKind, retryable: boolean, status: number, site: JiraCallSite, message: string, options?: ErrorOptions) {
    super(redact(`Jira ${site.method} ${site.endpoint}: ${message}`), options);
    this.name = 'JiraError';
    this.kind = kind;
    this.retryable = retryable;
    this.status = status;
    this.endpoint = site.endpoint;
    this.failureReason = jiraFailureReason(kind, status);
  }
}

/** The run's failure reason for a Jira error of this kind and status. */
function jiraFailureReason(kind: JiraErrorKind, status: number): FailureReason {
  switch (kind) {
    case 'auth':
      return status === 403 ? 'PermissionDenied' : 'AuthenticationFailed';
    case 'notFound':
    case 'badRequest':
      return 'JiraRequestRejected';
    case 'rateLimited':
      return 'RateLimited';
    case 'unavailable':
      return 'JiraUnavailable';
  }
}

/** 401 (credentials rejected) or 403 (not permitted). */
export class JiraAuthError extends JiraError {
  constructor(status: number, site: JiraCallSite, message: string, options?: ErrorOptions) {
    super('auth', false, status, site, message, options);
    this.name = 'JiraAuthError';
  }
}

/** 404: the issue does not exist or the Jira user may not see it (Jira does not say which). */
export class JiraNotFoundError extends JiraError {
  constructor(site: JiraCallSite, message: string, options?: ErrorOptions) {
    super('notFound', false, 404, site, message, options);
    this.name = 'JiraNotFoundError';
  }
}

/** Any other 4xx, typically invalid JQL; `errorMessages` are Jira's own words. */
export class JiraBadRequestError extends JiraError {
  readonly errorMessages: string[];

  constructor(status: number, site: JiraCallSite, errorMessages: string[], options?: ErrorOptions) {
    const text = errorMessages.length ? errorMessages.join('; ') : 'request rejected';
    super('badRequest', false, status, site, `${status}: ${text}`, options);
    this.name = 'JiraBadRequestError';
    this.errorMessages = errorMessages.map(redact);
  }
}

/** 429 that outlasted the layer's own waiting; `retryAfterSeconds` is Jira's advice. */
export class JiraRateLimitedError extends JiraError {
  readonly retryAfterSeconds: number;

  constructor(site: JiraCallSite, retryAfterSeconds: number, message?: string, options?: ErrorOptions) {
    super('rateLimited', true, 429, site, message ?? `429: rate limited, retry after ${retryAfterSeconds}s`, options);
    this.name = 'JiraRateLimitedError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const UNAVAILABLE_REASONS = ['server', 'network', 'malformed', 'tooLarge'] as const;
export type UnavailableReason = (typeof UNAVAILABLE_REASONS)[number];

/** Jira could not answer usefully: a 5xx (or 408/409), no response at all, or a body of the wrong shape. */
export class JiraUnavailableError extends JiraError {
  readonly reason: UnavailableReason;

  constructor(reason: UnavailableReason, status: number, site: JiraCallSite, message: string, options?: ErrorOptions) {
    super('unavailable', reason !== 'tooLarge', status, site, message, options);
    this.name = 'JiraUnavailableError';
    this.reason = reason;
    if (reason === 'tooLarge') Object.defineProperty(this, 'failureReason', { value: 'ResponseTooLarge' });
  }
}

/** Whether a value is one of the Jira layer's errors. */
export function isJiraError(err: unknown): err is JiraError {
  return err instanceof JiraError;
}

/** Jira's `errorMessages` and `errors` (field → message) from an error body, as plain strings. */
export function jiraErrorMessages(body: unknown): string[] {
  return rawErrorMessages(body).map(excerpt).filter(Boolean).slice(0, 5);
}

function rawErrorMessages(body: unknown): string[] {
  if (typeof body === 'string') {
    const text = body.replace(/<[^>]*>/g, ' ');
    return text.trim() ? [text] : [];
  }
  if (!body || typeof body !== 'object') return [];
  const out: string[] = [];
  const b = body as { errorMessages?: unknown; errors?: unknown; message?: unknown };
  if (Array.isArray(b.errorMessages)) for (const m of b.errorMessages) if (typeof m === 'string') out.push(m);
  if (b.errors && typeof b.errors === 'object') {
    for (const [field, m] of Object.entries(b.errors)) if (typeof m === 'string') out.push(`${field}: ${m}`);
  }
  if (!out.length && typeof b.message === 'string') out.push(b.message);
  return out;
}

/** 4xx answers that are transient (retried with backoff like a 5xx), not a request to fix. */
const TRANSIENT_CLIENT_STATUSES: ReadonlySet<number> = new Set([408, 409]);

/**
 * The Jira layer's error for whatever a jira.js call threw. Unknown values (bugs, aborts) are
 * returned unchanged so they are neither retried nor disguised as Jira failures.
 */
export function toJiraError(err: unknown, site: JiraCallSite): unknown {
  if (isJiraError(err)) return err;
  // The egress policy refused the connection (controller/egress/): not a Jira failure, never retried.
  const denied = inCauses(err, (e) => (e as { failureReason?: unknown }).failureReason === 'EgressDenied');
  if (denied) return denied;
  if (inCauses(err, (e) => (e as { code?: unknown }).code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE')) {
    return new JiraUnavailableError('tooLarge', 0, site, 'the response exceeded the controller\'s size cap (JIRASYNC_JIRA_MAX_RESPONSE_BYTES, chart limits.jiraMaxResponseBytes)', { cause: err });
  }
  const options = { cause: err };
  if (isRateLimitError(err)) {
    const seconds = err.retryAfterMs === undefined ? -1 : err.retryAfterMs / 1000;
    return new JiraRateLimitedError(site, seconds, seconds < 0 ? '429: rate limited, no Retry-After' : undefined, options);
  }
  if (isAuthError(err) || isForbiddenError(err)) {
    const status = isForbiddenError(err) ? 403 : 401;
    const why = status === 401 ? 'credentials rejected (check email and API token or token in the Secret)' : 'the Jira user is not permitted';
    // Never the body of a refused request: a hostile server fishing for the token would put it there.
    return new JiraAuthError(status, site, `${status}: ${why}`, options);
  }
  if (isNotFoundError(err)) {
    const detail = jiraErrorMessages(err.body);
    return new JiraNotFoundError(site, `404: ${detail.length ? detail.join('; ') : 'not found'}`, options);
  }
  if (isServerError(err)) {
    return new JiraUnavailableError('server', err.status, site, `${err.status} ${err.statusText}`.trim(), options);
  }
  if (isApiError(err) && TRANSIENT_CLIENT_STATUSES.has(err.status)) {
    // 408 Request Timeout and 409 Conflict (a concurrent edit): the same call can succeed later.
    const detail = jiraErrorMessages(err.body);
    return new JiraUnavailableError('server', err.status, site, `${err.status} ${err.statusText}${detail.length ? `: ${detail.join('; ')}` : ''}`.trim(), options);
  }
  if (isApiError(err)) return new JiraBadRequestError(err.status, site, jiraErrorMessages(err.body), options);
  if (isNetworkError(err)) {
    return new JiraUnavailableError('network', 0, site, `no response${err.code ? ` (${err.code})` : ''}`, options);
  }
  if (isSchemaMismatchError(err)) {
    return new JiraUnavailableError('malformed', 200, site, 'response does not have the documented shape', options);
  }
  // A connection dropped while the body was read surfaces as fetch's bare `TypeError: terminated`,
  // which jira.js does not wrap; it is a network failure like any other.
  const code = transportCode(err);
  if (code) return new JiraUnavailableError('network', 0, site, `no response (${code})`, options);
  return err;
}

/** The first error in the cause chain that satisfies `test`. */
function inCauses(err: unknown, test: (e: Error) => boolean): Error | undefined {
  let cursor: unknown = err;
  for (let depth = 0; cursor instanceof Error && depth < 6; depth++) {
    if (test(cursor)) return cursor;
    cursor = cursor.cause;
  }
  return undefined;
}

/** The transport error code (ECONNRESET, UND_ERR_SOCKET, …) found in an error's cause chain. */
function transportCode(err: unknown): string | undefined {
  let cursor: unknown = err;
  for (let depth = 0; cursor instanceof Error && depth < 5; depth++) {
    const code = (cursor as Error & { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    if (cursor instanceof TypeError && cursor.message === 'terminated') return 'terminated';
    cursor = cursor.cause;
  }
  return undefined;
}
