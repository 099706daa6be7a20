/**
 * A refused credential is detected on every run, whatever the endpoint answers: the IssueSource
 * checks /myself once before its first search, count or fetch, and any answer whose
 * X-Seraph-LoginReason says the login failed is a JiraAuthError — never "zero issues". Against the
 * emulator in expired-token mode, where Jira Cloud's anonymous 200s are reproduced.
 */
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startJiraEmulator } from '../jira-emulator/emulator.ts';
import { createJiraSource, createLimiter, JiraAuthError, type JiraClientOptions, type JiraConnection } from '../../controller/jira/jira.ts';

// 10,000 issues: the issue's "an expired token on a 10,000-issue project leaves the branch untouched",
// at the source level (what the engine would see).
const emu = await startJiraEmulator({ seed: 13, projects: [{ key: 'BIG', issues: 10_000 }, { key: 'INC', issues: 3 }] });
t.teardown(() => emu.stop());

const fast: JiraClientOptions = {
  onSchemaMismatch: 'throw',
  limiter: createLimiter({ maxConcurrent: 6, requestsPerSecond: Infinity }),
  retry: { initialDelayMs: 5, maxDelayMs: 20, maxRetries: 2 },
};
const conn = (apiToken = emu.apiToken): JiraConnection => ({ baseUrl: emu.url, credentials: { kind: 'basic', email: emu.email, apiToken } });
const mark = () => emu.state.requestLog.at(-1)?.seq ?? 0;
const since = (seq: number) => emu.state.requestsSince(seq).map((e) => `${e.method} ${e.path.replace(/^\/rest\/api\/3\//, '')} ${e.status}`);

t.afterEach(() => {
  emu.state.expiredTokenMode(false);
  emu.state.expireToken(undefined, false);
  emu.state.clearFaults();
});

async function drain(it: AsyncIterable<unknown[]>): Promise<number> {
  let n = 0;
  for await (const page of it) n += page.length;
  return n;
}

function isRefused(t: Pick<typeof import('tap').default, 'ok' | 'equal'>, err: unknown, what: string): void {
  t.ok(err instanceof JiraAuthError, `${what}: JiraAuthError (${String(err)})`);
  const e = err as JiraAuthError;
  t.equal(e.status, 401, `${what}: 401`);
  t.equal(e.failureReason, 'AuthenticationFailed', `${what}: reason AuthenticationFailed`);
  t.equal(e.retryable, false, `${what}: not retried in place`);
}

t.test('the right token: a 10,000-issue project enumerates fully with one /myself before the first search', async (t) => {
  const source = createJiraSource(conn(), fast);
  const seq = mark();
  t.equal(await source.count('project = BIG'), 10_000);
  t.equal(await drain(source.enumerate('project = BIG')), 10_000);
  const sent = since(seq);
  t.equal(sent[0], 'GET myself 200', 'the identity is checked first');
  t.equal(sent.filter((s) => s.startsWith('GET myself')).length, 1, 'once per source');
  t.equal(source.requestCount(), 1 + 1 + 2, 'identity + count + ceil(10000/5000) pages');
});

t.test('expired-token mode: every read of a 10,000-issue project with an expired token fails as AuthenticationFailed, none says zero issues', async (t) => {
  emu.state.expiredTokenMode();
  emu.state.expireToken();
  const reads: Array<[string, (s: ReturnType<typeof createJiraSource>) => Promise<unknown>]> = [
    ['count', (s) => s.count('project = BIG')],
    ['enumerate', (s) => drain(s.enumerate('project = BIG'))],
    ['search', (s) => drain(s.search('project = BIG', ['summary']))],
    ['fetch', (s) => drain(s.fetch(['BIG-1', 'BIG-2'], ['summary']))],
    ['timeZone', (s) => s.timeZone()],
  ];
  for (const [what, read] of reads) {
    const source = createJiraSource(conn(), fast);
    const seq = mark();
    const out = await read(source).then((v) => ({ value: v }), (e: unknown) => ({ error: e }));
    t.notOk('value' in out, `${what} did not answer ${'value' in out ? JSON.stringify(out.value) : ''}`);
    if ('error' in out) isRefused(t, out.error, what);
    t.same(since(seq), ['GET myself 401'], `${what}: only the identity check was sent, no search ran`);
  }
});

t.test('a token refused after the identity check: the anonymous 200 of a search page or a bulk fetch is an auth error, not an empty page', async (t) => {
  const source = createJiraSource(conn(), fast);
  t.equal(await source.timeZone(), 'UTC');
  emu.state.expiredTokenMode();
  emu.state.expireToken();
  const seq = mark();
  isRefused(t, await drain(source.enumerate('project = BIG')).catch((e: unknown) => e), 'enumerate');
  isRefused(t, await source.count('project = BIG').catch((e: unknown) => e), 'count');
  isRefused(t, await drain(source.fetch(['BIG-1'], ['summary'])).catch((e: unknown) => e), 'fetch');
  t.same(since(seq), ['POST search/jql 200', 'POST search/approximate-count 200', 'POST issue/bulkfetch 200'],
    'Jira said 200 to each, and nothing was retried');
  t.ok(emu.state.requestsSince(seq).every((e) => e.anonymous === true), 'each answered as the anonymous user');
});

t.test('a wrong token without expired-token mode fails the same way (401 on /myself)', async (t) => {
  const source = createJiraSource(conn('wrong-token'), fast);
  isRefused(t, await drain(source.enumerate('project = INC')).catch((e: unknown) => e), 'enumerate');
});

t.test('an incremental run reuses the identity check for the time zone: /myself + one search', async (t) => {
  const source = createJiraSource(conn(), fast);
  const seq = mark();
  await source.timeZone();
  t.equal(await drain(source.search('project = INC', ['updated'])), 3);
  t.same(since(seq), ['GET myself 200', 'POST search/jql 200']);
});

t.test('a /myself answer without an accountId (anonymous) is refused', async (t) => {
  // A 127.0.0.1 stand-in for a proxy that answers /myself for nobody; jira.js in 'warn' mode lets the
  // shape through, as production does, so the layer's own check is what refuses it.
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(req.url?.includes('/myself') ? JSON.stringify({ displayName: 'Anonymous', timeZone: 'UTC', active: false }) : '{"count":7}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const source = createJiraSource({ baseUrl: url, credentials: { kind: 'basic', email: 'a@example.com', apiToken: 'x' } }, { ...fast, onSchemaMismatch: 'warn' });
  isRefused(t, await source.count('project = X').catch((e: unknown) => e), 'count');
});
