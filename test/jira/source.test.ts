import t from 'tap';
import { inspect } from 'node:util';
import { startJiraEmulator } from '../jira-emulator/emulator.ts';
import {
  createJiraApi,
  createJiraSource,
  createLimiter,
  jqlDateTimeAtOrBefore,
  JiraAuthError,
  JiraBadRequestError,
  JiraNotFoundError,
  JiraRateLimitedError,
  JiraUnavailableError,
  type JiraClientOptions,
  type JiraConnection,
  type JiraRequestHooks,
} from '../../controller/jira/jira.ts';

// One emulator for the file (generating 12k issues takes a moment); each test looks only at the
// requests it caused, and clears the faults it set.
const emu = await startJiraEmulator({
  seed: 7,
  timeZone: 'Europe/Berlin',
  projects: [
    { key: 'BIG', issues: 12_345 },
    { key: 'MID', issues: 250 },
    { key: 'INC', issues: 5 },
  ],
});
t.teardown(() => emu.stop());

const conn: JiraConnection = { baseUrl: emu.url, credentials: { kind: 'basic', email: emu.email, apiToken: emu.apiToken } };
const JITTER_MS = 200;
const fast: JiraClientOptions = {
  onSchemaMismatch: 'throw',
  limiter: createLimiter({ maxConcurrent: 6, requestsPerSecond: Infinity }),
  retry: { initialDelayMs: 10, maxDelayMs: 50, maxRetries: 3, rateLimitJitterMs: JITTER_MS, rateLimitDefaultMs: 100, maxRateLimitRetries: 4 },
};

function mark(): number {
  const log = emu.state.requestLog;
  return log.length ? log[log.length - 1].seq : 0;
}
const since = (seq: number, path?: string) => emu.state.requestsSince(seq).filter((e) => !path || e.path.endsWith(path));

function recorder(): { hooks: JiraRequestHooks; responses: Array<{ endpoint: string; method: string; code: number; page?: number }>; spans: number; limited: string[] } {
  const r = { responses: [] as Array<{ endpoint: string; method: string; code: number; page?: number }>, spans: 0, limited: [] as string[] };
  return {
    ...r,
    get spans() {
      return r.spans;
    },
    hooks: {
      onResponse: (i) => r.responses.push({ endpoint: i.endpoint, method: i.method, code: i.code, page: i.page }),
      onRateLimited: (i) => r.limited.push(i.endpoint),
      wrap: (_i, call) => {
        r.spans++;
        return call();
      },
    },
  };
}

t.afterEach(() => emu.state.clearFaults());

t.test('enumerating a 12,345-issue project yields every key once in three ids-only pages, as many as the approximate count', async (t) => {
  const source = createJiraSource(conn, fast);
  const seq = mark();
  const total = await source.count('project = BIG');
  t.equal(total, 12_345);
  const sizes: number[] = [];
  const keys = new Set<string>();
  let incomplete = 0;
  for await (const page of source.enumerate('project = BIG ORDER BY key ASC')) {
    sizes.push(page.length);
    for (const ref of page) {
      if (!ref.id || !ref.key) incomplete++;
      keys.add(ref.key);
    }
  }
  t.equal(incomplete, 0, 'every ref has an id and a key');
  t.same(sizes, [5000, 5000, 2345]);
  t.equal(keys.size, 12_345);
  t.ok(keys.has('BIG-1') && keys.has('BIG-12345'));
  const searches = since(seq, '/search/jql');
  t.equal(searches.length, 3, 'one request per page');
  t.ok(searches.every((e) => e.method === 'POST' && JSON.stringify((e.body as { fields?: unknown }).fields) === '["key"]'), 'ids only');
  t.equal(since(seq, '/search/approximate-count').length, 1);
  t.equal(since(seq, '/myself').length, 1, 'the identity is checked once, before the first count or search');
  t.equal(source.requestCount(), 5, 'ceil(n/5000) pages + 1 count + 1 identity check');
});

t.test('enumerating with updated times pages at 100 and returns each issue\'s updated instant', async (t) => {
  const source = createJiraSource(conn, fast);
  const seq = mark();
  const refs = [];
  for await (const page of source.enumerate('project = MID', undefined, { withUpdated: true })) refs.push(...page);
  t.equal(refs.length, 250);
  t.equal(since(seq, '/search/jql').length, 3);
  const sample = refs[17];
  t.equal(Date.parse(sample.updated ?? ''), Date.parse(emu.state.issue(sample.key)?.updated ?? 'x'));
});

