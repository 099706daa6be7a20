/**
 * Issue 18's richer issue files on Jira Data Center (issue 15), end to end over HTTP: the emulator
 * in Data Center mode behind our REST v2 client, the engine, and git. The field list (GET /field)
 * gives story points, sprints and custom fields by name and is read once for those and the Epic
 * Link; comments, worklogs and the changelog past what the search embeds are read from v2.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createJiraSource, createLimiter } from '../../controller/jira/jira.ts';
import { rigSpec, syncRig } from '../fixtures/sync-rig.ts';

const rig = await syncRig(t, { mode: 'datacenter', timeZone: 'Europe/Berlin', projects: [{ key: 'DCC', issues: 30 }] });
const { emu } = rig;

/**
 * A Data Center source with a PAT; `declared` names the deployment in the connection, otherwise
 * the first such source asks serverInfo and answers through the detecting API (deployment.ts).
 */
function dcSource(declared = true): ReturnType<typeof createJiraSource> {
  return createJiraSource(
    { baseUrl: emu.url, credentials: { kind: 'bearer', token: emu.pat }, ...(declared ? { deploymentType: 'datacenter' as const } : {}) },
    {
      onSchemaMismatch: 'throw',
      limiter: createLimiter({ maxConcurrent: 6, requestsPerSecond: Infinity }),
      retry: { initialDelayMs: 10, maxDelayMs: 50, maxRetries: 2, rateLimitDefaultMs: 100, rateLimitJitterMs: 10, maxRateLimitRetries: 2 },
    },
  );
}

type Doc = Record<string, unknown> & { comments?: Array<Record<string, unknown>> };

async function fileOf(repo: { clone(): Promise<{ dir: string }> }, key: string): Promise<Doc> {
  const clone = await repo.clone();
  return parse(await readFile(join(clone.dir, `projects/${key.split('-')[0]}/issues/${key}.yaml`), 'utf8')) as Doc;
}

/** Posts a wiki-markup comment as a Data Center user would (REST v2 with a PAT). */
async function postComment(key: string, text: string): Promise<void> {
  const res = await fetch(`${emu.url}/rest/api/2/issue/${key}/comment`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emu.pat}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body: text }),
  });
  if (res.status !== 201) throw new Error(`comment on ${key}: ${res.status}`);
}

const since = (seq: number) => emu.state.requestsSince(seq);
const mark = (): number => emu.state.requestLog.at(-1)?.seq ?? 0;

t.test('Data Center: story points, sprints and custom fields by name come from one field list, people carry username and key', async (t) => {
  const key = emu.state.createIssue('DCC', {
    summary: 'well known', issuetype: 'Story', assignee: emu.email, duedate: '2025-03-01',
    customfield_10016: 5, customfield_10020: [25], customfield_10050: { id: '10101', value: 'Payments' },
  });
  const repo = await rig.repo();
  const seq = mark();
  await repo.sync(rigSpec('single', { issueKeys: [key] }, { customFields: ['Team'] }), { source: dcSource() });
  const doc = await fileOf(repo, key);
  t.match(doc, { dueDate: '2025-03-01', storyPoints: 5, sprints: [{ name: 'Board Sprint 25' }] });
  t.same(doc.customFields, { Team: { id: 'customfield_10050', value: 'Payments' } }, 'a custom field named in the spec');
  t.match(doc.assignee, { name: String, username: String, userKey: String }, 'a Data Center person has a username and key');
  t.notOk('accountId' in (doc.assignee as object), 'and no account id');
  const fieldReads = since(seq).filter((r) => r.path === '/rest/api/2/field');
  t.equal(fieldReads.length, 1, 'GET /field once, for the Epic Link and the content fields alike');
  t.ok(since(seq).every((r) => r.path.startsWith('/rest/api/2/')), 'REST v2 only');
});

