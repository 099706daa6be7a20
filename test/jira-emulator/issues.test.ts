import t from 'tap';
import { apiError, cloudClient, emulator, rawFetch } from './testkit.ts';

t.test('issues, bulk fetch, comments and transitions', async (t) => {
  const emu = await emulator(t, { seed: 21, timeZone: 'Asia/Tokyo', projects: [{ key: 'PROJ', issues: 120 }, { key: 'DEST', issues: 3 }] });
  const jira = cloudClient(emu);

  t.test('GET issue returns all fields by default, or only those asked for', async (t) => {
    const full = await jira.issues.getIssue({ issueIdOrKey: 'PROJ-2' });
    t.equal(full.key, 'PROJ-2');
    for (const f of ['summary', 'status', 'issuetype', 'project', 'priority', 'labels', 'created', 'updated', 'comment', 'issuelinks', 'subtasks', 'customfield_10016', 'customfield_10050']) {
      t.ok(full.fields && f in full.fields, `has ${f}`);
    }
    t.match(String(full.fields?.updated), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0900$/, "dates are written in the user's zone, Jira style");
    const some = await jira.issues.getIssue({ issueIdOrKey: 'PROJ-2', fields: ['summary', 'labels'] });
    t.same(Object.keys(some.fields ?? {}).sort(), ['labels', 'summary']);
    const byId = await jira.issues.getIssue({ issueIdOrKey: String(full.id), fields: ['summary'] });
    t.equal(byId.key, 'PROJ-2', 'an issue is found by id too');
    const minus = await jira.issues.getIssue({ issueIdOrKey: 'PROJ-2', fields: ['*all', '-comment', '-description'] });
    t.notOk('comment' in (minus.fields ?? {}));
    t.ok('summary' in (minus.fields ?? {}));
  });

  t.test('expand=changelog lists the issue history, most recent first', async (t) => {
    emu.state.updateIssue('PROJ-3', { status: 'In Review' });
    emu.state.updateIssue('PROJ-3', { summary: 'Renamed by a test' });
    const i = await jira.issues.getIssue({ issueIdOrKey: 'PROJ-3', expand: 'changelog' });
    const histories = i.changelog?.histories ?? [];
    t.ok(histories.length >= 2);
    t.equal(i.changelog?.total, histories.length);
    t.match(histories[0].items, [{ field: 'summary', toString: 'Renamed by a test' }]);
    t.match(histories[1].items, [{ field: 'status', toString: 'In Review' }]);
    t.equal(i.fields?.summary, 'Renamed by a test');
  });

  t.test('a missing or hidden issue answers 404 with Jira\'s message; a moved one is found under its old key', async (t) => {
    emu.state.setHidden('PROJ-10', true);
    const newKey = emu.state.moveIssue('PROJ-11', 'DEST');
    t.equal(newKey, 'DEST-4');
    t.equal((await jira.issues.getIssue({ issueIdOrKey: 'PROJ-11', fields: ['summary'] })).key, 'DEST-4');
    for (const key of ['PROJ-9999', 'PROJ-10']) {
      const e = await apiError(jira.issues.getIssue({ issueIdOrKey: key }));
      t.equal(e.status, 404, key);
      t.same(e.body, { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
    }
    t.equal((await jira.issues.getIssue({ issueIdOrKey: newKey, fields: ['project'] })).fields?.project.key, 'DEST');
    emu.state.setHidden('PROJ-10', false);
    t.equal((await jira.issues.getIssue({ issueIdOrKey: 'PROJ-10', fields: ['summary'] })).key, 'PROJ-10', 'visible again');
  });

  t.test('bulk fetch returns up to 100 issues and silently leaves out missing and hidden ones', async (t) => {
    emu.state.setHidden('PROJ-20', true);
    t.teardown(() => emu.state.setHidden('PROJ-20', false));
    const res = await jira.issues.bulkFetchIssues({ issueIdsOrKeys: ['PROJ-21', 'PROJ-20', 'NOPE-1', 'PROJ-100000', 'PROJ-22', '10023'], fields: ['summary', 'status'] });
    t.same(res.issues?.map((i) => i.key), ['PROJ-21', 'PROJ-22', 'PROJ-23']);
    t.same(res.issueErrors, []);
    t.ok(res.issues?.every((i) => Object.keys(i.fields ?? {}).sort().join() === 'status,summary'));
    const navigable = await jira.issues.bulkFetchIssues({ issueIdsOrKeys: ['PROJ-21'] });
    t.ok('summary' in (navigable.issues?.[0].fields ?? {}), 'default fields are the navigable ones');
    t.notOk('comment' in (navigable.issues?.[0].fields ?? {}), 'comment is not navigable');
    const hundred = Array.from({ length: 100 }, (_, i) => `PROJ-${i + 1}`);
    const got = (await jira.issues.bulkFetchIssues({ issueIdsOrKeys: hundred, fields: ['key'] })).issues?.map((i) => i.key);
    t.same(got, hundred.filter((k) => k !== 'PROJ-20').map((k) => (k === 'PROJ-11' ? 'DEST-4' : k)),
      '100 keys: all but the hidden one, the moved one under its new key');
    const tooMany = await apiError(jira.issues.bulkFetchIssues({ issueIdsOrKeys: Array.from({ length: 101 }, (_, i) => `PROJ-${i + 1}`) }));
    t.equal(tooMany.status, 400);
    t.match(tooMany.body, { errorMessages: [], errors: { issueIdsOrKeys: /between 1 and 100/ } });
    t.equal((await apiError(jira.issues.bulkFetchIssues({ issueIdsOrKeys: [] }))).status, 400);
  });

  t.test('comments: ADF on v3, wiki markup through v2, listed in order and visible to the control API', async (t) => {
    const before = await jira.issueComments.getComments({ issueIdOrKey: 'PROJ-5' });
    const adf = { type: 'doc' as const, version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Sync failed: ' }, { type: 'text', text: 'timeout', marks: [{ type: 'code' }] }] }] };
    const posted = await jira.issueComments.addComment({ issueIdOrKey: 'PROJ-5', body: adf });
    t.same(posted.body, adf, 'the body comes back as posted');
    t.equal(posted.author?.displayName, 'Jira Sync Bot');
    const viaWiki = await jira.issueComments.addComment({ issueIdOrKey: 'PROJ-5', body: 'h3. Recovered\n\nAll *good* again' });
    t.match(viaWiki.body, { type: 'doc', content: [{ type: 'heading', attrs: { level: 3 } }, { type: 'paragraph' }] }, 'wiki markup is stored as ADF');
    const after = await jira.issueComments.getComments({ issueIdOrKey: 'PROJ-5' });
    t.equal(after.total, (before.total ?? 0) + 2);
    t.same(after.comments?.slice(-2).map((c) => c.id), [posted.id, viaWiki.id]);
    const newest = await jira.issueComments.getComments({ issueIdOrKey: 'PROJ-5', orderBy: '-created', maxResults: 1 });
    t.equal(newest.comments?.[0].id, viaWiki.id);
    const seen = emu.state.comments('PROJ-5');
    t.equal(seen.length, 2, 'the control API lists what clients posted');
    t.same(seen[0].body, adf);
    const v2 = await (await rawFetch(emu, `/rest/api/2/issue/PROJ-5/comment/${posted.id}`)).json() as { body: string };
    t.equal(v2.body, 'Sync failed: {{timeout}}', 'v2 renders the ADF as wiki markup');
    const notAdf = await rawFetch(emu, '/rest/api/3/issue/PROJ-5/comment', { method: 'POST', body: JSON.stringify({ body: 'plain text' }) });
    t.equal(notAdf.status, 400);
    t.same(await notAdf.json(), { errorMessages: [], errors: { comment: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' } });
  });

  t.test('transitions follow the project workflow; a missing transition is a 400', async (t) => {
    emu.state.setIssueStatus('PROJ-6', 'To Do');
    const list = await jira.issues.getTransitions({ issueIdOrKey: 'PROJ-6' });
    t.same(list.transitions?.map((x) => x.name).sort(), ['Block', 'Done', 'Start Progress']);
    t.notOk(list.transitions?.some((x) => x.name === 'Failed'), 'the default workflow has no Failed');
    const block = list.transitions!.find((x) => x.name === 'Block')!;
    await jira.issues.doTransition({ issueIdOrKey: 'PROJ-6', transition: { id: block.id } });
    t.equal((await jira.issues.getIssue({ issueIdOrKey: 'PROJ-6', fields: ['status'] })).fields?.status.name, 'Blocked');
    t.match(emu.state.transitionsReceived('PROJ-6'), [{ id: block.id, name: 'Block', from: 'To Do', to: 'Blocked' }]);
    const bad = await apiError(jira.issues.doTransition({ issueIdOrKey: 'PROJ-6', transition: { id: '31' } }));
    t.equal(bad.status, 400, 'Send to Review is not offered from Blocked');
    t.same(bad.body, { errorMessages: ["Transition id '31' is not valid for this issue."], errors: {} });

    emu.state.setWorkflow('PROJ', [
      { name: 'Fail', to: 'Failed' },
      { name: 'Retry', to: 'To Do', from: ['Failed'] },
    ]);
    const custom = await jira.issues.getTransitions({ issueIdOrKey: 'PROJ-6' });
    t.same(custom.transitions?.map((x) => [x.id, x.name, x.to?.name]), [['11', 'Fail', 'Failed']]);
    await jira.issues.doTransition({ issueIdOrKey: 'PROJ-6', transition: { id: '11' } });
    const issue = await jira.issues.getIssue({ issueIdOrKey: 'PROJ-6', fields: ['status'] });
    t.equal(issue.fields?.status.name, 'Failed');
    t.equal(issue.fields?.status.statusCategory.key, 'indeterminate');
    t.equal(emu.state.transitionsReceived('PROJ-6').length, 2);
  });

  t.test('links, subtasks and parents are rendered from both sides', async (t) => {
    const a = emu.state.createIssue('DEST', { summary: 'Blocker' });
    const b = emu.state.createIssue('DEST', { summary: 'Blocked one', issuetype: 'Story', parent: 'DEST-1' });
    const c = emu.state.createIssue('DEST', { summary: 'A subtask', issuetype: 'Subtask', parent: b });
    emu.state.addLink(a, 'blocks', b);
    const res = await jira.issues.bulkFetchIssues({ issueIdsOrKeys: [a, b, c], fields: ['issuelinks', 'parent', 'subtasks'] });
    const [ia, ib, ic] = res.issues!;
    t.match(ia.fields?.issuelinks, [{ type: { name: 'Blocks', outward: 'blocks' }, outwardIssue: { key: b } }]);
    t.match(ib.fields?.issuelinks, [{ type: { name: 'Blocks', inward: 'is blocked by' }, inwardIssue: { key: a } }]);
    t.equal(ib.fields?.parent?.key, 'DEST-1', 'Cloud shows the epic as parent');
    t.same(ib.fields?.subtasks.map((s: { key: string }) => s.key), [c]);
    t.equal(ic.fields?.parent?.key, b);
  });
});
