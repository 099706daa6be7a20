/**
 * The Data Center client (datacenter.ts on v2-http.ts) against the emulator in Data Center mode,
 * over HTTP: detection, classic search paging and request counts, `key in (...)` fetches, the
 * Epic Link, refused tokens (never zero issues), rate limits, failure reports in wiki markup, and
 * credentials that never follow a redirect to another origin.
 */
import t from 'tap';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startJiraEmulator } from '../jira-emulator/emulator.ts';
import {
  createJiraApi, createJiraSource, createLimiter, JiraAuthError, JiraBadRequestError, type JiraClientOptions, type JiraConnection,
} from '../../controller/jira/jira.ts';
import { reportFailure } from '../../controller/jira/report.ts';
import { createDataCenterApi } from '../../controller/jira/datacenter.ts';
import type { V2Http } from '../../controller/jira/v2-http.ts';
import { failureMarker, plainText } from '../../controller/jira/adf.ts';

const N = 2_345;
const emu = await startJiraEmulator({ mode: 'datacenter', seed: 11, timeZone: 'Europe/Berlin', projects: [{ key: 'DC', issues: N }, { key: 'WF', issues: 4 }] });
t.teardown(() => emu.stop());

const fast: JiraClientOptions = {
  onSchemaMismatch: 'throw',
  limiter: createLimiter({ maxConcurrent: 6, requestsPerSecond: Infinity }),
  retry: { initialDelayMs: 5, maxDelayMs: 20, maxRetries: 2, rateLimitJitterMs: 50, rateLimitDefaultMs: 100 },
};
const pat = (token = emu.pat): JiraConnection => ({ baseUrl: emu.url, credentials: { kind: 'bearer', token } });
const mark = (): number => emu.state.requestLog.at(-1)?.seq ?? 0;
const since = (seq: number): string[] => emu.state.requestsSince(seq).map((e) => `${e.method} ${e.path.replace(/^\/rest\/api\/2\//, '')} ${e.status}`);

t.afterEach(() => {
  emu.state.clearFaults();
  emu.state.expiredTokenMode(false);
  emu.state.expireToken(emu.pat, false);
});

async function drain<T>(it: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of it) out.push(...page);
  return out;
}

t.test('a PAT is detected as Data Center through serverInfo, and a project enumerates in ⌈N/1000⌉ key-ordered pages', async (t) => {
  const source = createJiraSource(pat(), fast);
  const seq = mark();
  t.equal(await source.count('project = DC'), N);
  const refs = await drain(source.enumerate('project = DC'));
  t.same(refs.map((r) => r.key), Array.from({ length: N }, (_, i) => `DC-${i + 1}`), 'every key once, in key order');
  const sent = since(seq);
  t.equal(sent[0], 'GET serverInfo 200', 'the deployment is asked first');
  t.equal(sent[1], 'GET myself 200', 'then the identity');
  t.equal(source.requestCount(), 1 + 1 + 1 + Math.ceil(N / 1000), 'serverInfo + myself + count + ⌈N/1000⌉ pages');
  const searches = emu.state.requestsSince(seq).filter((e) => e.path.endsWith('/search'));
  t.match(searches[0].body, { maxResults: 0 }, 'the count is a maxResults=0 search');
  t.ok(searches.slice(1).every((e) => /ORDER BY key ASC$/.test(String((e.body as { jql?: unknown }).jql))), 'pages are in key order');

  const again = createJiraSource(pat(), fast);
  const seq2 = mark();
  await again.timeZone();
  t.same(since(seq2), ['GET myself 200'], 'the deployment of an origin is detected once per process');
});

