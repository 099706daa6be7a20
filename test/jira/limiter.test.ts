import t from 'tap';
import { createLimiter, limiterForHost } from '../../controller/jira/limiter.ts';
import { sleep } from '../../controller/jira/backoff.ts';

t.test('no more than maxConcurrent requests hold a slot at once', async (t) => {
  const limiter = createLimiter({ maxConcurrent: 3, requestsPerSecond: Infinity });
  let active = 0;
  let peak = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: 12 }, async () => {
      const release = await limiter.acquire();
      active++;
      peak = Math.max(peak, active);
      await sleep(10);
      active--;
      done++;
      release();
    }),
  );
  t.equal(done, 12);
  t.equal(peak, 3);
});

t.test('request starts are paced to the configured rate after the burst', async (t) => {
  const limiter = createLimiter({ maxConcurrent: 10, requestsPerSecond: 50, burst: 1 });
  const started = performance.now();
  for (let i = 0; i < 6; i++) (await limiter.acquire())();
  const elapsed = performance.now() - started;
  // 1 from the burst, then 5 more at 20 ms intervals: at least ~100 ms.
  t.ok(elapsed >= 90, `six starts took ${elapsed.toFixed(0)} ms`);
  t.ok(elapsed < 2000, 'and not wildly more');
});

t.test('a pause after a 429 holds back every caller of the host until it ends', async (t) => {
  const limiter = createLimiter({ maxConcurrent: 4, requestsPerSecond: Infinity });
  const until = Date.now() + 150;
  limiter.pauseUntil(until);
  limiter.pauseUntil(Date.now() + 10); // an earlier pause does not shorten it
  const times = await Promise.all(
    [0, 1, 2].map(async () => {
      const release = await limiter.acquire();
      release();
      return Date.now();
    }),
  );
  for (const at of times) t.ok(at >= until, 'started after the pause');
});

t.test('a caller waiting for a slot leaves the queue when its signal aborts', async (t) => {
  const limiter = createLimiter({ maxConcurrent: 1, requestsPerSecond: Infinity });
  const hold = await limiter.acquire();
  const ac = new AbortController();
  const waiting = limiter.acquire(ac.signal);
  ac.abort(new Error('cancelled'));
  await t.rejects(waiting, /cancelled/);
  hold();
  const next = await limiter.acquire(); // the slot was not leaked to the aborted waiter
  next();
  next(); // releasing twice is harmless
  const a = await limiter.acquire();
  const b = limiter.acquire();
  let bGot = false;
  void b.then(() => (bGot = true));
  await sleep(20);
  t.notOk(bGot, 'the double release did not create a second slot');
  a();
  (await b)();
});

t.test('connections to the same host share one limiter, other hosts get their own', async (t) => {
  t.equal(limiterForHost('https://a.example.net/jira'), limiterForHost('https://a.example.net'));
  t.not(limiterForHost('https://a.example.net'), limiterForHost('https://b.example.net'));
  t.not(limiterForHost('http://127.0.0.1:1000'), limiterForHost('http://127.0.0.1:1001'));
  t.throws(() => limiterForHost('not a url'), /invalid base URL/);
});
