/**
 * Errors the engine throws, classified by what the caller should do next (the Flux way: "do not
 * retry" is a kind of error, not a flag). The reconciler maps the kind to conditions:
 * - `stalling`: the spec or the destination is wrong (bad target, path owned by another JIRASync);
 *   retrying cannot help until the spec changes.
 * - `waiting`: a known temporary refusal (Jira rate limit); retry after `retryAfterSeconds`.
 * - `retryable`: anything else (network, 5xx, git push failure); retry with backoff.
 */

export const ERROR_KINDS = ['stalling', 'waiting', 'retryable'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Base class: an error with a kind. Defaults to retryable. */
export class SyncError extends Error {
  readonly kind: ErrorKind;
  readonly retryAfterSeconds?: number;

  constructor(message: string, opts: { kind?: ErrorKind; retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SyncError';
    this.kind = opts.kind ?? 'retryable';
    if (opts.retryAfterSeconds !== undefined) this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/** The spec or destination cannot work as written: do not retry until the spec changes. */
export class StallingError extends SyncError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { ...opts, kind: 'stalling' });
    this.name = 'StallingError';
  }
}

/** A temporary refusal with a known wait (e.g. HTTP 429 with Retry-After). */
export class WaitingError extends SyncError {
  constructor(message: string, retryAfterSeconds: number, opts: { cause?: unknown } = {}) {
    super(message, { ...opts, kind: 'waiting', retryAfterSeconds });
    this.name = 'WaitingError';
  }
}

/**
 * The Jira layer's and git writer's own kinds (controller/jira/errors.ts, controller/git/errors.ts)
 * mapped to ours; kinds not listed (auth, notFound, unavailable, conflict, tls, rejected) are
 * retried per retryPolicy, as those layers document.
 */
const FOREIGN_KINDS: Record<string, ErrorKind> = {
  stalling: 'stalling',
  waiting: 'waiting',
  retryable: 'retryable',
  badRequest: 'stalling', // bad JQL, unknown project or field: only a spec change fixes it
  invalidTarget: 'stalling', // repository URL or branch name the spec got wrong
  rateLimited: 'waiting',
};

/**
 * The kind of any thrown value: the first `kind` found walking the cause chain (so an error from
 * the Jira or git layer keeps its meaning after the engine adds context), `retryable` when none
 * is found. The original error stays reachable through `cause`.
 */
export function classifyError(err: unknown): { kind: ErrorKind; retryAfterSeconds?: number } {
  let cur: unknown = err;
  for (let depth = 0; depth < 8 && cur && typeof cur === 'object'; depth++) {
    const rec = cur as { kind?: unknown; retryAfterSeconds?: unknown; cause?: unknown };
    if (typeof rec.kind === 'string') {
      const kind = FOREIGN_KINDS[rec.kind] ?? 'retryable';
      const retry = typeof rec.retryAfterSeconds === 'number' ? rec.retryAfterSeconds : undefined;
      return retry === undefined || kind !== 'waiting' ? { kind } : { kind, retryAfterSeconds: retry };
    }
    cur = rec.cause;
  }
  return { kind: 'retryable' };
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
  const { kind, retryAfterSeconds } = classifyError(err);
  const msg = err instanceof Error ? err.message : String(err);
  return new SyncError(`${context}: ${msg}`, { kind, retryAfterSeconds, cause: err });
}
