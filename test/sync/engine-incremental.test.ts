/**
 * The engine's incremental behaviour (cursor, overlap, deletion scans, relationship updates),
 * over in-memory fakes of IssueSource and Checkout.
 */
import t from 'tap';
import { formatJqlDateTime as formatJqlDate, INCREMENTAL_OVERLAP_MS } from '../../controller/jira/jql.ts';
import { FakeRemote } from '../fixtures/fake-checkout.ts';
import { FakeIssueSource } from '../fixtures/fake-issue-source.ts';
import { adf, LINK_TYPES, type IssueSpec } from '../fixtures/jira-issues.ts';
import { syncOnce, syncSpec } from '../fixtures/sync-harness.ts';

const spec = syncSpec('incremental', { projectKey: 'A' });
const NOW = new Date('2024-03-02T00:00:00Z');
const LATER = (h: number) => new Date(NOW.getTime() + h * 3_600_000);

/** Issues updated an hour apart, the last (A-n) at LAST_UPDATED: only it falls in the overlap window. */
function project(n: number): IssueSpec[] {
  return Array.from({ length: n }, (_, i) => ({ key: `A-${i + 1}`, updated: new Date(Date.parse(LAST_UPDATED) - (n - 1 - i) * 3_600_000).toISOString().replace('Z', '+0000') }));
}
const LAST_UPDATED = '2024-02-28T10:00:00.000Z';

async function primed(n = 20) {
  const remote = new FakeRemote();
  const source = new FakeIssueSource(project(n));
  const first = await syncOnce(remote, source, spec, { now: NOW });
  return { remote, source, first };
}

function state(remote: FakeRemote) {
  return JSON.parse(remote.files()['.jirasync/state.json']);
}

t.test('the first incremental sync is a full one and stores the cursor and scan time', async (t) => {
  const { remote, first } = await primed();
  t.match(first.result, { added: 20, fullScan: true, cursor: LAST_UPDATED, lastFullScanTime: NOW.toISOString() });
  t.match(state(remote), { syncType: 'incremental', cursor: LAST_UPDATED, lastFullScanTime: NOW.toISOString() });
});

t.test('an incremental sync with no Jira change makes no commit and at most 2 Jira requests', async (t) => {
  const { remote, source } = await primed();
  const commits = remote.commits.length;
  const { result, calls } = await syncOnce(remote, source, spec, { now: LATER(1) });
  t.equal(result.commit, undefined);
  t.equal(remote.commits.length, commits);
  t.ok((result.jiraRequests ?? 99) <= 2, `${result.jiraRequests} requests`);
  t.same(calls.map((c) => c.method), ['timeZone', 'search']);
  t.equal(result.fullScan, false);
});

t.test('the search starts one overlap window before the cursor, in the Jira user time zone', async (t) => {
  const { remote, source } = await primed();
  source.tz = 'America/New_York';
  const { calls } = await syncOnce(remote, source, spec, { now: LATER(1) });
  const since = formatJqlDate(new Date(Date.parse(LAST_UPDATED) - INCREMENTAL_OVERLAP_MS), 'America/New_York');
  t.equal(since, '2024/02/28 04:55');
  t.equal(calls[1].jql, `(project = "A") AND updated >= "${since}" ORDER BY updated ASC`);
});

t.test('changed issues are restaged; the commit touches exactly their files and the state', async (t) => {
  const { remote, source } = await primed(300);
  const before = remote.files();
  const statsBefore = { ...remote.stats };
  source.touch('A-7', { summary: 'changed 7' });
  source.touch('A-250', { summary: 'changed 250' });
  const { result } = await syncOnce(remote, source, spec, { now: LATER(1) });
  t.ok(result.commit);
  t.match(result, { added: 0, updated: 2, removed: 0, processedIssues: 3, fullScan: false }, 'the two changes and the issue at the cursor');
  const after = remote.files();
  t.same(Object.keys(after).filter((p) => after[p] !== before[p]).sort(), ['.jirasync/state.json', 'projects/A/issues/A-250.yaml', 'projects/A/issues/A-7.yaml']);
  t.equal(remote.stats.writeFile - statsBefore.writeFile, 3, 'two issue files and the state file written');
  t.ok(remote.stats.readFile - statsBefore.readFile <= 4, 'reads grow with the change, not the repository');
  t.match(remote.tip?.message, /— 0 added, 2 updated, 0 removed\n\nUpdated \(2\): A-7, A-250\n/);
  t.equal(state(remote).cursor, new Date(Date.parse(String(source.issues.get('A-250')?.fields.updated).replace('+0000', 'Z'))).toISOString());
});

t.test('a link made between two issues appears as a symlink, and goes when the link is removed', async (t) => {
  const { remote, source } = await primed();
  source.link('A-3', 'blocks', 'A-4');
  await syncOnce(remote, source, spec, { now: LATER(1) });
  t.equal(remote.files()['projects/A/relationships/blocks/A-3/A-4'], '-> ../../../issues/A-4.yaml');
  source.touch('A-3', { issuelinks: [] });
  source.touch('A-4', { issuelinks: [] });
  await syncOnce(remote, source, spec, { now: LATER(2) });
  t.notOk(Object.keys(remote.files()).some((p) => p.includes('/relationships/')));
});

