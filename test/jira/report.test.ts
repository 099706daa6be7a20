import t from 'tap';
import { startJiraEmulator } from '../jira-emulator/emulator.ts';
import { createLimiter, JiraUnavailableError, type JiraClientOptions, type JiraConnection } from '../../controller/jira/jira.ts';
import { NONE_AVAILABLE, reportFailure, reportRecovery, type FailureReportInput } from '../../controller/jira/report.ts';
import { plainText } from '../../controller/jira/adf.ts';

const emu = await startJiraEmulator({ seed: 3, projects: [{ key: 'REP', issues: 12 }, { key: 'WF', issues: 3 }] });
t.teardown(() => emu.stop());

const conn: JiraConnection = { baseUrl: emu.url, credentials: { kind: 'basic', email: emu.email, apiToken: emu.apiToken } };
const opts: JiraClientOptions = {
  onSchemaMismatch: 'throw',
  limiter: createLimiter({ maxConcurrent: 4, requestsPerSecond: Infinity }),
  retry: { initialDelayMs: 10, maxDelayMs: 40, maxRetries: 2 },
};

const failure = (over: Partial<FailureReportInput>): FailureReportInput => ({
  issueKeys: [],
  syncRef: 'team-a/payments',
  phase: 'Failed',
  error: 'git push rejected: non-fast-forward',
  retryCount: 3,
  when: '2026-05-01T12:00:00Z',
  episode: 'ep-1',
  transitionTo: ['Failed', 'Blocked'],
  comment: true,
  ...over,
});

const texts = (key: string): string[] => emu.state.comments(key).map((c) => plainText(c.body));

t.afterEach(() => emu.state.clearFaults());

t.test('a failure is commented once per episode, even across a restart (a fresh client)', async (t) => {
  emu.state.setIssueStatus('REP-1', 'To Do');
  const first = await reportFailure(conn, failure({ issueKeys: ['REP-1'], transitionTo: [] }), opts);
  t.same(first.commented, ['REP-1']);
  t.same(first.alreadyReported, []);
  const second = await reportFailure(conn, failure({ issueKeys: ['REP-1'], transitionTo: [] }), opts);
  t.same(second.commented, []);
  t.same(second.alreadyReported, ['REP-1']);
  const comments = texts('REP-1');
  t.equal(comments.length, 1, 'one comment for the episode');
  for (const want of ['team-a/payments', 'Phase: Failed', 'Retries: 3', '2026-05-01T12:00:00.000Z', 'non-fast-forward', 'jirasync-episode: team-a/payments/ep-1']) {
    t.ok(comments[0].includes(want), `the comment names ${want}`);
  }
  const next = await reportFailure(conn, failure({ issueKeys: ['REP-1'], transitionTo: [], episode: 'ep-2' }), opts);
  t.same(next.commented, ['REP-1'], 'a new episode gets its own comment');
  t.equal(texts('REP-1').length, 2);
});

t.test('the first wanted transition on offer is taken: Blocked when the workflow has no Failed', async (t) => {
  emu.state.setIssueStatus('REP-2', 'In Progress');
  const res = await reportFailure(conn, failure({ issueKeys: ['REP-2'] }), opts);
  t.same(res.transitions, { 'REP-2': 'Blocked' });
  t.same(res.errors, {});
  t.equal(emu.state.issue('REP-2')?.status, 'Blocked');
  t.same(emu.state.transitionsReceived('REP-2').map((x) => x.to), ['Blocked']);
  const again = await reportFailure(conn, failure({ issueKeys: ['REP-2'] }), opts);
  t.same(again.transitions, { 'REP-2': 'Blocked' }, 'already in a wanted status');
  t.equal(emu.state.transitionsReceived('REP-2').length, 1, 'not moved a second time');
  t.equal(texts('REP-2').length, 1);
});