t.test('issues are fetched in key chunks with Cloud-shaped parents; unknown keys are left out, as bulk fetch does', async (t) => {
  const source = createJiraSource(pat(), fast);
  const epicKey = 'DC-1';
  const clause = await source.epicChildren?.(epicKey);
  t.equal(clause, 'cf[10014] = "DC-1"', 'the Epic Link field is found through /field');
  const children = await drain(source.enumerate(clause ?? ''));
  t.ok(children.length > 0, 'the first epic has children');
  const story = children[0].key;
  emu.state.deleteIssue('DC-7');
  const [a, b] = ['DC-1000', 'DC-1001'].filter((k) => k !== story);
  const keys = [story, a, 'DC-7', 'NOPE-1', b];
  const seq = mark();
  const issues = await drain(source.fetch(keys, ['summary', 'parent', 'description', 'reporter']));
  t.same(issues.map((i) => i.key), [story, a, b], 'in the order asked, unknown keys left out');
  const s = issues[0];
  t.match(s.fields.parent, { key: epicKey, fields: { issuetype: { hierarchyLevel: 1 } } }, "the Epic Link is the story's parent");
  t.notOk('customfield_10014' in s.fields, 'the epic link field itself is not handed on when not asked for');
  t.ok(since(seq).every((l) => /^(POST search (200|400)|GET user 200)$/.test(l)), `classic searches and user look-ups only (${since(seq).join(', ')})`);
  const lookups = emu.state.requestsSince(seq).filter((e) => e.path.endsWith('/user')).map((e) => JSON.stringify(e.query));
  t.equal(new Set(lookups).size, lookups.length, 'each mentioned user is looked up once');
});