t.test('Data Center: comments and worklogs past the embedded pages, and the changelog, are read with bounded v2 requests', async (t) => {
  const key = emu.state.createIssue('DCC', {
    summary: 'busy', worklogs: Array.from({ length: 25 }, (_, i) => ({ timeSpentSeconds: 60 * (i + 1), started: Date.UTC(2024, 5, 1, 8, i) })),
  });
  for (let i = 1; i <= 7; i++) await postComment(key, `comment *${i}*`);
  for (let i = 0; i < 105; i++) emu.state.updateIssue(key, { labels: [`l${i}`] });
  emu.state.embeddedComments(3);
  t.teardown(() => emu.state.embeddedComments(5000));
  const repo = await rig.repo();
  const seq = mark();
  await repo.sync(
    rigSpec('single', { issueKeys: [key] }, { content: { comments: { maxPerIssue: 5 }, worklogs: { maxPerIssue: 30 }, changelog: { maxPerIssue: 101 } } }),
    { source: dcSource(false) },
  );
  t.ok(since(seq).some((r) => r.path === '/rest/api/2/serverInfo'), 'the deployment was detected: expand and issue parts pass through the detecting API');
  const doc = await fileOf(repo, key);
  t.same(doc.comments?.map((c) => c.body), ['comment **3**', 'comment **4**', 'comment **5**', 'comment **6**', 'comment **7**'], 'the newest 5, wiki markup as Markdown');
  t.match(doc.comments?.[0], { author: { username: String, userKey: String } });
  const worklogs = doc.worklogs as Array<{ timeSpentSeconds: number }>;
  t.equal(worklogs.length, 25, 'all 25 worklogs (the search embeds 20)');
  t.equal(worklogs.at(-1)?.timeSpentSeconds, 1500);
  const changelog = doc.changelog as Array<{ changes: Array<{ field: string; to: string }> }>;
  t.same(changelog.at(-1)?.changes, [{ field: 'labels', from: 'l103', to: 'l104' }], 'newest last');
  // Data Center has no changelog endpoint; this server's issue answer holds the newest 100 only (a
  // real one holds all of them), so the newest 100 are what can be read: none twice, none made up.
  t.equal(changelog.length, 100, 'the newest 100 entries the server gives');
  const search = since(seq).find((r) => r.path === '/rest/api/2/search' && Array.isArray((r.body as { expand?: unknown }).expand));
  t.same((search?.body as { expand?: unknown } | undefined)?.expand, ['changelog'], 'the search expands the changelog');
  const extra = since(seq).filter((r) => /\/issue\/[^/]+(\/(comment|worklog))?$/.test(r.path));
  t.same(
    extra.map((r) => `${r.path.replace(/^.*\/issue\/[^/]+\/?/, '') || 'issue'} ${String(r.query.startAt ?? r.query.expand)}+${String(r.query.maxResults ?? r.query.fields)}`),
    ['comment 2+5', 'worklog 0+25', 'issue changelog+key'],
    'one bounded request per part past the embedded page (so comments and worklogs were embedded); the changelog, which has no v2 endpoint, through the issue',
  );
});

t.test('Data Center: a comment added in Jira appears after the next incremental run, one changed file', async (t) => {
  const repo = await rig.repo();
  const source = dcSource();
  const spec = rigSpec('incremental', { projectKey: 'DCC' }, { content: { comments: { maxPerIssue: 10 } } });
  await repo.sync(spec, { source });
  await postComment('DCC-7', 'a new comment in Jira');
  const inc = await repo.sync(spec, { source });
  t.match(inc, { updated: 1, added: 0, removed: 0, fullScan: false });
  t.equal((await fileOf(repo, 'DCC-7')).comments?.at(-1)?.body, 'a new comment in Jira');
});

t.test('Data Center: an epic sync with content still finds the children through the Epic Link', async (t) => {
  const keys = Array.from({ length: 30 }, (_, i) => `DCC-${i + 1}`);
  const epicKey = keys.find((k) => emu.state.issue(k)?.type === 'Epic' && keys.some((c) => emu.state.issue(c)?.epic === k));
  if (!epicKey) throw new Error('the seed gives no epic with children');
  const children = keys.filter((c) => emu.state.issue(c)?.epic === epicKey);
  const repo = await rig.repo();
  const result = await repo.sync(rigSpec('epic', { epicKey }, { content: { comments: {} } }), { source: dcSource() });
  const clone = await repo.clone();
  const files = (await clone.git('ls-tree', '-r', '--name-only', 'HEAD')).trim().split('\n').filter((p) => /\/issues\/[^/]+\.yaml$/.test(p));
  const written = new Set(files.map((p) => p.replace(/^.*\/issues\/|\.yaml$/g, '')));
  t.ok([epicKey, ...children].every((k) => written.has(k)), `the epic and its ${children.length} children are written`);
  const others = [...written].filter((k) => k !== epicKey && !children.includes(k));
  t.ok(others.every((k) => children.includes(String(emu.state.issue(k)?.parent))), `anything else is a sub-task of a child (${others.join(', ')})`);
  t.equal(result.added, written.size);
});

t.test('Data Center: a mention in a comment reads as on Cloud (display name), embedded or read past the embedded page', async (t) => {
  const headers = { authorization: `Bearer ${emu.pat}` };
  const issue = (await (await fetch(`${emu.url}/rest/api/2/issue/DCC-1?fields=reporter`, { headers })).json()) as { fields: { reporter: { name: string; displayName: string } } };
  const { name: username, displayName } = issue.fields.reporter;
  t.not(username, displayName, 'a user whose username is not the display name');
  const key = emu.state.createIssue('DCC', { summary: 'mentions' });
  await postComment(key, `[~${username}] please look`);
  await postComment(key, `thanks [~${username}]`);
  const spec = rigSpec('single', { issueKeys: [key] }, { content: { comments: {} } });
  const embedded = await rig.repo();
  await embedded.sync(spec, { source: dcSource() });
  const want = [`@${displayName} please look`, `thanks @${displayName}`];
  t.same((await fileOf(embedded, key)).comments?.map((c) => c.body), want, 'embedded comments');
  emu.state.embeddedComments(0);
  t.teardown(() => emu.state.embeddedComments(5000));
  const paged = await rig.repo();
  const seq = mark();
  await paged.sync(spec, { source: dcSource() });
  t.ok(since(seq).some((r) => /\/issue\/[^/]+\/comment$/.test(r.path) && r.method === 'GET'), 'the comments were read from the comment endpoint');
  t.same((await fileOf(paged, key)).comments?.map((c) => c.body), want, 'comments read past the embedded page');
});
