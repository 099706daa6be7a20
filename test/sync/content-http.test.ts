/**
 * What an issue file holds (issue 18), end to end over HTTP: the emulator behind jira.js (schemas
 * enforced), the engine, and git; every file is read from a git CLI clone.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { classifyError } from '../../controller/sync/errors.ts';
import { rigSpec, syncRig } from '../fixtures/sync-rig.ts';

const rig = await syncRig(t, { timeZone: 'Europe/Berlin', projects: [{ key: 'CNT', issues: 60 }] });
const { emu } = rig;

type Doc = Record<string, unknown> & { comments?: Array<Record<string, unknown>> };

async function fileOf(repo: { clone(): Promise<{ dir: string }> }, key: string): Promise<Doc> {
  const clone = await repo.clone();
  return parse(await readFile(join(clone.dir, `projects/${key.split('-')[0]}/issues/${key}.yaml`), 'utf8')) as Doc;
}

const adf = (text: string) => ({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });

/** Posts a comment as a Jira user would (REST), which bumps the issue's `updated`. */
async function postComment(key: string, text: string): Promise<void> {
  const res = await fetch(`${emu.url}/rest/api/3/issue/${key}/comment`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${emu.email}:${emu.apiToken}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body: adf(text) }),
  });
  if (res.status !== 201) throw new Error(`comment on ${key}: ${res.status}`);
}

t.test('well-known fields are written by their schema type, timestamps in UTC, people with account ids', async (t) => {
  const key = emu.state.createIssue('CNT', {
    summary: 'well known', issuetype: 'Story', assignee: emu.email, duedate: '2025-03-01', versions: ['1.0', '1.1'], environment: 'Chrome 120 on macOS',
    timetracking: { originalEstimateSeconds: 57600, remainingEstimateSeconds: 28800, timeSpentSeconds: 28800 },
    customfield_10016: 5, customfield_10020: [25, 26],
  });
  const repo = await rig.repo();
  await repo.sync(rigSpec('single', { issueKeys: [key] }));
  const doc = await fileOf(repo, key);
  t.match(doc, {
    dueDate: '2025-03-01',
    affectsVersions: ['1.0', '1.1'],
    environment: 'Chrome 120 on macOS',
    timeTracking: { originalEstimate: '2d', originalEstimateSeconds: 57600, remainingEstimate: '1d', timeSpent: '1d', timeSpentSeconds: 28800 },
    storyPoints: 5,
    sprints: [
      { name: 'Board Sprint 25', state: 'closed', startDate: '2024-12-02T09:00:00.000Z', endDate: '2024-12-16T09:00:00.000Z', completeDate: '2024-12-16T10:00:00.000Z' },
      { name: 'Board Sprint 26', state: 'active', completeDate: null },
    ],
  });
  t.match(doc.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'created in UTC although the Jira user is in Europe/Berlin');
  t.match(doc.assignee, { name: String, accountId: String }, 'people carry the Cloud account id');
});

t.test('a change of the Jira user\'s time zone rewrites no file', async (t) => {
  const repo = await rig.repo();
  const spec = rigSpec('project', { projectKey: 'CNT' }, { content: { comments: {}, worklogs: {}, attachments: {} } });
  const first = await repo.sync(spec);
  t.ok(first.commit);
  emu.state.setUserTimeZone('America/Los_Angeles');
  t.teardown(() => emu.state.setUserTimeZone('Europe/Berlin'));
  const second = await repo.sync(spec);
  t.equal(second.commit, undefined, 'no commit: every timestamp is written in UTC');
});

t.test('spec.content writes comments, attachments, worklogs and the changelog as documented', async (t) => {
  const key = emu.state.createIssue('CNT', {
    summary: 'content', attachments: [{ filename: '../../x.yaml\n- evil: true', size: 12, mimeType: 'text/plain' }, { filename: 'shot.png', size: 2048, mimeType: 'image/png' }],
    worklogs: [{ timeSpentSeconds: 3600, started: '2024-06-01T08:00:00Z', comment: 'pairing' }],
  });
  await postComment(key, 'first');
  await postComment(key, 'second');
  emu.state.updateIssue(key, { labels: ['x'] });
  const repo = await rig.repo();
  await repo.sync(rigSpec('single', { issueKeys: [key] }, { content: { comments: {}, attachments: {}, worklogs: {}, changelog: {} } }));
  const doc = await fileOf(repo, key);
  t.match(doc.comments, [{ body: 'first', author: { accountId: String }, created: /Z$/ }, { body: 'second' }], 'comments oldest first, newest last');
  t.match(doc.attachments, [{ filename: '../../x.yaml\n- evil: true', size: 12, mimeType: 'text/plain', url: /\/rest\/api\/3\/attachment\/content\/\d+$/ }, { filename: 'shot.png' }]);
  t.match(doc.worklogs, [{ started: '2024-06-01T08:00:00.000Z', timeSpent: '1h', timeSpentSeconds: 3600, comment: 'pairing' }]);
  const changes = (doc.changelog as Array<{ changes: Array<{ field: string; to: string }> }>).flatMap((h) => h.changes);
  t.match(changes.find((c) => c.field === 'labels'), { to: 'x' }, 'the label change is in the changelog');
  const clone = await repo.clone();
  const files = (await clone.git('ls-tree', '-r', '--name-only', 'HEAD')).trim().split('\n');
  t.notOk(files.some((f) => f.includes('evil') || f.endsWith('x.yaml')), 'a file name from Jira never becomes a path');
});

