/**
 * Errors the engine throws, each with a failure reason from controller/api/reasons.ts whose kind
 * says what the caller should do next (the Flux way: "do not retry" is a kind of error, not a
 * flag). The Jira and git layers' errors carry their own `failureReason`; classifyError finds it
 * through any context the engine adds.
 */

import { FAILURE_REASONS, isFailureReason, kindOf, type ErrorKind, type FailureReason } from '../api/reasons.ts';

export { ERROR_KINDS, type ErrorKind, type FailureReason } from '../api/reasons.ts';

/** Base class: an error with a failure reason (and so a kind). Defaults to SyncFailed, retryable. */
export class SyncError extends Error {
  readonly failureReason: FailureReason;
  readonly kind: ErrorKind;
  readonly retryAfterSeconds?: number;

  constructor(message: string, opts: { reason?: FailureReason; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SyncError';
    this.failureReason = opts.reason ?? 'SyncFailed';
    this.kind = kindOf(this.failureReason);
    if (opts.retryAfterSeconds !== undefined) this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/** The spec or destination cannot work as written: do not retry until the spec changes. */
export class StallingError extends SyncError {
  constructor(message: string, opts: { reason?: FailureReason; cause?: unknown } = {}) {
    const reason = opts.reason ?? 'InvalidSpec';
    if (FAILURE_REASONS[reason].kind !== 'stalling') throw new TypeError(`${reason} is not a stalling reason`);
    super(message, { ...opts, reason });
    this.name = 'StallingError';
  }
}

/** A temporary refusal with a known wait (e.g. HTTP 429 with Retry-After). */
export class WaitingError extends SyncError {
  constructor(message: string, retryAfterSeconds: number, opts: { cause?: unknown } = {}) {
    super(message, { ...opts, reason: 'RateLimited', retryAfterSeconds });
    this.name = 'WaitingError';
  }
}

export interface Classification {
  reason: FailureReason;
  kind: ErrorKind;
  /** For `waiting` only: how long the remote asked to wait. */
  retryAfterSeconds?: number;
}

/**
 * The failure reason of any thrown value: the first `failureReason` found walking the cause
 * chain (so an error from the Jira or git layer keeps its meaning after the engine adds context),
 * SyncFailed when none is found. The original error stays reachable through `cause`.
 */
export function classifyError(err: unknown): Classification {
  let cur: unknown = err;
  for (let depth = 0; depth < 8 && cur && typeof cur === 'object'; depth++) {
    const rec = cur as { failureReason?: unknown; retryAfterSeconds?: unknown; cause?: unknown };
    if (isFailureReason(rec.failureReason)) {
      const reason = rec.failureReason;
      const kind = kindOf(reason);
      const retry = typeof rec.retryAfterSeconds === 'number' && rec.retryAfterSeconds >= 0 ? rec.retryAfterSeconds : undefined;
      return retry === undefined || kind !== 'waiting' ? { reason, kind } : { reason, kind, retryAfterSeconds: retry };
    }
    cur = rec.cause;
  }
  return { reason: 'SyncFailed', kind: 'retryable' };
}

/** True when the value is the abort reason of a cancelled run (DOMException AbortError or signal.reason). */
export function isAbortError(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted && err === signal.reason) return true;
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

/**
 * Re-throws with a context prefix, keeping the original as `cause` and its kind. Abort errors pass
 * through untouched so callers can recognise a cancellation.
 */
export function withContext(context: string, err: unknown, signal?: AbortSignal): Error {
  if (isAbortError(err, signal)) return err as Error;
  const { reason, retryAfterSeconds } = classifyError(err);
  const msg = err instanceof Error ? err.message : String(err);
  return new SyncError(`${context}: ${msg}`, { reason, retryAfterSeconds, cause: err });
}
