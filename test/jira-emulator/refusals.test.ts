/**
 * The ways Jira answers that look like success but are not, and the refusals a client must tell
 * apart: a refused token answered as the anonymous user (expired-token mode), paging that stops
 * early, a moved issue found under its old key, a 403 for an issue the user may not see, a 5xx
 * after the write was done, and transitions rejected by a validator or a required field. Every
 * answer goes through jira.js with `onSchemaMismatch: 'throw'`.
 */
import t from 'tap';
import { isAuthError, isForbiddenError } from 'jira.js';
import { apiError, cloudClient, emulator, rawFetch, searchAll } from './testkit.ts';

const emu = await emulator(t, { seed: 5, projects: [{ key: 'PROJ', issues: 30 }, { key: 'OPS', issues: 4 }] });
t.afterEach(() => {
  emu.state.clearFaults();
  emu.state.expiredTokenMode(false);
  emu.state.expireToken(undefined, false);
});

const basic = (token: string) => `Basic ${Buffer.from(`${emu.email}:${token}`).toString('base64')}`;
const lastLog = () => emu.state.requestLog[emu.state.requestLog.length - 1];

t.test('expired-token mode: a wrong token gets 200 and zero issues from search, count and bulk fetch, with X-Seraph-LoginReason', async (t) => {
  emu.state.expiredTokenMode();
  const wrong = cloudClient(emu, { email: emu.email, apiToken: 'expired-token-1' });
  const { issues, pages } = await searchAll(wrong, 'project = PROJ');
  t.equal(issues.length, 0, 'the anonymous user sees no issue');
  t.equal(pages, 1);
  t.equal(lastLog().anonymous, true, 'logged as answered anonymously');
  t.same(await wrong.issueSearch.countIssues({ jql: 'project = PROJ' }), { count: 0 });
  const bulk = await wrong.issues.bulkFetchIssues({ issueIdsOrKeys: ['PROJ-1', 'PROJ-2'], fields: ['summary'] });
  t.same(bulk.issues, []);
  t.match((await wrong.serverInfo.getServerInfo()).deploymentType, 'Cloud');
  for (const [method, path, body] of [
    ['POST', '/rest/api/3/search/jql', { jql: 'project = PROJ' }],
    ['POST', '/rest/api/3/search/approximate-count', { jql: 'project = PROJ' }],
    ['POST', '/rest/api/3/issue/bulkfetch', { issueIdsOrKeys: ['PROJ-1'] }],
    ['GET', '/rest/api/3/serverInfo', undefined],
  ] as const) {
    const res = await rawFetch(emu, path, { method, headers: { Authorization: basic('expired-token-1') }, ...(body ? { body: JSON.stringify(body) } : {}) });
    t.equal(res.status, 200, path);
    t.equal(res.headers.get('x-seraph-loginreason'), 'AUTHENTICATED_FAILED', `${path} says the login failed`);
  }
  const right = await rawFetch(emu, '/rest/api/3/search/approximate-count', { method: 'POST', body: JSON.stringify({ jql: 'project = PROJ' }) });
  t.same(await right.json(), { count: 30 }, 'the right token still sees everything');
  t.equal(right.headers.get('x-seraph-loginreason'), null, 'and gets no failure header');
});

t.test('expired-token mode: /myself, GET issue and comments still answer 401', async (t) => {
  emu.state.expiredTokenMode();
  const wrong = cloudClient(emu, { email: emu.email, apiToken: 'expired-token-2' });
  for (const p of [wrong.myself.getCurrentUser(), wrong.issues.getIssue({ issueIdOrKey: 'PROJ-1' }), wrong.issueComments.getComments({ issueIdOrKey: 'PROJ-1' })]) {
    const e = await apiError(p);
    t.ok(isAuthError(e));
    t.equal(e.status, 401);
  }
});

t.test('without expired-token mode a wrong token is a 401 on search too', async (t) => {
  const e = await apiError(cloudClient(emu, { email: emu.email, apiToken: 'wrong' }).issueSearch.countIssues({ jql: 'project = PROJ' }));
  t.equal(e.status, 401);
});

t.test('expireToken makes the configured token stop working, and can be undone', async (t) => {
  const jira = cloudClient(emu);
  t.equal((await jira.issueSearch.countIssues({ jql: 'project = PROJ' })).count, 30);
  emu.state.expireToken();
  t.equal((await apiError(jira.myself.getCurrentUser())).status, 401);
  emu.state.expiredTokenMode();
  t.equal((await jira.issueSearch.countIssues({ jql: 'project = PROJ' })).count, 0, 'expired + expired-token mode: anonymous');
  t.same(emu.state.auth(), { expiredTokens: 1, expiredTokenMode: true });
  emu.state.expireToken(undefined, false);
  t.equal((await jira.issueSearch.countIssues({ jql: 'project = PROJ' })).count, 30);
  // Over HTTP too.
  const ctl = (path: string, body: unknown) => fetch(`${emu.url}/_emulator${path}`, { method: 'POST', body: JSON.stringify(body) });
  t.equal((await ctl('/auth/expire-token', {})).status, 204);
  t.equal((await apiError(jira.myself.getCurrentUser())).status, 401);
  await ctl('/auth/expire-token', { expired: false });
  t.ok((await jira.myself.getCurrentUser()).accountId);
});

