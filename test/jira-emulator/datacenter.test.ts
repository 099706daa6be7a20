import t from 'tap';
import { z } from 'zod';
import { createClient } from 'jira.js/core';
import { FieldDetailsSchema, IssueSchema, PageOfCommentsSchema, SearchResultsSchema, UserDetailsSchema } from 'jira.js/cloud';
import { emulator } from './testkit.ts';

t.test('Data Center mode speaks REST v2 with wiki markup, startAt/total paging and Epic Link', async (t) => {
  const emu = await emulator(t, { mode: 'datacenter', seed: 4, projects: [{ key: 'DC', issues: 230 }] });
  const client = createClient({ host: emu.url, auth: { type: 'bearer', token: emu.pat }, onSchemaMismatch: 'throw' });
  const search = (body: Record<string, unknown>) => client.sendRequest({ url: '/rest/api/2/search', method: 'POST', body, schema: SearchResultsSchema });

  t.test('the classic search pages with startAt and an exact total', async (t) => {
    const keys: string[] = [];
    let startAt = 0;
    let pages = 0;
    for (;;) {
      const page = await search({ jql: 'project = DC ORDER BY key ASC', startAt, maxResults: 50, fields: ['summary'] });
      t.equal(page.total, 230);
      keys.push(...(page.issues ?? []).map((i) => i.key!));
      pages++;
      startAt += page.issues?.length ?? 0;
      if (startAt >= (page.total ?? 0) || (page.issues?.length ?? 0) === 0) break;
    }
    t.equal(pages, 5);
    t.same(keys, Array.from({ length: 230 }, (_, i) => `DC-${i + 1}`));
    const get = await client.sendRequest({ url: '/rest/api/2/search', method: 'GET', searchParams: { jql: 'project = DC', maxResults: 5000 }, schema: SearchResultsSchema });
    t.equal(get.maxResults, 1000, 'maxResults is capped at 1000');
    t.equal(get.issues?.length, 230);
    t.ok(get.issues?.every((i) => 'status' in (i.fields ?? {})), 'default fields are the navigable ones');
    const all = await search({ jql: '' });
    t.equal(all.total, 230, 'Data Center accepts an unbounded query');
  });

  t.test('rich text is wiki markup and users have names, not accountIds', async (t) => {
    const withDescription = (await search({ jql: 'project = DC', maxResults: 50, fields: ['description', 'reporter', 'issuetype'] })).issues!
      .find((i) => typeof i.fields?.description === 'string' && (i.fields.description as string).includes('{code'));
    t.ok(withDescription, 'some description carries a {code} block');
    const issue = await client.sendRequest({ url: `/rest/api/2/issue/${withDescription!.key}`, method: 'GET', schema: IssueSchema });
    const reporter = UserDetailsSchema.parse(issue.fields?.reporter) as Record<string, unknown>;
    t.type(reporter.name, 'string');
    t.notOk('accountId' in reporter);
    t.notOk('hierarchyLevel' in (issue.fields?.issuetype ?? {}), 'Data Center issue types have no hierarchyLevel');
    await client.sendRequest({ url: `/rest/api/2/issue/${withDescription!.key}/comment`, method: 'POST', body: { body: 'Sync *failed*' } });
    const comments = await client.sendRequest({ url: `/rest/api/2/issue/${withDescription!.key}/comment`, method: 'GET', schema: PageOfCommentsSchema.extend({ comments: z.array(z.object({ body: z.string() }).loose()) }) });
    t.equal(comments.comments?.at(-1)?.body, 'Sync *failed*');
  });

  t.test('Epic Link is a custom field and a JQL clause; parent is only for subtasks', async (t) => {
    const fields = await client.sendRequest({ url: '/rest/api/2/field', method: 'GET', schema: z.array(FieldDetailsSchema) });
    t.match(fields.find((f) => f.id === 'customfield_10014'), { name: 'Epic Link', custom: true, clauseNames: ['cf[10014]', 'Epic Link'] });
    const page = await search({ jql: 'project = DC AND "Epic Link" = DC-1', maxResults: 1000, fields: ['customfield_10014', 'parent', 'issuetype'] });
    t.ok((page.total ?? 0) > 0, 'the first epic has stories');
    t.ok(page.issues?.every((i) => i.fields?.customfield_10014 === 'DC-1'));
    t.ok(page.issues?.every((i) => i.fields?.parent === undefined), 'a story shows its epic only as Epic Link');
    const subtasks = await search({ jql: 'project = DC', maxResults: 1000, fields: ['parent', 'issuetype'] });
    const sub = subtasks.issues?.find((i) => i.fields?.parent !== undefined);
    t.equal(sub?.fields?.issuetype.name, 'Sub-task');
    const viaParent = await search({ jql: `parent = ${sub!.fields!.parent.key}`, fields: ['key'] });
    t.ok(viaParent.issues?.some((i) => i.key === sub!.key));
  });

  t.test('Cloud-only endpoints and REST v3 do not exist', async (t) => {
    const auth = { Authorization: `Bearer ${emu.pat}`, 'Content-Type': 'application/json' };
    for (const [method, path] of [['GET', '/rest/api/3/myself'], ['GET', '/rest/api/2/search/jql?jql=project%3DDC'], ['POST', '/rest/api/2/issue/bulkfetch']]) {
      const res = await fetch(`${emu.url}${path}`, { method, headers: auth, ...(method === 'POST' ? { body: '{"issueIdsOrKeys":["DC-1"]}' } : {}) });
      // POST issue/bulkfetch hits issue/{key}, which has no POST: 405, as Jira would answer.
      t.ok([404, 405].includes(res.status), `${method} ${path} → ${res.status}`);
    }
    const info = await fetch(`${emu.url}/rest/api/2/serverInfo`);
    t.match(await info.json(), { deploymentType: 'Server', versionNumbers: [9, Number, Number] });
  });

  t.test('rate limits send Retry-After: 0 and the Data Center headers', async (t) => {
    emu.state.rateLimit({ retryAfter: 0, forRequests: 1 });
    const res = await fetch(`${emu.url}/rest/api/2/myself`, { headers: { Authorization: `Bearer ${emu.pat}` } });
    t.equal(res.status, 429);
    t.equal(res.headers.get('retry-after'), '0');
    t.ok(res.headers.get('x-ratelimit-fillrate') && res.headers.get('x-ratelimit-interval-seconds'));
  });
});