t.test('a comment added in Jira appears after the next incremental run, with exactly one changed issue file', async (t) => {
  const repo = await rig.repo();
  const spec = rigSpec('incremental', { projectKey: 'CNT' }, { content: { comments: { maxPerIssue: 10 }, changelog: {} } });
  await repo.sync(spec);
  await postComment('CNT-7', 'a new comment in Jira');
  const inc = await repo.sync(spec);
  t.match(inc, { updated: 1, added: 0, removed: 0, fullScan: false });
  const clone = await repo.clone();
  const touched = (await clone.git('show', '--name-only', '--format=', 'HEAD')).trim().split('\n').filter((p) => p.startsWith('projects/'));
  t.same(touched, ['projects/CNT/issues/CNT-7.yaml']);
  const doc = await fileOf(repo, 'CNT-7');
  t.equal(doc.comments?.at(-1)?.body, 'a new comment in Jira', 'the new comment is the last one');
  t.ok(Array.isArray(doc.changelog), 'the incremental search expands the changelog too');
});

t.test('comments past the embedded page are read with bounded extra requests, the newest up to the cap', async (t) => {
  const key = emu.state.createIssue('CNT', { summary: 'chatty' });
  for (let i = 1; i <= 7; i++) await postComment(key, `comment ${i}`);
  emu.state.embeddedComments(3);
  t.teardown(() => emu.state.embeddedComments(5000));
  const repo = await rig.repo();
  const seq = emu.state.requestLog.at(-1)?.seq ?? 0;
  await repo.sync(rigSpec('batch', { issueKeys: [key, 'CNT-1', 'CNT-2'] }, { content: { comments: { maxPerIssue: 5 } } }));
  const doc = await fileOf(repo, key);
  t.same(doc.comments?.map((c) => c.body), ['comment 3', 'comment 4', 'comment 5', 'comment 6', 'comment 7']);
  const extra = emu.state.requestsSince(seq).filter((r) => r.path.includes('/comment'));
  t.equal(extra.length, 1, 'one extra request, for the one issue with more comments than embedded');
  t.match(extra[0], { method: 'GET', query: { startAt: '2', maxResults: '5' } }, 'from total - cap, oldest first');

  const small = await rig.repo();
  await small.sync(rigSpec('single', { issueKeys: [key] }, { content: { comments: { maxPerIssue: 2 } } }));
  t.same((await fileOf(small, key)).comments?.map((c) => c.body), ['comment 6', 'comment 7'], 'a cap below the embedded page still means the newest');
});

t.test('custom fields named in the spec are resolved through the field list and written under their names', async (t) => {
  const key = emu.state.createIssue('CNT', { summary: 'named', customfield_10050: { id: '10101', value: 'Payments' }, customfield_10016: 3 });
  const repo = await rig.repo();
  await repo.sync(rigSpec('single', { issueKeys: [key] }, { customFields: ['Team', 'story point estimate'] }));
  const doc = await fileOf(repo, key);
  t.same(doc.customFields, { 'Story point estimate': { id: 'customfield_10016', value: 3 }, Team: { id: 'customfield_10050', value: 'Payments' } });
});

t.test('a custom field name that matches no Jira field fails the sync as a spec to fix', async (t) => {
  const repo = await rig.repo();
  const err = await repo.sync(rigSpec('single', { issueKeys: ['CNT-1'] }, { customFields: ['No Such Field'] })).then(() => undefined, (e: unknown) => e);
  t.ok(err, 'the sync fails');
  t.equal(classifyError(err).kind, 'stalling', 'not retried until the spec changes');
  t.match(String((err as Error).message), /no Jira field is named "No Such Field"/);
});

t.test('worklogs and changelog entries past the embedded pages are read in bounded pages, newest kept', async (t) => {
  const key = emu.state.createIssue('CNT', {
    summary: 'busy', worklogs: Array.from({ length: 25 }, (_, i) => ({ timeSpentSeconds: 60 * (i + 1), started: Date.UTC(2024, 5, 1, 8, i) })),
  });
  for (let i = 0; i < 105; i++) emu.state.updateIssue(key, { labels: [`l${i}`] });
  const repo = await rig.repo();
  const seq = emu.state.requestLog.at(-1)?.seq ?? 0;
  await repo.sync(rigSpec('single', { issueKeys: [key] }, { content: { worklogs: { maxPerIssue: 30 }, changelog: { maxPerIssue: 101 } } }));
  const doc = await fileOf(repo, key);
  const worklogs = doc.worklogs as Array<{ timeSpentSeconds: number }>;
  t.equal(worklogs.length, 25, 'all 25 worklogs (Jira embeds 20)');
  t.equal(worklogs.at(-1)?.timeSpentSeconds, 1500);
  const changelog = doc.changelog as Array<{ changes: Array<{ field: string; to: string }> }>;
  t.equal(changelog.length, 101, 'the newest 101 of 105 changelog entries (Jira embeds 100)');
  t.same(changelog.at(-1)?.changes, [{ field: 'labels', from: 'l103', to: 'l104' }], 'newest last');
  const extra = emu.state.requestsSince(seq).filter((r) => /\/(worklog|changelog)$/.test(r.path));
  t.same(extra.map((r) => `${r.path.split('/').at(-1)} ${String(r.query.startAt)}+${String(r.query.maxResults)}`), ['worklog 0+25', 'changelog 4+101', 'changelog 104+1']);
});
