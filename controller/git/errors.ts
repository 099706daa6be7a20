/**
 * The git writer's errors: one class per thing a caller does differently, each with a `kind` and
 * a `retryable` flag, and a message that names the repository (never a credential) and says what
 * to do next. The same shape as the Jira layer's errors (controller/jira/errors.ts).
 *
 * `retryable` answers "could the very same operation succeed later with nothing changed?":
 *
 * | class                        | kind            | retryable | typical cause                                     |
 * |------------------------------|-----------------|-----------|---------------------------------------------------|
 * | GitAuthError                 | `auth`          | false     | 401 token rejected, 403 token may not read/push   |
 * | GitRepositoryNotFoundError   | `notFound`      | false     | 404: wrong URL, or repository hidden from token   |
 * | GitInvalidTargetError        | `invalidTarget` | false     | not an https URL, bad branch name or path         |
 * | GitTlsError                  | `tls`           | false     | server certificate not trusted (caCertificates)   |
 * | GitPushRejectedError         | `rejected`      | false     | the server refused the update (protected branch)  |
 * | GitPushConflictError         | `conflict`      | true      | the remote kept moving through every push attempt |
 * | GitUnavailableError          | `unavailable`   | true      | network failure, timeout, 5xx, unexpected answer  |
 *
 * Like Jira auth failures, git auth failures are fixed by rotating the Secret, which does not
 * change the JIRASync spec: the reconciler retries them per retryPolicy rather than stalling.
 * Cancellation is not a GitError: an aborted operation rejects with the signal's reason.
 */
import type { FailureReason } from '../api/reasons.ts';
import { redact } from '../observability/redact.ts';

export const GIT_ERROR_KINDS = ['auth', 'notFound', 'invalidTarget', 'tls', 'rejected', 'conflict', 'unavailable'] as const;
export type GitErrorKind = (typeof GIT_ERROR_KINDS)[number];

/** Base of every error the git writer throws. `status` is the HTTP status, 0 when none applies. */
export class GitError extends Error {
  readonly kind: GitErrorKind;
  readonly retryable: boolean;
  readonly status: number;
  /** The condition reason this error ends a run with (controller/api/reasons.ts). */
  readonly failureReason: FailureReason;

  constructor(kind: GitErrorKind, retryable: boolean, message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(redact(`git: ${message}`), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GitError';
    this.kind = kind;
    this.retryable = retryable;
    this.status = opts.status ?? 0;
    this.failureReason = GIT_FAILURE_REASONS[kind];
  }
}

/** The run's failure reason for each kind of git error. */
const GIT_FAILURE_REASONS: Record<GitErrorKind, FailureReason> = {
  auth: 'GitAuthFailed',
  notFound: 'GitRepositoryNotFound',
  invalidTarget: 'GitTargetInvalid',
  tls: 'GitTlsFailed',
  rejected: 'GitPushRejected',
  conflict: 'GitUnavailable',
  unavailable: 'GitUnavailable',
};

/** The server rejected the credentials (401) or refused access with them (403). */
export class GitAuthError extends GitError {
  constructor(url: string, status: number, opts: { cause?: unknown } = {}) {
    const why =
      status === 403
        ? 'access denied (403): the token may not read or push this repository'
        : 'authentication failed (401): check the username and token in the Secret';
    super('auth', false, `${safeUrl(url)}: ${why}`, { status, ...opts });
    this.name = 'GitAuthError';
  }
}

/** 404: the repository does not exist, or the token may not see it (servers do not say which). */
export class GitRepositoryNotFoundError extends GitError {
  constructor(url: string, opts: { cause?: unknown } = {}) {
    super('notFound', false, `${safeUrl(url)}: repository not found (404): check the URL and that the token can see it`, {
      status: 404,
      ...opts,
    });
    this.name = 'GitRepositoryNotFoundError';
  }
}

/** The target cannot work as written (URL scheme, branch name, a path to stage). */
export class GitInvalidTargetError extends GitError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('invalidTarget', false, message, opts);
    this.name = 'GitInvalidTargetError';
  }
}

