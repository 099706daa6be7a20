/**
 * Per-host pacing of Jira requests. Jira Cloud rate-limits per site and per user, not per sync, so
 * every sync talking to one host shares one limiter: it caps requests in flight, spaces request
 * starts to a steady rate (token bucket), and after a 429 holds back every caller for that host
 * until Retry-After has passed, instead of letting each worker find the limit on its own.
 */
import { sleep } from './backoff.ts';

/** A slot holder calls the returned function exactly once when its request has finished. */
export type Release = () => void;

/** What the request pipeline needs from a limiter. */
export interface JiraLimiter {
  /** Waits for a free slot and a rate token (and any 429 pause); rejects when the signal aborts. */
  acquire(signal?: AbortSignal): Promise<Release>;
  /** Holds back new requests until the given epoch time (ms), e.g. after a 429. */
  pauseUntil(epochMs: number): void;
}

export interface LimiterOptions {
  /** Requests in flight at once. */
  maxConcurrent: number;
  /** Sustained request starts per second (Infinity for no pacing). */
  requestsPerSecond: number;
  /** Request starts allowed at once after a quiet period; defaults to maxConcurrent. */
  burst?: number;
}

/** Conservative defaults for one Jira Cloud site, shared by every sync on that site. */
export const DEFAULT_LIMITS: LimiterOptions = { maxConcurrent: 6, requestsPerSecond: 20 };

/** A fresh limiter (tests use their own; production code uses limiterForHost). */
export function createLimiter(opts: LimiterOptions): JiraLimiter {
  const max = Math.max(1, Math.floor(opts.maxConcurrent));
  const rate = opts.requestsPerSecond > 0 ? opts.requestsPerSecond : Infinity;
  const burst = Math.max(1, opts.burst ?? max);
  let active = 0;
  let tokens = burst;
  let refilledAt = performance.now();
  let pausedUntil = 0;
  const waiters: Array<{ grant: () => void }> = [];

  const release = (): void => {
    const next = waiters.shift();
    if (next) next.grant(); // the slot passes straight on, active stays the same
    else active--;
  };

  const slot = (signal?: AbortSignal): Promise<void> => {
    if (active < max) {
      active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(signal?.reason);
      };
      waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  const token = async (signal?: AbortSignal): Promise<void> => {
    for (;;) {
      const paused = pausedUntil - Date.now();
      if (paused > 0) {
        await sleep(paused, signal);
        continue;
      }
      if (rate === Infinity) return;
      const now = performance.now();
      tokens = Math.min(burst, tokens + ((now - refilledAt) * rate) / 1000);
      refilledAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - tokens) * 1000) / rate), signal);
    }
  };

  return {
    async acquire(signal) {
      signal?.throwIfAborted();
      await slot(signal);
      try {
        await token(signal);
      } catch (err) {
        release();
        throw err;
      }
      let done = false;
      return () => {
        if (done) return;
        done = true;
        release();
      };
    },
    pauseUntil(epochMs) {
      pausedUntil = Math.max(pausedUntil, epochMs);
    },
  };
}

const registry = new Map<string, JiraLimiter>();
let registryDefaults: LimiterOptions = DEFAULT_LIMITS;

/** Sets the limits for hosts whose limiter is created from now on (main.ts calls it at start-up). */
export function configureHostLimits(limits: Partial<LimiterOptions>): void {
  registryDefaults = { ...registryDefaults, ...limits };
}

/** The limiter shared by every connection to the host of `baseUrl` (scheme, host and port). */
export function limiterForHost(baseUrl: string): JiraLimiter {
  let key: string;
  try {
    key = new URL(baseUrl).origin;
  } catch (err) {
    throw new Error(`jira: invalid base URL`, { cause: err });
  }
  let limiter = registry.get(key);
  if (!limiter) {
    limiter = createLimiter(registryDefaults);
    registry.set(key, limiter);
  }
  return limiter;
}
