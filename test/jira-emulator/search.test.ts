import t from 'tap';
import { apiError, cloudClient, emulator, rawFetch, searchAll } from './testkit.ts';

t.test('enhanced search', async (t) => {
  const emu = await emulator(t, { seed: 11, projects: [{ key: 'PROJ', issues: 300 }, { key: 'OPS', issues: 40 }] });
  const jira = cloudClient(emu);

  t.test('an ids-only search pages through a project with exact counts', async (t) => {
    const { issues, pages } = await searchAll(jira, 'project = PROJ ORDER BY key ASC', { maxResults: 7 });
    t.equal(pages, Math.ceil(300 / 7), 'one page per 7 issues');
    t.equal(issues.length, 300);
    t.equal(new Set(issues.map((i) => i.id)).size, 300, 'no issue twice');
    t.ok(issues.every((i) => Object.keys(i).join() === 'id'), 'without fields, each issue is just {id}');
    const count = await jira.issueSearch.countIssues({ jql: 'project = PROJ' });
    t.equal(count.count, 300, 'approximate-count agrees');
  });

  t.test('a search with fields returns keys in order and only the requested fields', async (t) => {
    const { issues, pages } = await searchAll(jira, 'project = PROJ ORDER BY key ASC', { maxResults: 40, fields: ['summary', 'status'] });
    t.equal(pages, 8);
    t.same(issues.map((i) => i.key), Array.from({ length: 300 }, (_, i) => `PROJ-${i + 1}`));
    t.ok(issues.every((i) => Object.keys(i.fields ?? {}).sort().join() === 'status,summary'));
    t.ok(issues.every((i) => typeof i.fields?.summary === 'string' && (i.fields.summary as string).length > 0));
  });

  t.test('ORDER BY updated DESC pages in non-increasing updated order', async (t) => {
    const { issues } = await searchAll(jira, 'project in (PROJ, OPS) ORDER BY updated DESC', { maxResults: 50, fields: ['updated'] });
    t.equal(issues.length, 340);
    const times = issues.map((i) => Date.parse(String(i.fields?.updated)));
    t.ok(times.every((v, i) => i === 0 || v <= times[i - 1]), 'sorted newest first across page boundaries');
  });

  t.test('the last page says isLast, has no nextPageToken, and no page has a total', async (t) => {
    const first = await (await rawFetch(emu, '/rest/api/3/search/jql?jql=project%3DOPS&maxResults=30')).json() as Record<string, unknown>;
    t.equal(first.isLast, false);
    t.type(first.nextPageToken, 'string');
    t.notOk('total' in first, 'enhanced search has no total');
    const last = await (await rawFetch(emu, `/rest/api/3/search/jql?jql=project%3DOPS&maxResults=30&nextPageToken=${encodeURIComponent(String(first.nextPageToken))}`)).json() as Record<string, unknown>;
    t.equal(last.isLast, true);
    t.equal((last.issues as unknown[]).length, 10);
    t.notOk('nextPageToken' in last, 'Cloud leaves the token out on the last page');
    t.notOk('total' in last);
  });

  t.test('GET and POST return the same pages, with fields repeated or comma-separated', async (t) => {
    const get = await jira.issueSearch.searchAndReconsileIssuesUsingJql({ jql: 'project = OPS ORDER BY key DESC', maxResults: 5, fields: ['summary', 'labels'] });
    const post = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = OPS ORDER BY key DESC', maxResults: 5, fields: ['summary', 'labels'] });
    const comma = await (await rawFetch(emu, '/rest/api/3/search/jql?jql=project%20%3D%20OPS%20ORDER%20BY%20key%20DESC&maxResults=5&fields=summary,labels')).json() as { issues: { key: string }[] };
    t.same(get.issues?.map((i) => i.key), ['OPS-40', 'OPS-39', 'OPS-38', 'OPS-37', 'OPS-36']);
    t.same(post.issues?.map((i) => i.key), get.issues?.map((i) => i.key));
    t.same(comma.issues.map((i) => i.key), get.issues?.map((i) => i.key));
    t.same(post.issues?.[0].fields, get.issues?.[0].fields);
  });

  t.test('a page token only works for the query it came from', async (t) => {
    const page = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = PROJ', maxResults: 10 });
    const token = page.nextPageToken!;
    const other = await apiError(jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = OPS', nextPageToken: token }));
    t.equal(other.status, 400);
    t.match(other.body, { errorMessages: [/nextPageToken/], errors: {} });
    const forged = await apiError(jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = PROJ', nextPageToken: `${token.slice(0, -3)}abc` }));
    t.equal(forged.status, 400);
    const next = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = PROJ', nextPageToken: token, maxResults: 10 });
    t.equal(next.issues?.length, 10);
    t.notOk(next.issues?.some((i) => page.issues?.some((p) => p.id === i.id)), 'the next page continues after the first');
  });

  t.test('unbounded JQL is refused by the enhanced search and the approximate count', async (t) => {
    for (const jql of ['', 'ORDER BY key ASC']) {
      const e = await apiError(jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql }));
      t.equal(e.status, 400, `search '${jql}'`);
      t.same(e.body, { errorMessages: ['Unbounded JQL queries are not allowed here. Please add a search restriction to your query.'], errors: {} });
      const c = await apiError(jira.issueSearch.countIssues({ jql }));
      t.equal(c.status, 400, `count '${jql}'`);
    }
  });

  t.test('hidden issues are left out of search and count', async (t) => {
    emu.state.setHidden('OPS-3', true);
    t.teardown(() => emu.state.setHidden('OPS-3', false));
    const { issues } = await searchAll(jira, 'project = OPS', { fields: ['key'] });
    t.equal(issues.length, 39);
    t.notOk(issues.some((i) => i.key === 'OPS-3'));
    t.equal((await jira.issueSearch.countIssues({ jql: 'project = OPS' })).count, 39);
  });
});

