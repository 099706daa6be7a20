import t from 'tap';
import { ApiError, AuthError, NetworkError, RateLimitError, ServerError } from 'jira.js';
import { createCaller } from '../../controller/jira/call.ts';
import { DEFAULT_RETRY } from '../../controller/jira/backoff.ts';
import { createLimiter } from '../../controller/jira/limiter.ts';
import { JiraAuthError, JiraBadRequestError, JiraRateLimitedError, JiraUnavailableError } from '../../controller/jira/errors.ts';
import type { JiraRequestHooks } from '../../controller/jira/source.ts';

// The pipeline's logic with scripted outcomes; the same paths run over HTTP in cloud.test.ts.
const retry = { ...DEFAULT_RETRY, initialDelayMs: 5, maxDelayMs: 20, maxRetries: 3, rateLimitJitterMs: 10, rateLimitDefaultMs: 30 };
const info = { endpoint: 'search/jql', method: 'POST', page: 2 };

function scripted(outcomes: Array<() => unknown>): { fn: () => Promise<unknown>; calls: () => number } {
  let i = 0;
  return {
    fn: async () => {
      const o = outcomes[Math.min(i++, outcomes.length - 1)];
      return o();
    },
    calls: () => i,
  };
}

function recorder(): { hooks: JiraRequestHooks; codes: number[]; limited: number[]; spans: string[] } {
  const codes: number[] = [];
  const limited: number[] = [];
  const spans: string[] = [];
  return {
    codes,
    limited,
    spans,
    hooks: {
      onResponse: (r) => codes.push(r.code),
      onRateLimited: (r) => limited.push(r.retryAfterSeconds),
      wrap: (i, call) => {
        spans.push(`${i.method} ${i.endpoint} p${i.page}`);
        return call();
      },
    },
  };
}

t.test('5xx and network failures are retried with backoff until success', async (t) => {
  const rec = recorder();
  const caller = createCaller({ limiter: createLimiter({ maxConcurrent: 2, requestsPerSecond: Infinity }), retry, hooks: rec.hooks });
  const s = scripted([
    () => { throw new ServerError('boom', 503, 'Service Unavailable', ''); },
    () => { throw new NetworkError('reset', { cause: new Error('x'), code: 'ECONNRESET', transient: true }); },
    () => 'ok',
  ]);
  t.equal(await caller.call(info, undefined, s.fn), 'ok');
  t.equal(s.calls(), 3);
  t.equal(caller.requestCount(), 3);
  await new Promise((r) => setImmediate(r));
  t.same(rec.codes, [503, 0, 200]);
  t.same(rec.spans, ['POST search/jql p2', 'POST search/jql p2', 'POST search/jql p2']);
});

t.test('retries are bounded and the last error is a retryable JiraUnavailableError', async (t) => {
  const caller = createCaller({ limiter: createLimiter({ maxConcurrent: 2, requestsPerSecond: Infinity }), retry });
  const s = scripted([() => { throw new ServerError('boom', 500, 'Internal Server Error', ''); }]);
  const err = await caller.call(info, undefined, s.fn).catch((e: unknown) => e);
  t.ok(err instanceof JiraUnavailableError);
  t.equal((err as JiraUnavailableError).retryable, true);
  t.equal(s.calls(), retry.maxRetries + 1);
});

t.test('408 and 409 are transient: retried with backoff like a 5xx, not a request to fix', async (t) => {
  const caller = createCaller({ limiter: createLimiter({ maxConcurrent: 2, requestsPerSecond: Infinity }), retry });
  const s = scripted([
    () => { throw new ApiError('x', 408, 'Request Timeout', {}); },
    () => { throw new ApiError('x', 409, 'Conflict', { errorMessages: ['The issue was edited by someone else.'] }); },
    () => 'ok',
  ]);
  t.equal(await caller.call(info, undefined, s.fn), 'ok');
  t.equal(s.calls(), 3);
  const always = scripted([() => { throw new ApiError('x', 409, 'Conflict', {}); }]);
  const err = await caller.call(info, undefined, always.fn).catch((e: unknown) => e);
  t.ok(err instanceof JiraUnavailableError, String(err));
  t.equal((err as JiraUnavailableError).status, 409);
  t.equal((err as JiraUnavailableError).failureReason, 'JiraUnavailable');
});

t.test('a write that must not be repeated blindly goes up at its first 5xx; its 429 is still waited out', async (t) => {
  const caller = createCaller({ limiter: createLimiter({ maxConcurrent: 2, requestsPerSecond: Infinity }), retry });
  const post = { endpoint: 'issue/comment', method: 'POST', okCode: 201, idempotent: false };
  const s = scripted([() => { throw new ServerError('boom', 504, 'Gateway Timeout', ''); }, () => 'posted']);
  const err = await caller.call(post, undefined, s.fn).catch((e: unknown) => e);
  t.ok(err instanceof JiraUnavailableError);
  t.equal(s.calls(), 1, 'not sent again: the comment may have been posted');
  const limited = scripted([() => { throw new RateLimitError('x', 'Too Many Requests', '', { retryAfterMs: 20 }); }, () => 'posted']);
  t.equal(await caller.call(post, undefined, limited.fn), 'posted');
  t.equal(limited.calls(), 2);
});