t.test('search returns the requested fields 100 issues per page', async (t) => {
  const source = createJiraSource(conn, fast);
  const seq = mark();
  const pages: number[] = [];
  const wrong: string[] = [];
  let checked = 0;
  for await (const page of source.search('project = MID ORDER BY key DESC', ['summary', 'status'])) {
    pages.push(page.length);
    for (const issue of page) {
      const status = (issue.fields.status as { name?: unknown } | undefined)?.name;
      if (issue.fields.summary !== emu.state.issue(issue.key)?.summary || status !== emu.state.issue(issue.key)?.status) wrong.push(issue.key);
      checked++;
    }
  }
  t.same(pages, [100, 100, 50]);
  t.equal(checked, 250);
  t.same(wrong, [], 'summary and status as the emulator holds them');
  t.equal(since(seq, '/search/jql').length, 3);
});

t.test('bulk fetch keeps the asked order, 100 per request with chunks in parallel, leaving out missing and hidden issues', async (t) => {
  const source = createJiraSource(conn, { ...fast, parallelChunks: 3 });
  emu.state.setHidden('BIG-300', true);
  t.teardown(() => emu.state.setHidden('BIG-300', false));
  emu.state.latency(150, '/issue/bulkfetch');
  const keys = Array.from({ length: 450 }, (_, i) => `BIG-${450 - i}`);
  keys.splice(10, 0, 'BIG-999999');
  const seq = mark();
  const got: string[] = [];
  const sizes: number[] = [];
  let withoutSummary = 0;
  for await (const chunk of source.fetch(keys, ['summary', 'issuetype'])) {
    sizes.push(chunk.length);
    for (const issue of chunk) {
      got.push(issue.key);
      if (typeof issue.fields.summary !== 'string') withoutSummary++;
    }
  }
  t.same(sizes, [99, 99, 100, 100, 51], 'chunks of 100 asked, minus the missing and the hidden one');
  t.equal(withoutSummary, 0);
  const want = keys.filter((k) => k !== 'BIG-999999' && k !== 'BIG-300');
  t.same(got, want, 'every visible issue, in the order asked');
  const requests = since(seq, '/issue/bulkfetch');
  t.equal(requests.length, 5, '451 keys in chunks of 100');
  // Requests overlapped in time: more than one in flight, never more than three.
  let peak = 0;
  for (const a of requests) peak = Math.max(peak, requests.filter((b) => b.at <= a.at && b.at + b.ms > a.at).length);
  t.ok(peak >= 2 && peak <= 3, `peak concurrency ${peak}`);
});

t.test('the Jira user time zone is read from /myself once per source', async (t) => {
  const source = createJiraSource(conn, fast);
  const seq = mark();
  t.equal(await source.timeZone(), 'Europe/Berlin');
  t.equal(await source.timeZone(), 'Europe/Berlin');
  t.equal(since(seq, '/myself').length, 1);
});

t.test('an incremental query in the user zone finds issues updated since the cursor, with the overlap window', async (t) => {
  const source = createJiraSource(conn, fast);
  const tz = await source.timeZone();
  const cursor = Date.now();
  emu.state.updateIssue('INC-2', { summary: 'changed after the cursor' });
  emu.state.updateIssue('INC-3', { summary: 'changed before the cursor', updated: cursor - 10 * 60_000 });
  const keysFor = async (overlapMinutes: number): Promise<string[]> => {
    const jql = `project = INC AND updated >= "${jqlDateTimeAtOrBefore(cursor, tz, overlapMinutes)}" ORDER BY key ASC`;
    const out: string[] = [];
    for await (const page of source.search(jql, ['updated'])) out.push(...page.map((i) => i.key));
    return out;
  };
  t.same(await keysFor(0), ['INC-2']);
  t.same(await keysFor(15), ['INC-2', 'INC-3']);
});

t.test('at the DST fall-back the incremental date still covers an issue updated in the repeated hour', async (t) => {
  const source = createJiraSource(conn, fast);
  // 00:45Z is 02:45 CEST, the first pass through 02:xx on 2026-10-25 in Berlin.
  emu.state.updateIssue('INC-4', { summary: 'DST', updated: '2026-10-25T00:45:00Z' });
  const jql = `key = INC-4 AND updated >= "${jqlDateTimeAtOrBefore('2026-10-25T00:50:00Z', 'Europe/Berlin', 0)}"`;
  const found: string[] = [];
  for await (const page of source.search(jql, ['updated'])) found.push(...page.map((i) => i.key));
  t.same(found, ['INC-4']);
});

t.test('rejected JQL fails at once with the JQL error Jira returned', async (t) => {
  const source = createJiraSource(conn, fast);
  await source.timeZone();
  const seq = mark();
  const err = await (async () => {
    for await (const _ of source.enumerate('project = BIG AND nosuchfield = 3')) void _;
  })().catch((e: unknown) => e);
  t.ok(err instanceof JiraBadRequestError, String(err));
  const e = err as JiraBadRequestError;
  t.equal(e.status, 400);
  t.equal(e.retryable, false);
  t.ok(e.errorMessages.length > 0);
  t.ok(e.message.includes(e.errorMessages[0]), e.message);
  t.match(e.message, /nosuchfield/);
  t.equal(since(seq).length, 1, 'not retried');
});