t.test('when only one end of a link is refetched, the other end still vouches for the symlink', async (t) => {
  const { remote, source } = await primed();
  source.link('A-3', 'blocks', 'A-4');
  await syncOnce(remote, source, spec, { now: LATER(1) });
  source.touch('A-3', { summary: 'unrelated edit' });
  await syncOnce(remote, source, spec, { now: LATER(2) });
  t.ok(remote.files()['projects/A/relationships/blocks/A-3/A-4']);
});

t.test('a new issue under an existing epic is added with its epic symlink', async (t) => {
  const { remote, source } = await primed();
  source.put({ key: 'A-21', updated: source.tick(), parent: { key: 'A-1', issuetype: 'Epic', hierarchyLevel: 1 } });
  const { result } = await syncOnce(remote, source, spec, { now: LATER(1) });
  t.match(result, { added: 1 });
  t.equal(remote.files()['projects/A/relationships/epic/A-1/A-21'], '-> ../../../issues/A-21.yaml');
});

t.test('a deleted issue is removed by the deletion scan, not before, with its symlinks', async (t) => {
  const { remote, source } = await primed();
  source.link('A-5', 'blocks', 'A-6');
  await syncOnce(remote, source, spec, { now: LATER(1) });
  source.delete('A-6');
  source.touch('A-5', { issuelinks: [{ id: 'x', type: LINK_TYPES.blocks, outwardIssue: { key: 'A-6' } }] }); // Jira keeps nothing; be harsh
  const quiet = await syncOnce(remote, source, spec, { now: LATER(2) });
  t.equal(quiet.result.fullScan, false);
  t.ok(remote.files()['projects/A/issues/A-6.yaml'], 'an incremental query cannot see the deletion');
  const scan = await syncOnce(remote, source, spec, { now: LATER(3), fullScan: true });
  t.match(scan.result, { removed: 1, fullScan: true });
  t.ok(scan.calls.some((c) => c.method === 'enumerate'));
  const paths = Object.keys(remote.files());
  t.notOk(paths.some((p) => p.includes('A-6')), 'neither the file nor a symlink to it remains');
  t.equal(state(remote).lastFullScanTime, LATER(3).toISOString(), 'a scan that changed something is recorded in the state');
});

t.test('a deletion scan runs by itself once the interval has elapsed', async (t) => {
  const { remote, source } = await primed();
  source.delete('A-2');
  const early = await syncOnce(remote, source, spec, { now: LATER(5) });
  t.equal(early.result.fullScan, false);
  const due = await syncOnce(remote, source, spec, { now: LATER(6) });
  t.match(due.result, { fullScan: true, removed: 1 });
  const custom = await syncOnce(remote, source, { ...spec, deletionScanInterval: '30m' }, { now: LATER(6.6) });
  t.equal(custom.result.fullScan, true, 'the interval comes from the spec');
});

t.test('a clean deletion scan makes no commit; the caller learns the scan time from the result', async (t) => {
  const { remote, source } = await primed();
  const commits = remote.commits.length;
  const { result } = await syncOnce(remote, source, spec, { now: LATER(7) });
  t.match(result, { fullScan: true, commit: undefined, lastFullScanTime: LATER(7).toISOString() });
  t.equal(remote.commits.length, commits);
  const next = await syncOnce(remote, source, spec, { now: LATER(8), lastFullScanTime: result.lastFullScanTime });
  t.equal(next.result.fullScan, false, 'the remembered time postpones the next scan');
});

t.test('changing the custom fields starts over with a full sync', async (t) => {
  const { remote, source } = await primed();
  const { result, calls } = await syncOnce(remote, source, { ...spec, customFields: ['customfield_1'] }, { now: LATER(1) });
  t.ok(calls.some((c) => c.method === 'enumerate'));
  t.match(result, { updated: 20, fullScan: true });
});

t.test('an issue that fails holds the cursor so it is fetched and reported again', async (t) => {
  const { remote, source } = await primed();
  source.touch('A-3', { description: adf('y'.repeat(1_100_000)) });
  const failedAt = String(source.issues.get('A-3')?.fields.updated);
  source.touch('A-4', { summary: 'fine' });
  const first = await syncOnce(remote, source, spec, { now: LATER(1) });
  t.match(first.result, { failedIssues: 1, updated: 1 });
  t.equal(first.result.cursor, new Date(Date.parse(failedAt.replace('+0000', 'Z'))).toISOString());
  const again = await syncOnce(remote, source, spec, { now: LATER(2) });
  t.match(again.result, { failedIssues: 1, commit: undefined });
  t.equal(again.result.failures[0].key, 'A-3');
});

t.test('an issue seen twice in one search is processed once', async (t) => {
  const { remote, source } = await primed();
  source.touch('A-9', { summary: 'x' });
  const inner = source.search.bind(source);
  source.search = async function* (jql, fields, signal) {
    for await (const page of inner(jql, fields, signal)) {
      yield page;
      yield page; // a page boundary that repeats issues
    }
  };
  const { result } = await syncOnce(remote, source, spec, { now: LATER(1) });
  t.match(result, { processedIssues: 2, updated: 1 }, 'A-9 and the issue at the cursor, once each');
});