t.test("a mention names the user's display name, as Cloud's ADF does", async (t) => {
  const source = createJiraSource(pat(), fast);
  const raw = await fetch(`${emu.url}/rest/api/2/search`, {
    method: 'POST', headers: { Authorization: `Bearer ${emu.pat}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ jql: 'project = DC ORDER BY key ASC', maxResults: 200, fields: ['description'] }),
  });
  const page = (await raw.json()) as { issues: Array<{ key: string; fields: { description?: string | null } }> };
  const mentioning = page.issues.find((i) => /\[~(?!accountid:)[^\]]+\]/.test(i.fields.description ?? ''));
  t.ok(mentioning, 'Data Center wiki names a user by username');
  const username = /\[~([^\]]+)\]/.exec(mentioning?.fields.description ?? '')?.[1] ?? '';
  const [issue] = await drain(source.fetch([mentioning?.key ?? ''], ['description']));
  const user = (await (await fetch(`${emu.url}/rest/api/2/user?username=${encodeURIComponent(username)}`, { headers: { Authorization: `Bearer ${emu.pat}` } })).json()) as { displayName: string };
  t.ok(String(issue.fields.description).includes(`[~${user.displayName}]`), `[~${username}] became [~${user.displayName}]`);
});

t.test('a refused PAT is AuthenticationFailed, and the anonymous answers of expired-token mode never read as zero issues', async (t) => {
  const wrong = createJiraSource(pat('not-the-personal-access-token'), fast);
  const err = await drain(wrong.enumerate('project = DC')).catch((e: unknown) => e);
  t.ok(err instanceof JiraAuthError, String(err));
  t.equal((err as JiraAuthError).failureReason, 'AuthenticationFailed');
  t.notOk(String((err as Error).message).includes('not-the-personal'), 'the token is not in the message');

  const source = createJiraSource(pat(), fast);
  await source.timeZone();
  emu.state.expiredTokenMode();
  emu.state.expireToken(emu.pat);
  for (const [what, read] of [
    ['count', () => source.count('project = DC')],
    ['enumerate', () => drain(source.enumerate('project = DC'))],
    ['fetch', () => drain(source.fetch(['DC-1', 'DC-2'], ['summary']))],
  ] as const) {
    const out = await read().then((v: unknown) => ({ v }), (e: unknown) => ({ e }));
    t.ok('e' in out && out.e instanceof JiraAuthError, `${what}: ${'e' in out ? String(out.e) : `answered ${JSON.stringify(out.v)}`}`);
  }
});

t.test("429 and 503 with Retry-After from Data Center's rate limiter are waited out", async (t) => {
  const source = createJiraSource(pat(), fast);
  await source.timeZone();
  emu.state.rateLimit({ retryAfter: 1, forRequests: 1 });
  const started = Date.now();
  t.equal(await source.count('project = WF'), 4);
  t.ok(Date.now() - started >= 1000, 'not before Retry-After');
  emu.state.fail5xx({ status: 503, count: 1, retryAfter: 1 });
  const at = Date.now();
  t.equal(await source.count('project = WF'), 4);
  t.ok(Date.now() - at >= 1000, '503 Retry-After honoured');
  t.equal(emu.state.faults().stats.earlyRetries, 0, 'no early retry');
});

t.test('username and password (discouraged) are Data Center without asking serverInfo', async (t) => {
  const source = createJiraSource({ baseUrl: emu.url, credentials: { kind: 'password', username: emu.email, password: emu.apiToken } }, fast);
  const seq = mark();
  t.equal(await source.count('project = WF'), 4);
  t.same(since(seq), ['GET myself 200', 'POST search 200']);
  t.equal(emu.state.requestsSince(seq)[0].auth, 'basic');
});

t.test('a failure report comments in wiki markup once per episode and falls back across rejected transitions', async (t) => {
  emu.state.setWorkflow('WF', [
    { name: 'Fail', to: 'Blocked', validatorError: 'A validator refuses this' },
    { name: 'Block', to: 'Blocked' },
    { name: 'Reopen', to: 'To Do' },
  ]);
  const input = {
    issueKeys: ['WF-1'], syncRef: 'team-a/dc', phase: 'Failed', error: 'git push rejected {code} [x|y]', retryCount: 2,
    when: '2026-05-01T12:00:00Z', episode: 'ep-dc', transitionTo: ['Fail', 'Block'], comment: true,
  };
  const first = await reportFailure(pat(), input, fast);
  t.same(first.commented, ['WF-1']);
  t.same(first.transitions, { 'WF-1': 'Blocked' }, 'the rejected transition fell back to the next');
  const second = await reportFailure(pat(), input, fast);
  t.same(second.alreadyReported, ['WF-1'], 'the marker is found in the wiki body');
  const api = createJiraApi(pat(), fast);
  const page = await api.comments('WF-1', 0);
  const ours = page.comments.filter((c) => plainText(c.body).includes(failureMarker('team-a/dc', 'ep-dc')));
  t.equal(ours.length, 1, 'exactly one comment');
  t.type(ours[0].body, 'string', 'a wiki-markup body');
  t.match(String(ours[0].body), /\*team-a\/dc\*/, 'the sync is in bold');
  t.match(String(ours[0].body), /\{noformat\}\ngit push rejected \{code\} \[x\|y\]\n\{noformat\}/, 'the error verbatim in a noformat block');
});

t.test('credentials are never sent to another origin: a redirect away from the base URL is refused', async (t) => {
  const seen: IncomingHttpHeaders[] = [];
  const elsewhere = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"deploymentType":"Server"}');
  });
  await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
  const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
  const redirector = createServer((req, res) => res.writeHead(302, { location: `${target}${req.url}` }).end());
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    elsewhere.close();
    redirector.close();
  });
  const source = createJiraSource({ baseUrl: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`, credentials: { kind: 'bearer', token: 'secret-pat-never-elsewhere' } }, fast);
  const err = await source.timeZone().catch((e: unknown) => e);
  t.ok(err instanceof JiraBadRequestError, String(err));
  t.equal((err as JiraBadRequestError).failureReason, 'JiraRequestRejected');
  t.equal(seen.length, 0, 'nothing reached the other origin');
});

t.test('a scope JQL Jira refuses is a JiraBadRequestError, never a query that quietly matches less', async (t) => {
  const source = createJiraSource(pat(), fast);
  for (const jql of ['project = NOPE', 'project = DC AND nosuchfield = 1']) {
    const err = await drain(source.enumerate(jql)).catch((e: unknown) => e);
    t.ok(err instanceof JiraBadRequestError, `${jql}: ${String(err)}`);
    t.equal((err as JiraBadRequestError).failureReason, 'JiraRequestRejected');
  }
});

t.test("an answer Data Center made for the anonymous user (X-AUSERNAME: anonymous) is AuthenticationFailed, not zero issues", async (t) => {
  const server = createServer((req, res) => {
    const anonymous = req.url?.includes('/search') ?? false;
    const body = req.url?.includes('/myself') ? { key: 'JIRAUSER1', name: 'bot', timeZone: 'UTC' } : { startAt: 0, maxResults: 0, total: 0, issues: [] };
    res.writeHead(200, { 'content-type': 'application/json', 'x-ausername': anonymous ? 'anonymous' : 'bot' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const source = createJiraSource({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deploymentType: 'datacenter', credentials: { kind: 'bearer', token: 'some-pat-value' } }, fast);
  for (const [what, read] of [['count', () => source.count('project = X')], ['enumerate', () => drain(source.enumerate('project = X'))]] as const) {
    const err = await read().then((v: unknown) => new Error(`answered ${JSON.stringify(v)}`), (e: unknown) => e);
    t.ok(err instanceof JiraAuthError, `${what}: ${String(err)}`);
    t.equal((err as JiraAuthError).failureReason, 'AuthenticationFailed');
  }
});

t.test('a refused username and password says Basic auth may be disabled and points to a PAT', async (t) => {
  const source = createJiraSource({ baseUrl: emu.url, credentials: { kind: 'password', username: emu.email, password: 'not-the-password' } }, fast);
  const err = await source.timeZone().catch((e: unknown) => e);
  t.ok(err instanceof JiraAuthError, String(err));
  t.match(String((err as Error).message), /may not allow Basic auth.*personal access token/);
  t.notMatch(String((err as Error).message), /not-the-password/);
});

t.test('issue parts on v2: a worklog answer that ignores startAt is cut to the page; the changelog comes from the issue; /field is read once', async (t) => {
  const sent: string[] = [];
  const worklogs = Array.from({ length: 6 }, (_, i) => ({ id: String(i + 1) }));
  const histories = Array.from({ length: 4 }, (_, i) => ({ id: String(i + 1), created: `2024-01-0${i + 1}T10:00:00.000+0000` }));
  const http: V2Http = {
    async send(_info, req) {
      sent.push(`${req.method} ${req.path}${req.query ? ` ${JSON.stringify(req.query)}` : ''}`);
      if (req.path === 'field') return [{ id: 'customfield_10014', name: 'Epic Link', custom: true, schema: { custom: 'com.pyxis.greenhopper.jira:gh-epic-link' } }, { id: 'summary', name: 'Summary', custom: false }];
      // An older server: every worklog, startAt 0, whatever was asked.
      if (req.path.endsWith('/worklog')) return { startAt: 0, maxResults: worklogs.length, total: worklogs.length, worklogs };
      // Data Center's issue with expand=changelog: all histories, newest first here.
      if (req.path === 'issue/DC-1') return { id: '1', key: 'DC-1', fields: {}, changelog: { startAt: 0, maxResults: 4, total: 4, histories: histories.slice().reverse() } };
      throw new Error(`unexpected ${req.path}`);
    },
  };
  const api = createDataCenterApi(http, () => sent.length);
  const page = await api.issuePart?.('DC-1', 'worklogs', 3, 2);
  t.same(page, { values: [{ id: '4' }, { id: '5' }], total: 6 }, 'entries 3 and 4 (0-based), as asked');
  const log = await api.issuePart?.('DC-1', 'changelog', 1, 2);
  t.same(log?.values.map((h) => h.id), ['2', '3'], 'oldest first, from startAt');
  t.equal(log?.total, 4);
  t.match(sent.at(-1), /^GET issue\/DC-1 .*"expand":"changelog"/);
  const fields = await api.fieldList?.();
  t.same(fields?.map((f) => f.id), ['customfield_10014', 'summary']);
  t.equal(await api.epicChildren?.('DC-9'), 'cf[10014] = "DC-9"');
  t.equal(sent.filter((s) => s.startsWith('GET field')).length, 1, 'one /field for the field list and the Epic Link');
});