t.test('wrong Basic credentials fail once with JiraAuthError, and the token appears in no message', async (t) => {
  const token = 'wrong-api-token-9f8e7d6c5b';
  const source = createJiraSource({ baseUrl: emu.url, credentials: { kind: 'basic', email: emu.email, apiToken: token } }, fast);
  const seq = mark();
  const err = await source.count('project = BIG').catch((e: unknown) => e);
  t.ok(err instanceof JiraAuthError);
  const e = err as JiraAuthError;
  t.equal(e.status, 401);
  t.equal(e.kind, 'auth');
  t.equal(e.retryable, false);
  t.equal(since(seq).length, 1, 'not retried');
  t.equal(since(seq)[0].auth, 'basic');
  const everything = `${e.message}\n${e.stack}\n${inspect(e, { depth: 10 })}\n${String(e.cause)}`;
  t.notOk(everything.includes(token), 'no raw token');
  t.notOk(everything.includes(Buffer.from(`${emu.email}:${token}`).toString('base64')), 'no Basic header value');
});

t.test('a Bearer token is sent as Bearer; Jira Cloud rejects it with a clean auth error', async (t) => {
  const token = 'bearer-token-that-cloud-rejects-1234';
  const source = createJiraSource({ baseUrl: emu.url, credentials: { kind: 'bearer', token } }, fast);
  const seq = mark();
  const err = await source.timeZone().catch((e: unknown) => e);
  t.ok(err instanceof JiraAuthError);
  t.equal(since(seq)[0].auth, 'bearer');
  t.notOk(`${(err as Error).message}${inspect(err, { depth: 10 })}`.includes(token));
});

t.test('an issue that does not exist, or is hidden from the user, is a JiraNotFoundError', async (t) => {
  const api = createJiraApi(conn, fast);
  const missing = await api.issueStatus('BIG-999999').catch((e: unknown) => e);
  t.ok(missing instanceof JiraNotFoundError);
  t.equal((missing as JiraNotFoundError).retryable, false);
  emu.state.setHidden('BIG-5', true);
  t.teardown(() => emu.state.setHidden('BIG-5', false));
  t.ok((await api.issueStatus('BIG-5').catch((e: unknown) => e)) instanceof JiraNotFoundError);
});

t.test('a 429 is retried no earlier than Retry-After and no later than the jitter bound', async (t) => {
  const rec = recorder();
  const source = createJiraSource(conn, { ...fast, hooks: rec.hooks });
  await source.timeZone();
  rec.responses.length = 0;
  emu.state.rateLimit({ retryAfter: 1, forRequests: 1 });
  const seq = mark();
  const started = performance.now();
  t.equal(await source.count('project = MID'), 250);
  const elapsed = performance.now() - started;
  t.ok(elapsed >= 1000, `waited ${elapsed.toFixed(0)} ms >= Retry-After`);
  t.ok(elapsed <= 1000 + JITTER_MS + 750, `waited ${elapsed.toFixed(0)} ms, within the jitter bound plus request time`);
  const reqs = since(seq);
  t.same(reqs.map((r) => r.status), [429, 200]);
  t.ok(reqs[1].at - reqs[0].at >= 1000, 'the emulator saw the retry after the window');
  t.equal(emu.state.faults().stats.earlyRetries, 0, 'no early retry');
  t.same(rec.limited, ['search/approximate-count']);
  t.same(rec.responses.map((r) => r.code), [429, 200]);
});

t.test('Retry-After: 0 is retried at once; endless 429s give up with JiraRateLimitedError', async (t) => {
  const source = createJiraSource(conn, fast);
  await source.timeZone();
  emu.state.rateLimit({ retryAfter: 0, forRequests: 2 });
  let seq = mark();
  t.equal(await source.count('project = MID'), 250);
  t.same(since(seq).map((r) => r.status), [429, 429, 200]);
  emu.state.rateLimit({ retryAfter: 0 });
  seq = mark();
  const err = await source.count('project = MID').catch((e: unknown) => e);
  t.ok(err instanceof JiraRateLimitedError);
  t.equal((err as JiraRateLimitedError).retryable, true);
  t.type((err as JiraRateLimitedError).retryAfterSeconds, 'number');
  t.equal(since(seq).length, 5, 'the first try and maxRateLimitRetries (4) retries');
});

