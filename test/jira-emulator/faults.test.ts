import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { isNetworkError, isRateLimitError, isSchemaMismatchError, isServerError } from 'jira.js';
import { apiError, cloudClient, emulator, rawFetch, searchAll } from './testkit.ts';

t.test('faults', async (t) => {
  const emu = await emulator(t, { seed: 8, projects: [{ key: 'F', issues: 30 }] });
  const jira = cloudClient(emu);
  t.afterEach(() => emu.state.clearFaults());

  t.test('rate limiting answers 429 with Retry-After and Jira Cloud\'s rate-limit headers', async (t) => {
    emu.state.rateLimit({ retryAfter: 7, forRequests: 1, enforceWindow: false });
    const res = await rawFetch(emu, '/rest/api/3/myself');
    t.equal(res.status, 429);
    t.equal(res.headers.get('retry-after'), '7');
    t.equal(res.headers.get('x-ratelimit-remaining'), '0');
    t.match(res.headers.get('x-ratelimit-limit'), /^\d+$/);
    t.match(res.headers.get('x-ratelimit-reset'), /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    t.equal(res.headers.get('x-ratelimit-nearlimit'), 'true');
    t.equal(res.headers.get('ratelimit-reason'), 'jira-burst-based');
    t.match(await res.json(), { errorMessages: [String], errors: {} });
    t.equal((await rawFetch(emu, '/rest/api/3/myself')).status, 200, 'forRequests: 1 limits only one request');
  });

  t.test('jira.js reads the wait from Retry-After, including 0', async (t) => {
    emu.state.rateLimit({ retryAfter: 3, forRequests: 1, enforceWindow: false, reason: 'jira-quota-global-based' });
    const e = await apiError(jira.myself.getCurrentUser());
    t.ok(isRateLimitError(e));
    t.equal((e as { retryAfterMs?: number }).retryAfterMs, 3000);
    emu.state.rateLimit({ retryAfter: 0, forRequests: 1 });
    const zero = await apiError(jira.myself.getCurrentUser());
    t.equal((zero as { retryAfterMs?: number }).retryAfterMs, 0);
    t.equal((await jira.myself.getCurrentUser()).emailAddress, emu.email, 'Retry-After: 0 means retry at once');
  });

  t.test('a retry before Retry-After has passed is refused again and counted', async (t) => {
    emu.state.resetRequestLog();
    emu.state.rateLimit({ retryAfter: 1, forRequests: 1 });
    t.equal((await rawFetch(emu, '/rest/api/3/myself')).status, 429);
    const early = await rawFetch(emu, '/rest/api/3/myself');
    t.equal(early.status, 429, 'too early');
    t.equal(early.headers.get('retry-after'), '1');
    await sleep(1100);
    t.equal((await rawFetch(emu, '/rest/api/3/myself')).status, 200, 'after the wait the request goes through');
    t.match(emu.state.faults().stats, { rateLimited: 2, earlyRetries: 1 });
    t.same(emu.state.requestLog.map((r) => r.fault ?? r.status), ['rate-limit', 'early-retry', 200]);
  });

  t.test('everyN limits every Nth matching request only', async (t) => {
    emu.state.rateLimit({ retryAfter: 0, everyN: 3, path: '/search/jql' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await rawFetch(emu, '/rest/api/3/search/jql?jql=project%3DF')).status);
    t.same(statuses, [200, 200, 429, 200, 200, 429]);
    t.equal((await rawFetch(emu, '/rest/api/3/myself')).status, 200, 'other paths are not limited');
  });

  t.test('the removed /search answers 410 with Atlassian\'s message on v2 and v3', async (t) => {
    for (const [method, path] of [['GET', '/rest/api/3/search?jql=project%3DF'], ['POST', '/rest/api/3/search'], ['GET', '/rest/api/2/search?jql=project%3DF']]) {
      const res = await rawFetch(emu, path, method === 'POST' ? { method, body: JSON.stringify({ jql: 'project = F' }) } : { method });
      t.equal(res.status, 410, `${method} ${path}`);
      t.same(await res.json(), {
        errorMessages: ['The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046'],
        errors: {},
      });
    }
  });

  t.test('eventual consistency hides recently written issues from search but not from GET or bulk fetch', async (t) => {
    emu.state.eventualConsistency(1);
    emu.state.updateIssue('F-4', { summary: 'Just written' });
    const key = emu.state.createIssue('F', { summary: 'Brand new' });
    const keys = async () => (await searchAll(jira, 'project = F', { fields: ['key'] })).issues.map((i) => i.key);
    const now = await keys();
    t.notOk(now.includes('F-4'), 'the updated issue is not yet searchable');
    t.notOk(now.includes(key), 'the created issue is not yet searchable');
    t.equal(now.length, 29);
    t.equal((await jira.issueSearch.countIssues({ jql: 'project = F' })).count, 29);
    t.equal((await jira.issues.getIssue({ issueIdOrKey: 'F-4', fields: ['summary'] })).fields?.summary, 'Just written');
    t.equal((await jira.issues.bulkFetchIssues({ issueIdsOrKeys: [key] })).issues?.length, 1);
    const id = emu.state.issue('F-4')!.id;
    const reconciled = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = F', reconcileIssues: [Number(id)], maxResults: 100 });
    t.ok(reconciled.issues?.some((i) => i.id === id), 'reconcileIssues makes a written issue visible at once');
    await sleep(1100);
    const later = await keys();
    t.ok(later.includes('F-4') && later.includes(key), 'both are searchable after the delay');
  });

  t.test('injected 5xx: a count, then recovery; a path filter', async (t) => {
    emu.state.fail5xx({ status: 503, count: 2 });
    for (let i = 0; i < 2; i++) {
      const e = await apiError(jira.myself.getCurrentUser());
      t.ok(isServerError(e));
      t.equal(e.status, 503);
    }
    t.ok(await jira.myself.getCurrentUser(), 'recovers after the count');
    emu.state.fail5xx({ status: 500, probability: 1, path: '/issue/' });
    t.equal((await apiError(jira.issues.getIssue({ issueIdOrKey: 'F-1' }))).status, 500);
    t.ok(await jira.myself.getCurrentUser(), 'other paths are unaffected');
  });

  t.test('latency delays matching responses', async (t) => {
    emu.state.latency(300, '/myself');
    const start = performance.now();
    await jira.myself.getCurrentUser();
    t.ok(performance.now() - start >= 290, 'took at least the injected latency');
    t.match(emu.state.faults().latency, [{ ms: 300, path: '/myself' }]);
  });

  t.test('a dropped connection is a network error; the next request works', async (t) => {
    emu.state.dropConnections(1);
    const err = await jira.myself.getCurrentUser().then(() => undefined, (e: unknown) => e);
    t.ok(isNetworkError(err), 'jira.js reports a network error');
    t.ok(await jira.myself.getCurrentUser());
    t.equal(emu.state.requestLog.at(-2)?.fault, 'drop');
  });

  t.test('malformed JSON fails schema validation in jira.js', async (t) => {
    emu.state.malformedJson(1, '/search/jql');
    const err = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = F' }).then(() => undefined, (e: unknown) => e);
    t.ok(isSchemaMismatchError(err));
    const ok = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = F' });
    t.equal(ok.issues?.length, (await jira.issueSearch.countIssues({ jql: 'project = F' })).count, 'only one response was malformed');
    emu.state.malformedJson(1);
    const raw = await rawFetch(emu, '/rest/api/3/myself');
    t.equal(raw.status, 200);
    t.match(raw.headers.get('content-type'), /^application\/json/);
    const text = await raw.text();
    t.throws(() => JSON.parse(text), 'the body is cut short');
  });

  t.test('clearFaults switches everything off', async (t) => {
    emu.state.rateLimit({ retryAfter: 5 });
    emu.state.fail5xx({ count: 5 });
    emu.state.latency(1000);
    emu.state.eventualConsistency(60);
    emu.state.clearFaults();
    const f = emu.state.faults();
    t.same([f.rateLimit, f.fail5xx, f.latency, f.eventualConsistencySeconds], [undefined, undefined, [], 0]);
    t.ok(await jira.myself.getCurrentUser());
  });
});