t.test('a wanted name matches the target status or the transition name, case-insensitively, in the order given', async (t) => {
  emu.state.setWorkflow('WF', [
    { id: '11', name: 'Start', to: 'In Progress' },
    { id: '21', name: 'Give up', to: 'Failed' },
    { id: '31', name: 'Park', to: 'Blocked' },
  ]);
  emu.state.setIssueStatus('WF-1', 'To Do');
  const byStatus = await reportFailure(conn, failure({ issueKeys: ['WF-1'], transitionTo: ['failed', 'blocked'], comment: false }), opts);
  t.same(byStatus.transitions, { 'WF-1': 'Failed' });
  t.same(emu.state.transitionsReceived('WF-1').map((x) => x.id), ['21']);
  emu.state.setIssueStatus('WF-2', 'To Do');
  const byName = await reportFailure(conn, failure({ issueKeys: ['WF-2'], transitionTo: ['PARK', 'Failed'], comment: false }), opts);
  t.same(byName.transitions, { 'WF-2': 'Blocked' }, 'the first listed match wins, here by transition name');
  t.same(byName.commented, []);
  t.equal(texts('WF-2').length, 0, 'comment: false posts nothing');
});

t.test('no wanted transition on offer is recorded as none-available, not as an error', async (t) => {
  emu.state.setIssueStatus('REP-3', 'Done');
  const res = await reportFailure(conn, failure({ issueKeys: ['REP-3'] }), opts);
  t.same(res.transitions, { 'REP-3': NONE_AVAILABLE });
  t.same(res.errors, {});
  t.same(res.commented, ['REP-3'], 'the comment is still posted');
  t.equal(emu.state.transitionsReceived('REP-3').length, 0);
  t.equal(emu.state.issue('REP-3')?.status, 'Done');
});

t.test('an issue that does not exist is recorded in errors and the other issues are still reported', async (t) => {
  const res = await reportFailure(conn, failure({ issueKeys: ['REP-999', 'REP-4'], transitionTo: [] }), opts);
  t.same(res.commented, ['REP-4']);
  t.same(Object.keys(res.errors), ['REP-999']);
  t.match(res.errors['REP-999'], /404/);
});

t.test('when Jira is down the report throws a retryable error, and the later retry comments exactly once', async (t) => {
  emu.state.setIssueStatus('REP-5', 'To Do');
  emu.state.fail5xx({ probability: 1, status: 503 });
  const err = await reportFailure(conn, failure({ issueKeys: ['REP-5'] }), opts).catch((e: unknown) => e);
  t.ok(err instanceof JiraUnavailableError, String(err));
  t.equal((err as JiraUnavailableError).retryable, true);
  t.equal(texts('REP-5').length, 0);
  // Jira comes back for the comment but fails the transition: the comment must not be repeated.
  emu.state.fail5xx({ probability: 1, status: 502, path: '/transitions' });
  await t.rejects(reportFailure(conn, failure({ issueKeys: ['REP-5'] }), opts), JiraUnavailableError);
  t.equal(texts('REP-5').length, 1);
  emu.state.clearFaults();
  const res = await reportFailure(conn, failure({ issueKeys: ['REP-5'] }), opts);
  t.same(res.alreadyReported, ['REP-5']);
  t.same(res.transitions, { 'REP-5': 'Blocked' });
  t.equal(texts('REP-5').length, 1);
});

t.test('a comment POST answered 5xx after Jira posted it is not posted again: the marker is searched first', async (t) => {
  emu.state.fail5xx({ count: 2, status: 504, path: '/comment', method: 'POST', afterProcessing: true });
  const seq = emu.state.requestLog.at(-1)?.seq ?? 0;
  const res = await reportFailure(conn, failure({ issueKeys: ['REP-8'], transitionTo: [] }), opts);
  t.same(res.commented, ['REP-8'], 'the comment that landed is this report\'s');
  t.same(res.errors, {});
  t.equal(texts('REP-8').length, 1, 'exactly one comment');
  const posts = emu.state.requestsSince(seq).filter((e) => e.method === 'POST' && e.path.endsWith('/comment'));
  t.same(posts.map((e) => e.status), [504], 'one POST; the 504\'s comment was found on the re-check');
});