t.test('truncated paging: the page reaching N issues says isLast with no token, though more match', async (t) => {
  const jira = cloudClient(emu);
  emu.state.truncatePaging(12);
  const { issues, pages } = await searchAll(jira, 'project = PROJ ORDER BY key ASC', { maxResults: 5 });
  t.equal(issues.length, 12);
  t.equal(pages, 3);
  t.equal((await jira.issueSearch.countIssues({ jql: 'project = PROJ' })).count, 30, 'the count still says 30');
  t.equal(emu.state.faults().truncatePaging?.afterIssues, 12);
  emu.state.clearFaults();
  t.equal((await searchAll(jira, 'project = PROJ', { maxResults: 5 })).issues.length, 30);
});

t.test('a moved issue is found under its old key by GET issue, comments, transitions and bulk fetch, answering with the new key', async (t) => {
  const jira = cloudClient(emu);
  const newKey = emu.state.moveIssue('PROJ-1', 'OPS');
  t.equal(newKey, 'OPS-5');
  const got = await jira.issues.getIssue({ issueIdOrKey: 'PROJ-1', fields: ['summary', 'project'] });
  t.equal(got.key, 'OPS-5');
  t.equal(got.fields?.project.key, 'OPS');
  const bulk = await jira.issues.bulkFetchIssues({ issueIdsOrKeys: ['PROJ-1', 'PROJ-2'], fields: ['summary'] });
  t.same(bulk.issues?.map((i) => i.key).sort(), ['OPS-5', 'PROJ-2']);
  t.ok((await jira.issues.getTransitions({ issueIdOrKey: 'PROJ-1' })).transitions?.length);
  await jira.issueComments.addComment({ issueIdOrKey: 'PROJ-1', body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'hi' }] }] } });
  t.equal(emu.state.comments('OPS-5').length, 1, 'the comment landed on the moved issue');
  t.equal(emu.state.issue('PROJ-1'), undefined, 'the control API knows only the new key');
  const { issues } = await searchAll(jira, 'project = PROJ');
  t.notOk(issues.some((i) => i.key === 'OPS-5' || i.key === 'PROJ-1'), 'JQL on the old project does not find it');
});

t.test('an issue hidden with 403 answers 403 on GET issue, comments and transitions, and is left out of search', async (t) => {
  const jira = cloudClient(emu);
  emu.state.setHidden('PROJ-3', true, 403);
  for (const p of [
    jira.issues.getIssue({ issueIdOrKey: 'PROJ-3' }),
    jira.issueComments.getComments({ issueIdOrKey: 'PROJ-3' }),
    jira.issueComments.addComment({ issueIdOrKey: 'PROJ-3', body: { type: 'doc', version: 1, content: [] } }),
    jira.issues.getTransitions({ issueIdOrKey: 'PROJ-3' }),
  ]) {
    const e = await apiError(p);
    t.ok(isForbiddenError(e));
    t.same(e.body, { errorMessages: ['You do not have the permission to see the specified issue.'], errors: {} });
  }
  t.same((await jira.issues.bulkFetchIssues({ issueIdsOrKeys: ['PROJ-3'] })).issues, []);
  emu.state.setHidden('PROJ-3', true);
  t.equal((await apiError(jira.issues.getIssue({ issueIdOrKey: 'PROJ-3' }))).status, 404, 'plain hidden is still 404');
  emu.state.setHidden('PROJ-3', false);
  t.equal((await jira.issues.getIssue({ issueIdOrKey: 'PROJ-3', fields: ['summary'] })).key, 'PROJ-3');
});

t.test('a 5xx after processing: the comment was posted though the answer was 503', async (t) => {
  const jira = cloudClient(emu);
  emu.state.fail5xx({ count: 1, path: '/comment', afterProcessing: true });
  const e = await apiError(jira.issueComments.addComment({ issueIdOrKey: 'PROJ-4', body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x' }] }] } }));
  t.equal(e.status, 503);
  t.equal(emu.state.comments('PROJ-4').length, 1, 'the write happened');
  t.equal(lastLog().fault, '5xx');
});

t.test('transitions rejected by a validator or a missing required field are 400s in Jira\'s shape', async (t) => {
  const jira = cloudClient(emu);
  emu.state.setWorkflow('OPS', [
    { id: '11', name: 'Fail', to: 'Failed', validatorError: 'Only the release manager may fail an issue.' },
    { id: '21', name: 'Resolve', to: 'Done', requiredFields: ['resolution'] },
    { id: '31', name: 'Block', to: 'Blocked' },
  ]);
  const offered = await jira.issues.getTransitions({ issueIdOrKey: 'OPS-1' });
  t.same(offered.transitions?.map((x) => [x.id, x.hasScreen]), [['11', false], ['21', true], ['31', false]]);
  const v = await apiError(jira.issues.doTransition({ issueIdOrKey: 'OPS-1', transition: { id: '11' } }));
  t.equal(v.status, 400);
  t.same(v.body, { errorMessages: ['Only the release manager may fail an issue.'], errors: {} });
  const r = await apiError(jira.issues.doTransition({ issueIdOrKey: 'OPS-1', transition: { id: '21' } }));
  t.equal(r.status, 400);
  t.same(r.body, { errorMessages: [], errors: { resolution: 'Resolution is required.' } });
  await jira.issues.doTransition({ issueIdOrKey: 'OPS-1', transition: { id: '21' }, fields: { resolution: { name: 'Done' } } });
  t.equal(emu.state.issue('OPS-1')?.status, 'Done', 'with the field set it goes through');
});