t.test('maxResults is clamped to 5,000 for ids or keys and to 100 with fields', async (t) => {
  const emu = await emulator(t, { seed: 5, projects: [{ key: 'BIG', issues: 5200 }] });
  const jira = cloudClient(emu);
  const ids = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = BIG', maxResults: 20_000 });
  t.equal(ids.issues?.length, 5000);
  t.equal(ids.isLast, false);
  const keys = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = BIG', maxResults: 20_000, fields: ['key'] });
  t.equal(keys.issues?.length, 5000);
  t.ok(keys.issues?.every((i) => typeof i.key === 'string' && i.fields === undefined));
  const withFields = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = BIG', maxResults: 1000, fields: ['summary'] });
  t.equal(withFields.issues?.length, 100);
  const rest = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql: 'project = BIG', maxResults: 5000, nextPageToken: ids.nextPageToken! });
  t.equal(rest.issues?.length, 200);
  t.equal(rest.isLast, true);
});

t.test('a 10,000-issue project is served end to end: ids-only search, then bulk fetch in chunks of 100', async (t) => {
  const emu = await emulator(t, { seed: 42, projects: [{ key: 'TEN', issues: 10_000 }] });
  const jira = cloudClient(emu);
  const { issues: refs, pages } = await searchAll(jira, 'project = TEN', { maxResults: 5000 });
  t.equal(pages, 2);
  t.equal(refs.length, 10_000);
  const keys = new Set<string>();
  for (let i = 0; i < refs.length; i += 100) {
    const chunk = refs.slice(i, i + 100).map((r) => r.id!);
    const res = await jira.issues.bulkFetchIssues({ issueIdsOrKeys: chunk, fields: ['summary', 'status', 'updated', 'description', 'issuelinks', 'parent'] });
    t.equal(res.issues?.length, chunk.length, `chunk ${i / 100}`) || t.bailout('chunk incomplete');
    for (const issue of res.issues ?? []) keys.add(issue.key!);
  }
  t.equal(keys.size, 10_000, 'every issue fetched exactly once');
  const fetched = emu.state.requestLog.filter((r) => r.path === '/rest/api/3/issue/bulkfetch');
  t.equal(fetched.length, 100, 'one bulk fetch per 100 issues');
});