t.test('a comment POST that failed before Jira did it is posted on a later attempt, once', async (t) => {
  emu.state.fail5xx({ count: 1, status: 503, path: '/comment', method: 'POST' });
  const res = await reportFailure(conn, failure({ issueKeys: ['REP-9'], transitionTo: [] }), opts);
  t.same(res.commented, ['REP-9']);
  t.equal(texts('REP-9').length, 1);
});

t.test('a transition rejected by a validator or a required field falls back to the next wanted one', async (t) => {
  emu.state.setWorkflow('WF', [
    { name: 'Fail', to: 'Failed', validatorError: 'Only the release manager may fail an issue.' },
    { name: 'Hold', to: 'On Hold', requiredFields: ['resolution'] },
    { name: 'Block', to: 'Blocked' },
  ]);
  emu.state.setIssueStatus('WF-1', 'To Do');
  const res = await reportFailure(conn, failure({ issueKeys: ['WF-1'], transitionTo: ['Failed', 'On Hold', 'Blocked'] }), opts);
  t.same(res.transitions, { 'WF-1': 'Blocked' });
  t.same(res.errors, {});
  t.equal(emu.state.issue('WF-1')?.status, 'Blocked');
  emu.state.setIssueStatus('WF-2', 'To Do');
  const none = await reportFailure(conn, failure({ issueKeys: ['WF-2'], transitionTo: ['Failed', 'On Hold'] }), opts);
  t.same(none.commented, ['WF-2'], 'the comment is made all the same');
  t.match(none.errors['WF-2'], /400: .*[Rr]esolution is required/, 'every fallback rejected: the last rejection is the issue\'s error');
  t.equal(emu.state.issue('WF-2')?.status, 'To Do');
});

t.test('a recovery comment that fails is reported as an error, and the next attempt posts it once', async (t) => {
  const input = { issueKeys: ['REP-10'], syncRef: 'team-a/payments', episode: 'ep-10', when: '2026-05-02T08:00:00Z' };
  emu.state.fail5xx({ probability: 1, status: 502, path: '/comment', method: 'POST' });
  const failed = await reportRecovery(conn, input, opts).catch((e: unknown) => e);
  const gotError = failed instanceof Error || Object.keys((failed as { errors: object }).errors).length > 0;
  t.ok(gotError, 'the failed recovery comment is not reported as done');
  emu.state.clearFaults();
  const res = await reportRecovery(conn, input, opts);
  t.same(res.commented, ['REP-10']);
  t.equal(texts('REP-10').filter((x) => /healthy again/.test(x)).length, 1);
});

t.test('credentials never reach a comment, even when the error text contains them', async (t) => {
  await reportFailure(conn, failure({ issueKeys: ['REP-6'], transitionTo: [], error: `401 with token ${emu.apiToken}` }), opts);
  const [text] = texts('REP-6');
  t.notOk(text.includes(emu.apiToken));
  t.match(text, /401 with token \*\*\*/);
});

t.test('recovery is commented once per episode, separately from the failure comment', async (t) => {
  await reportFailure(conn, failure({ issueKeys: ['REP-7'], transitionTo: [], episode: 'ep-9' }), opts);
  const input = { issueKeys: ['REP-7'], syncRef: 'team-a/payments', episode: 'ep-9', when: '2026-05-02T08:00:00Z' };
  const first = await reportRecovery(conn, input, opts);
  t.same(first.commented, ['REP-7']);
  const second = await reportRecovery(conn, input, opts);
  t.same(second.alreadyReported, ['REP-7']);
  const comments = texts('REP-7');
  t.equal(comments.length, 2);
  t.match(comments[1], /healthy again/);
  t.match(comments[1], /jirasync-recovered: team-a\/payments\/ep-9/);
});
