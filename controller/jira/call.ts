/**
 * The path every Jira HTTP request takes: abort check → per-host limiter → tracing wrap → the
 * jira.js call, its X-Seraph-LoginReason watched → metrics hook → error classification → retry or
 * give up.
 *
 * jira.js has no per-call AbortSignal, so a request already on the wire cannot be cancelled; on
 * abort the caller stops waiting at once and the late result is discarded (its limiter slot is
 * freed and its metrics recorded when it actually finishes, so the numbers stay honest).
 */
import { backoffDelayMs, rateLimitDelayMs, sleep, type JiraRetryOptions } from './backoff.ts';
import { JiraAuthError, JiraRateLimitedError, JiraUnavailableError, toJiraError, type JiraError } from './errors.ts';
import { loginRefusal, retryAfterMs, watchResponse, type ResponseWatch } from './headers.ts';
import type { JiraLimiter } from './limiter.ts';
import type { JiraRequestHooks } from './source.ts';

/** One logical request: a low-cardinality endpoint name, the method, the 2xx Jira documents for it. */
export interface CallInfo {
  endpoint: string;
  method: string;
  /** The success status Jira documents for this endpoint (200, 201 for a new comment, 204 …). */
  okCode?: number;
  /** Page number for paginated calls, for metrics and spans. */
  page?: number;
  /**
   * False for a write that must not be repeated blindly (posting a comment, doing a transition): a
   * 5xx, timeout or dropped connection may come after Jira did the work, so the error goes straight
   * up and the caller checks Jira before trying again. 429s are still waited out (Jira did nothing).
   */
  idempotent?: boolean;
}

/** Runs jira.js calls through pacing, hooks and retries; counts HTTP requests. */
export interface Caller {
  call<T>(info: CallInfo, signal: AbortSignal | undefined, request: () => Promise<T>): Promise<T>;
  /** HTTP requests started so far (retries included). */
  requestCount(): number;
}

export interface CallerOptions {
  limiter: JiraLimiter;
  retry: JiraRetryOptions;
  hooks?: JiraRequestHooks;
  /** For tests of the jitter bounds; Math.random otherwise. */
  random?: () => number;
}

function statusOf(err: unknown, okCode: number): number {
  const e = toJiraError(err, { endpoint: '', method: '' }) as Partial<JiraError>;
  if (typeof e.status === 'number') return e.status;
  return okCode;
}

/** Stops waiting for `p` when the signal aborts; `p` itself runs on (jira.js cannot cancel it). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(signal.reason);
        else resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? signal.reason : e);
      },
    );
  });
}

/**
 * Whatever the status, an answer whose X-Seraph-LoginReason says the login failed came from the
 * anonymous user (a 200 with zero issues, a 404 for an issue that exists): it is a JiraAuthError,
 * never data (see headers.ts).
 */
async function loginChecked<T>(info: CallInfo, watch: ResponseWatch, running: Promise<T>): Promise<T> {
  const site = { endpoint: info.endpoint, method: info.method };
  const refused = (cause?: unknown): JiraAuthError | undefined => {
    const status = loginRefusal(watch.loginReason);
    if (status === undefined) return undefined;
    const why = status === 401
      ? 'Jira answered as the anonymous user, the credentials were refused (check email and API token or token in the Secret)'
      : 'Jira refused the user this operation';
    return new JiraAuthError(status, site, `${status}: ${why} (X-Seraph-LoginReason: ${watch.loginReason})`, cause === undefined ? undefined : { cause });
  };
  let value: T;
  try {
    value = await running;
  } catch (err) {
    // A 401/403 already says what happened; the header turns any other failure into a refusal.
    if (toJiraError(err, site) instanceof JiraAuthError) throw err;
    throw refused(err) ?? err;
  }
  const err = refused();
  if (err) throw err;
  return value;
}

/** A Caller with its own request counter, sharing the given limiter. */
export function createCaller(opts: CallerOptions): Caller {
  const { limiter, retry, hooks } = opts;
  const random = opts.random ?? Math.random;
  let requests = 0;

  /** One HTTP attempt: slot, span, timing, metrics hook. */
  const attempt = async <T>(info: CallInfo, signal: AbortSignal | undefined, request: () => Promise<T>, watch: ResponseWatch): Promise<T> => {
    const release = await limiter.acquire(signal);
    const okCode = info.okCode ?? 200;
    const spanInfo = { endpoint: info.endpoint, method: info.method, page: info.page };
    requests++;
    const started = performance.now();
    const send = (): Promise<T> => watchResponse(watch, request);
    let running: Promise<T>;
    try {
      running = loginChecked(info, watch, hooks?.wrap ? hooks.wrap(spanInfo, send) : send());
    } catch (err) {
      running = Promise.reject(err);
    }
    const settled = running.then(
      () => okCode,
      (err: unknown) => statusOf(err, okCode),
    );
    void settled.then((code) => {
      release();
      hooks?.onResponse?.({ ...spanInfo, code, seconds: (performance.now() - started) / 1000 });
    });
    return untilAborted(running, signal);
  };

  return {
    async call(info, signal, request) {
      const site = { endpoint: info.endpoint, method: info.method };
      let failures = 0;
      let limited = 0;
      for (;;) {
        signal?.throwIfAborted();
        const watch: ResponseWatch = {};
        try {
          return await attempt(info, signal, request, watch);
        } catch (raw) {
          if (signal?.aborted) throw signal.reason;
          const err = toJiraError(raw, site);
          if (err instanceof JiraRateLimitedError) {
            const known = err.retryAfterSeconds >= 0 ? err.retryAfterSeconds * 1000 : undefined;
            const waitMs = rateLimitDelayMs(known, retry, random);
            hooks?.onRateLimited?.({ endpoint: info.endpoint, retryAfterSeconds: waitMs / 1000 });
            limiter.pauseUntil(Date.now() + (known ?? retry.rateLimitDefaultMs));
            if (++limited > retry.maxRateLimitRetries || waitMs > retry.maxRateLimitWaitMs) {
              throw new JiraRateLimitedError(site, Math.ceil(waitMs / 1000), undefined, { cause: err });
            }
            await sleep(waitMs, signal);
            continue;
          }
          const retryable = typeof err === 'object' && err !== null && (err as Partial<JiraError>).retryable === true;
          if (retryable && info.idempotent === false) throw err;
          if (retryable && failures < retry.maxRetries) {
            // A 5xx with Retry-After (Jira sends it with some 503s) is waited out like a 429: never earlier.
            const asked = err instanceof JiraUnavailableError && err.reason === 'server' ? retryAfterMs(watch.retryAfter) : undefined;
            if (asked !== undefined) {
              if (asked > retry.maxRateLimitWaitMs) throw err; // too long to hold a worker; the reconciler retries later
              limiter.pauseUntil(Date.now() + asked);
            }
            const backoff = backoffDelayMs(failures++, retry, random);
            await sleep(asked === undefined ? backoff : Math.max(backoff, rateLimitDelayMs(asked, retry, random)), signal);
            continue;
          }
          throw err;
        }
      }
    },
    requestCount: () => requests,
  };
}
