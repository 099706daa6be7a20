import t from 'tap';
import { DEFAULT_RETRY, backoffDelayMs, rateLimitDelayMs, sleep } from '../../controller/jira/backoff.ts';

const policy = { initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0.5 };

t.test('backoff doubles per retry, is capped, and jitter only shortens it within the bound', async (t) => {
  const cases = [
    { retry: 0, base: 100 },
    { retry: 1, base: 200 },
    { retry: 3, base: 800 },
    { retry: 4, base: 1000 },
    { retry: 30, base: 1000 },
  ];
  for (const c of cases) {
    t.equal(backoffDelayMs(c.retry, policy, () => 0), c.base, `retry ${c.retry} without jitter`);
    t.equal(backoffDelayMs(c.retry, policy, () => 0.999999), Math.round(c.base * (1 - 0.5 * 0.999999)), `retry ${c.retry} max jitter`);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelayMs(c.retry, policy);
      t.ok(d >= c.base / 2 && d <= c.base, `retry ${c.retry} random draw ${d} in [${c.base / 2}, ${c.base}]`);
    }
  }
});

t.test('a 429 waits exactly Retry-After plus a bounded jitter, never less', async (t) => {
  const opts = { rateLimitDefaultMs: 5000, rateLimitJitterMs: 250 };
  const cases = [
    { name: 'Retry-After: 2', after: 2000, min: 2000 },
    { name: 'Retry-After: 0 as Data Center sends', after: 0, min: 0 },
    { name: 'no Retry-After falls back to the default', after: undefined, min: 5000 },
    { name: 'a negative value falls back to the default', after: -1, min: 5000 },
  ];
  for (const c of cases) {
    t.equal(rateLimitDelayMs(c.after, opts, () => 0), c.min, `${c.name}: lowest draw`);
    t.equal(rateLimitDelayMs(c.after, opts, () => 0.999999), c.min + 249, `${c.name}: highest draw`);
  }
  t.equal(rateLimitDelayMs(1500, { rateLimitDefaultMs: 1, rateLimitJitterMs: 0 }, () => 0.7), 1500, 'no jitter configured');
});

t.test('the production retry policy is bounded', async (t) => {
  let total = 0;
  for (let r = 0; r < DEFAULT_RETRY.maxRetries; r++) total += backoffDelayMs(r, DEFAULT_RETRY, () => 0);
  t.ok(total <= 60_000, `worst-case backoff for one call is ${total} ms`);
  t.ok(DEFAULT_RETRY.maxRateLimitRetries > 0 && DEFAULT_RETRY.maxRateLimitWaitMs >= 60_000);
});

t.test('sleep waits at least the time asked and rejects at once on abort', async (t) => {
  const started = performance.now();
  await sleep(30);
  t.ok(performance.now() - started >= 30, 'not early');
  const ac = new AbortController();
  const p = sleep(10_000, ac.signal);
  const abortedAt = performance.now();
  ac.abort(new Error('stop'));
  await t.rejects(p, /stop/);
  t.ok(performance.now() - abortedAt < 1000, 'rejected promptly');
  await t.rejects(sleep(5, ac.signal), /stop/, 'an aborted signal rejects before waiting');
});