t.test('5xx answers are retried with backoff and the call recovers; persistent 5xx ends in JiraUnavailableError', async (t) => {
  const source = createJiraSource(conn, fast);
  await source.timeZone();
  emu.state.fail5xx({ count: 2, status: 503 });
  let seq = mark();
  t.equal(await source.count('project = MID'), 250);
  t.same(since(seq).map((r) => r.status), [503, 503, 200]);
  emu.state.fail5xx({ probability: 1, status: 500 });
  seq = mark();
  const err = await source.count('project = MID').catch((e: unknown) => e);
  t.ok(err instanceof JiraUnavailableError);
  t.equal((err as JiraUnavailableError).reason, 'server');
  t.equal(since(seq).length, 4, 'the first try and three retries');
});

t.test('a 503 with Retry-After is retried no earlier than asked, and goes up at once when the wait is too long', async (t) => {
  const source = createJiraSource(conn, fast);
  await source.timeZone();
  emu.state.fail5xx({ count: 1, status: 503, retryAfter: 1 });
  let seq = mark();
  t.equal(await source.count('project = MID'), 250);
  const [failed, retried] = since(seq);
  t.same([failed.status, retried.status], [503, 200]);
  t.ok(retried.at - failed.at >= 1000, `retried after ${retried.at - failed.at} ms (backoff alone is 10 ms)`);
  const impatient = createJiraSource(conn, { ...fast, retry: { ...fast.retry, maxRateLimitWaitMs: 500 } });
  await impatient.timeZone();
  emu.state.fail5xx({ count: 1, status: 503, retryAfter: 30 });
  seq = mark();
  const err = await impatient.count('project = MID').catch((e: unknown) => e);
  t.ok(err instanceof JiraUnavailableError, String(err));
  t.equal(since(seq).length, 1, 'no worker held for 30 s: the reconciler retries later');
});

t.test('dropped connections and malformed JSON are retried, in strict and in production schema mode', async (t) => {
  for (const mode of ['throw', 'warn'] as const) {
    const source = createJiraSource(conn, { ...fast, onSchemaMismatch: mode });
    emu.state.dropConnections(1, '/search/approximate-count');
    t.equal(await source.count('project = MID'), 250, `${mode}: after a dropped connection`);
    emu.state.malformedJson(1, '/search/jql');
    const keys: string[] = [];
    for await (const page of source.enumerate('project = INC')) keys.push(...page.map((r) => r.key));
    t.equal(keys.length, 5, `${mode}: after a truncated body`);
  }
  t.equal(emu.state.faults().stats.malformed, 2);
  t.equal(emu.state.faults().stats.dropped, 2);
});

t.test('cancelling mid-pagination stops waiting at once and makes no further request', async (t) => {
  const source = createJiraSource(conn, fast);
  await source.timeZone();
  emu.state.latency(400, '/search/jql');
  const ac = new AbortController();
  const seq = mark();
  const pages: number[] = [];
  let abortedAt = 0;
  const err = await (async () => {
    for await (const page of source.enumerate('project = BIG', ac.signal)) {
      pages.push(page.length);
      // Abort while the second page is on the wire.
      setTimeout(() => {
        abortedAt = performance.now();
        ac.abort(new Error('sync cancelled'));
      }, 100);
    }
  })().catch((e: unknown) => e);
  const gaveUpAfter = performance.now() - abortedAt;
  t.match(String(err), /sync cancelled/);
  t.same(pages, [5000], 'the second page is discarded');
  t.ok(gaveUpAfter < 250, `gave up ${gaveUpAfter.toFixed(0)} ms after the abort, before the response`);
  await new Promise((r) => setTimeout(r, 600));
  t.equal(since(seq, '/search/jql').length, 2, 'the in-flight request finished, no third was sent');
  const again = await source.count('project = MID', ac.signal).catch((e: unknown) => e);
  t.match(String(again), /sync cancelled/, 'an aborted signal stops the next call before any request');
  t.equal(since(seq).length, 2);
});

t.test('every HTTP request passes through the hooks with its endpoint, method, status and page', async (t) => {
  const rec = recorder();
  const source = createJiraSource(conn, { ...fast, hooks: rec.hooks });
  emu.state.fail5xx({ count: 1, path: '/issue/bulkfetch' });
  const seq = mark();
  await source.timeZone();
  const keys: string[] = [];
  for await (const page of source.enumerate('project = MID')) keys.push(...page.map((r) => r.key));
  for await (const _ of source.fetch(keys, ['summary'])) void _;
  await new Promise((r) => setImmediate(r));
  const sent = since(seq);
  t.equal(rec.responses.length, sent.length, 'one hook call per HTTP request');
  t.equal(rec.spans, sent.length, 'one span per HTTP request');
  t.equal(source.requestCount(), sent.length);
  t.same(
    rec.responses.map((r) => `${r.method} ${r.endpoint} ${r.code}`).sort(),
    sent.map((e) => `${e.method} ${e.path.replace(/^\/rest\/api\/3\//, '')} ${e.status}`).sort(),
  );
  t.same(rec.responses.filter((r) => r.endpoint === 'search/jql').map((r) => r.page), [1]);
});