t.test('a 400 fails fast naming Jira\'s error messages, a 401 fails fast as an auth error', async (t) => {
  const caller = createCaller({ limiter: createLimiter({ maxConcurrent: 2, requestsPerSecond: Infinity }), retry });
  const bad = scripted([
    () => { throw new ApiError('x', 400, 'Bad Request', { errorMessages: ["Field 'foo' does not exist or you do not have permission to view it."], errors: {} }); },
  ]);
  const e1 = await caller.call(info, undefined, bad.fn).catch((e: unknown) => e);
  t.ok(e1 instanceof JiraBadRequestError);
  t.match((e1 as Error).message, /Jira POST search\/jql: 400: Field 'foo' does not exist/);
  t.equal(bad.calls(), 1);
  const flood = scripted([() => { throw new ApiError('x', 400, 'Bad Request', { errorMessages: [`${'A'.repeat(5000)}\u001b[31m`] }); }]);
  const e3 = await caller.call(info, undefined, flood.fn).catch((e: unknown) => e);
  t.ok((e3 as Error).message.length < 400 && !(e3 as Error).message.includes('\u001b'), 'a remote message is a short printable excerpt');
  const auth = scripted([() => { throw new AuthError('x', 'Unauthorized', { errorMessages: ['you sent Authorization: Basic Zm9vOmJhcg=='] }); }]);
  const e2 = await caller.call(info, undefined, auth.fn).catch((e: unknown) => e);
  t.ok(e2 instanceof JiraAuthError);
  t.notMatch((e2 as Error).message, /you sent|Zm9vOmJhcg/, 'the body of a refused request is never echoed');
  t.equal((e2 as JiraAuthError).retryable, false);
  t.equal(auth.calls(), 1);
});

t.test('a 429 is waited out for Retry-After and reported to the hook; too many give up with retryAfterSeconds', async (t) => {
  const rec = recorder();
  const caller = createCaller({ limiter: createLimiter({ maxConcurrent: 2, requestsPerSecond: Infinity }), retry, hooks: rec.hooks });
  const s = scripted([() => { throw new RateLimitError('x', 'Too Many Requests', '', { retryAfterMs: 100 }); }, () => 'ok']);
  const started = performance.now();
  t.equal(await caller.call(info, undefined, s.fn), 'ok');
  const elapsed = performance.now() - started;
  t.ok(elapsed >= 100, `waited ${elapsed.toFixed(0)} ms, not less than Retry-After`);
  t.equal(rec.limited.length, 1);
  const always = scripted([() => { throw new RateLimitError('x', 'Too Many Requests', '', { retryAfterMs: 0 }); }]);
  const err = await caller.call(info, undefined, always.fn).catch((e: unknown) => e);
  t.ok(err instanceof JiraRateLimitedError);
  t.equal(always.calls(), retry.maxRateLimitRetries + 1);
  const long = scripted([() => { throw new RateLimitError('x', 'Too Many Requests', '', { retryAfterMs: 3_600_000 }); }]);
  const e3 = await caller.call(info, undefined, long.fn).catch((e: unknown) => e);
  t.ok(e3 instanceof JiraRateLimitedError, 'a Retry-After beyond the cap is handed to the reconciler');
  t.ok((e3 as JiraRateLimitedError).retryAfterSeconds >= 3600);
  t.equal(long.calls(), 1);
});

t.test('abort discards an in-flight result and stops before the next request', async (t) => {
  const caller = createCaller({ limiter: createLimiter({ maxConcurrent: 1, requestsPerSecond: Infinity }), retry });
  const ac = new AbortController();
  let finished = false;
  const slow = (): Promise<string> => new Promise((r) => setTimeout(() => { finished = true; r('late'); }, 100));
  const p = caller.call(info, ac.signal, slow);
  setTimeout(() => ac.abort(new Error('cancelled')), 10);
  await t.rejects(p, /cancelled/);
  t.notOk(finished, 'gave up before the request finished');
  await t.rejects(caller.call(info, ac.signal, async () => 'x'), /cancelled/);
  t.equal(caller.requestCount(), 1, 'no request after the abort');
});

t.test('an unknown error (a bug, not Jira) is neither retried nor disguised', async (t) => {
  const caller = createCaller({ limiter: createLimiter({ maxConcurrent: 1, requestsPerSecond: Infinity }), retry });
  const s = scripted([() => { throw new RangeError('oops'); }]);
  await t.rejects(caller.call(info, undefined, s.fn), RangeError);
  t.equal(s.calls(), 1);
});