/** The TLS handshake failed: usually an untrusted certificate (set caCertificates) or a wrong host. */
export class GitTlsError extends GitError {
  constructor(url: string, code: string, opts: { cause?: unknown } = {}) {
    super('tls', false, `${safeUrl(url)}: TLS handshake failed (${code}): is the server's CA in caCertificates?`, opts);
    this.name = 'GitTlsError';
  }
}

/** The server refused the ref update for a reason other than the remote having moved. */
export class GitPushRejectedError extends GitError {
  constructor(url: string, branch: string, reason: string, opts: { cause?: unknown } = {}) {
    super('rejected', false, `${safeUrl(url)}: push to ${branch} rejected by the server: ${reason}`, opts);
    this.name = 'GitPushRejectedError';
  }
}

/** The remote moved before every one of the bounded push attempts (nothing was force-pushed). */
export class GitPushConflictError extends GitError {
  constructor(url: string, branch: string, attempts: number, opts: { cause?: unknown } = {}) {
    super('conflict', true, `${safeUrl(url)}: ${branch} kept moving; gave up after ${attempts} push attempts`, opts);
    this.name = 'GitPushConflictError';
  }
}

/** No useful answer: connection refused, reset, timeout, 5xx, or a response git cannot parse. */
export class GitUnavailableError extends GitError {
  constructor(url: string, what: string, opts: { status?: number; cause?: unknown } = {}) {
    super('unavailable', true, `${safeUrl(url)}: ${what}`, opts);
    this.name = 'GitUnavailableError';
  }
}

/** Whether a value is one of the git writer's errors. */
export function isGitError(err: unknown): err is GitError {
  return err instanceof GitError;
}

/** The URL without userinfo, query or fragment, for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/**
 * The GitError for a failed HTTP exchange: an HTTP status (from our client or isomorphic-git's
 * HttpError) or a socket error. Abort errors and GitErrors are returned unchanged; anything else
 * unknown too, so bugs are not disguised as network failures.
 */
export function toGitError(err: unknown, url: string, signal?: AbortSignal): unknown {
  if (isGitError(err)) return err;
  if (signal?.aborted) return signal.reason;
  const e = err as { code?: unknown; name?: unknown; data?: { statusCode?: unknown }; message?: unknown } | undefined;
  if (!e || typeof e !== 'object') return err;
  if (e.name === 'AbortError') return err;
  // Refusals of the controller's own (egress policy, size cap) keep their reason.
  if (typeof (e as { failureReason?: unknown }).failureReason === 'string') return err;
  const status = typeof e.data?.statusCode === 'number' ? e.data.statusCode : undefined;
  if (e.code === 'HttpError' && status !== undefined) return httpStatusError(url, status, err);
  if (typeof e.code === 'string' && TLS_CODES.has(e.code)) return new GitTlsError(url, e.code, { cause: err });
  // A socket error, not a local one: ENOTDIR, EACCES or ENOSPC from the cache volume carry the
  // file's path and stay what they are (SyncFailed), never "the git server did not answer".
  const local = typeof (e as { path?: unknown }).path === 'string';
  if (typeof e.code === 'string' && !local && /^(E[A-Z]+|ERR_SOCKET.*|ERR_STREAM_PREMATURE_CLOSE|UND_ERR.*)$/.test(e.code)) {
    return new GitUnavailableError(url, `connection failed (${e.code})`, { cause: err });
  }
  if (e.code === 'SmartHttpError' || e.code === 'ParseError') {
    return new GitUnavailableError(url, 'the server did not answer as a git smart HTTP server', { cause: err });
  }
  return err;
}

/** The GitError for a non-success HTTP status. */
export function httpStatusError(url: string, status: number, cause?: unknown): GitError {
  if (status === 401 || status === 403) return new GitAuthError(url, status, { cause });
  if (status === 404) return new GitRepositoryNotFoundError(url, { cause });
  return new GitUnavailableError(url, `unexpected HTTP ${status}`, { status, cause });
}
