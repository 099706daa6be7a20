/**
 * Retry timing for Jira calls: pure delay math plus an abortable sleep.
 *
 * Two different waits. A 429 carries Jira's own `Retry-After`, which is honoured exactly — never
 * earlier — plus a small random spread so that many workers released at the same second do not
 * hit Jira together. 5xx (and 408/409) and network failures get exponential backoff with jitter,
 * capped, and a bounded number of attempts: past that the error goes up and the reconciler's
 * retryPolicy takes over. A 5xx that carries Retry-After waits at least that long (the rate-limit
 * wait), or goes up at once when it exceeds maxRateLimitWaitMs.
 */

/** Retry settings of the Jira layer. Production uses DEFAULT_RETRY; tests shrink the delays. */
export interface JiraRetryOptions {
  /** Retries after a 5xx, a network failure or a malformed body (so attempts = maxRetries + 1). */
  maxRetries: number;
  /** Backoff before the first such retry. */
  initialDelayMs: number;
  /** Growth of the backoff per retry. */
  factor: number;
  /** Cap of one backoff delay. */
  maxDelayMs: number;
  /** 0..1: a delay is drawn uniformly from [base × (1 − jitter), base]. */
  jitter: number;
  /** 429s the layer waits out for one call before it gives up with JiraRateLimitedError. */
  maxRateLimitRetries: number;
  /**
   * Wait after a 429 without a usable Retry-After. (X-RateLimit-Reset cannot serve as a fallback:
   * jira.js 6.2.0's RateLimitError keeps only the parsed Retry-After, not the response headers.)
   */
  rateLimitDefaultMs: number;
  /** Random extra added on top of Retry-After, at most this much. */
  rateLimitJitterMs: number;
  /** A longer Retry-After is not slept through: JiraRateLimitedError lets the reconciler requeue. */
  maxRateLimitWaitMs: number;
}

export const DEFAULT_RETRY: JiraRetryOptions = {
  maxRetries: 4,
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 20_000,
  jitter: 0.5,
  maxRateLimitRetries: 8,
  rateLimitDefaultMs: 10_000,
  rateLimitJitterMs: 1_000,
  maxRateLimitWaitMs: 120_000,
};

/** The delay before retry number `retry` (0 = the first retry) after a 5xx or network failure. */
export function backoffDelayMs(
  retry: number,
  opts: Pick<JiraRetryOptions, 'initialDelayMs' | 'factor' | 'maxDelayMs' | 'jitter'>,
  random: () => number = Math.random,
): number {
  const base = Math.min(opts.maxDelayMs, opts.initialDelayMs * opts.factor ** Math.max(0, retry));
  const jitter = Math.min(1, Math.max(0, opts.jitter));
  return Math.round(base * (1 - jitter * random()));
}

/**
 * The wait after a 429: Retry-After (0 allowed) or the default when Jira sent none, plus a jitter
 * in [0, rateLimitJitterMs). Never less than what Jira asked for.
 */
export function rateLimitDelayMs(
  retryAfterMs: number | undefined,
  opts: Pick<JiraRetryOptions, 'rateLimitDefaultMs' | 'rateLimitJitterMs'>,
  random: () => number = Math.random,
): number {
  const asked = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0 ? retryAfterMs : opts.rateLimitDefaultMs;
  return Math.ceil(asked) + Math.floor(random() * Math.max(0, opts.rateLimitJitterMs));
}

/**
 * Resolves after at least `ms` (timers may fire a little early, so the deadline is re-checked on a
 * monotonic clock), or rejects with the signal's reason as soon as it aborts.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  const deadline = performance.now() + ms;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout;
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const tick = (): void => {
      const left = deadline - performance.now();
      if (left > 0) {
        timer = setTimeout(tick, Math.ceil(left));
        return;
      }
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    timer = setTimeout(tick, Math.ceil(ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
