/**
 * The engine's full-sync behaviour, over in-memory fakes of IssueSource and Checkout.
 * (test/sync/engine-http.test.ts runs the same engine over the emulator and the real git server.)
 */
import t from 'tap';
import { parse } from 'yaml';
import { OPERATIONS } from '../../controller/sync/engine.ts';
import { SyncError } from '../../controller/sync/errors.ts';
import { JiraRateLimitedError } from '../../controller/jira/errors.ts';
import { FakeRemote } from '../fixtures/fake-checkout.ts';
import { FakeIssueSource } from '../fixtures/fake-issue-source.ts';
import { adf, type IssueSpec } from '../fixtures/jira-issues.ts';
import { syncOnce, syncSpec } from '../fixtures/sync-harness.ts';

const epic = { key: 'A-1', issuetype: 'Epic', hierarchyLevel: 1 };
const project: IssueSpec[] = [
  { key: 'A-1', issuetype: 'Epic', hierarchyLevel: 1 },
  { key: 'A-2', issuetype: 'Story', parent: epic, subtasks: ['A-4'], links: [{ type: 'blocks', direction: 'outward', key: 'A-3' }, { type: 'relates', direction: 'outward', key: 'X-9' }] },
  { key: 'A-3', links: [{ type: 'blocks', direction: 'inward', key: 'A-2' }] },
  { key: 'A-4', issuetype: 'Subtask', hierarchyLevel: -1, parent: { key: 'A-2', issuetype: 'Story', hierarchyLevel: 0 } },
];

t.test('a project sync writes one YAML file per issue, relationship symlinks and the state file', async (t) => {
  const remote = new FakeRemote({ 'README.md': 'hello\n', 'other/keep.txt': 'x' });
  const source = new FakeIssueSource(project);
  const { result } = await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }));
  t.ok(result.commit);
  t.match(result, { added: 4, updated: 0, removed: 0, totalIssues: 4, processedIssues: 4, successfulIssues: 4, failedIssues: 0, fullScan: true });
  const files = remote.files();
  t.same(Object.keys(files).sort(), [
    '.jirasync/ids/11.txt',
    '.jirasync/ids/12.txt',
    '.jirasync/ids/13.txt',
    '.jirasync/ids/14.txt',
    '.jirasync/state.json',
    'README.md',
    'other/keep.txt',
    'projects/A/issues/A-1.yaml',
    'projects/A/issues/A-2.yaml',
    'projects/A/issues/A-3.yaml',
    'projects/A/issues/A-4.yaml',
    'projects/A/relationships/blocks/A-2/A-3',
    'projects/A/relationships/epic/A-1/A-2',
    'projects/A/relationships/subtasks/A-2/A-4',
  ]);
  t.equal(files['projects/A/relationships/blocks/A-2/A-3'], '-> ../../../issues/A-3.yaml');
  t.equal(files['.jirasync/ids/12.txt'], '10002 A-2\n', 'the id index maps each Jira id to its key, sharded by id');
  const a2 = parse(files['projects/A/issues/A-2.yaml']);
  t.same(a2.links, [{ type: 'blocks', direction: 'outward', key: 'A-3' }, { type: 'relates to', direction: 'outward', key: 'X-9' }], 'a link to an issue outside the scope stays in the YAML');
  t.equal(a2.epic, 'A-1');
  t.same(JSON.parse(files['.jirasync/state.json']), { formatVersion: 2, owner: 'team/mirror', syncType: 'project', scopeHash: JSON.parse(files['.jirasync/state.json']).scopeHash });
  const msg = remote.tip?.message ?? '';
  t.match(msg, /^chore\(jirasync\): sync A — 4 added, 0 updated, 0 removed\n\nAdded \(4\): A-1, A-2, A-3, A-4\n/);
  t.match(msg, /\n\nJIRASync: team\/mirror\nJira-Query: project = "A"\n$/);
});

t.test('a second sync with no Jira change makes no commit', async (t) => {
  const remote = new FakeRemote();
  const source = new FakeIssueSource(project);
  await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }));
  const commits = remote.commits.length;
  const { result } = await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }));
  t.equal(result.commit, undefined);
  t.equal(remote.commits.length, commits);
  t.match(result, { added: 0, updated: 0, removed: 0, successfulIssues: 4 });
});

t.test('an issue deleted in Jira loses its file and every symlink naming it', async (t) => {
  const remote = new FakeRemote();
  const source = new FakeIssueSource(project);
  await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }));
  source.delete('A-2');
  const { result } = await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }));
  t.match(result, { removed: 1, added: 0 });
  const paths = Object.keys(remote.files());
  t.notOk(paths.some((p) => p.includes('A-2')), 'no path mentions A-2');
  t.match(remote.tip?.message, /— 0 added, 0 updated, 1 removed\n\nRemoved \(1\): A-2\n/);
});

t.test('a changed issue is reported as updated and only its file changes', async (t) => {
  const remote = new FakeRemote();
  const source = new FakeIssueSource(project);
  await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }));
  const before = remote.files();
  source.touch('A-3', { summary: 'New summary' });
  const { result } = await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }));
  t.match(result, { added: 0, updated: 1, removed: 0 });
  const after = remote.files();
  t.same(Object.keys(after).filter((p) => after[p] !== before[p]), ['projects/A/issues/A-3.yaml']);
});

t.test('files are placed under destination.path and nothing outside it changes', async (t) => {
  const remote = new FakeRemote({ 'projects/A/issues/A-1.yaml': 'not ours\n' });
  const source = new FakeIssueSource(project);
  await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }, { destination: { repository: 'r', path: '/mirror/jira/' } }));
  const files = remote.files();
  t.equal(files['projects/A/issues/A-1.yaml'], 'not ours\n');
  t.ok(files['mirror/jira/projects/A/issues/A-1.yaml']);
  t.ok(files['mirror/jira/.jirasync/state.json']);
});

t.test('a single sync stores one issue; a batch sync reports keys Jira does not have', async (t) => {
  const remote = new FakeRemote();
  const source = new FakeIssueSource(project);
  const single = await syncOnce(remote, source, syncSpec('single', { issueKeys: ['A-3'] }));
  t.match(single.result, { added: 1, totalIssues: 1, failedIssues: 0 });
  const batch = await syncOnce(new FakeRemote(), source, syncSpec('batch', { issueKeys: ['A-1', 'A-4', 'A-404'] }));
  t.match(batch.result, { added: 2, totalIssues: 3, successfulIssues: 2, failedIssues: 1 });
  t.same(batch.result.failures, [{ key: 'A-404', error: 'not found in Jira (deleted, moved, or not visible to the Jira user)' }]);
  t.same(batch.calls.map((c) => c.method), ['fetch'], 'keys are fetched directly, without a search');
});

t.test('an epic sync takes the epic, its children and their sub-tasks, and nothing else', async (t) => {
  const source = new FakeIssueSource([...project, { key: 'A-5' }, { key: 'A-6', parent: { key: 'A-5', issuetype: 'Task', hierarchyLevel: 0 } }]);
  const remote = new FakeRemote();
  const { result } = await syncOnce(remote, source, syncSpec('epic', { epicKey: 'A-1' }));
  t.match(result, { added: 3, totalIssues: 3 });
  t.same(Object.keys(remote.files()).filter((p) => p.includes('/issues/')).sort(), ['projects/A/issues/A-1.yaml', 'projects/A/issues/A-2.yaml', 'projects/A/issues/A-4.yaml']);
});

t.test('a JQL sync can span projects, and cross-project symlinks resolve relative to projects/', async (t) => {
  const source = new FakeIssueSource([
    { key: 'A-1', links: [{ type: 'blocks', direction: 'outward', key: 'B-1' }] },
    { key: 'B-1', links: [{ type: 'blocks', direction: 'inward', key: 'A-1' }] },
  ]);
  source.defineJql('labels = shared', () => true);
  const remote = new FakeRemote();
  await syncOnce(remote, source, syncSpec('jql', { jqlQuery: 'labels = shared ORDER BY key' }));
  t.equal(remote.files()['projects/A/relationships/blocks/A-1/B-1'], '-> ../../../../B/issues/B-1.yaml');
});

t.test('one issue that cannot be stored is reported; the others land and its old file stays', async (t) => {
  const remote = new FakeRemote();
  const source = new FakeIssueSource(project);
  await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }));
  const old = remote.files()['projects/A/issues/A-3.yaml'];
  source.touch('A-3', { description: adf('x'.repeat(1_100_000)) });
  source.touch('A-1', { summary: 'still synced' });
  const { result } = await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }));
  t.match(result, { processedIssues: 4, successfulIssues: 3, failedIssues: 1, updated: 1, removed: 0 });
  t.equal(result.failures.length, 1);
  t.equal(result.failures[0].key, 'A-3');
  t.match(result.failures[0].error, /over the 1048576-byte limit/);
  t.equal(remote.files()['projects/A/issues/A-3.yaml'], old);
  t.ok(remote.files()['projects/A/relationships/blocks/A-2/A-3'], 'its relationships stay too');
});

t.test('a path already owned by another JIRASync fails with a stalling error and no commit', async (t) => {
  const remote = new FakeRemote();
  const source = new FakeIssueSource(project);
  await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }), { owner: { namespace: 'ns', name: 'other' } });
  const commits = remote.commits.length;
  const err = await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' })).catch((e: unknown) => e);
  t.ok(err instanceof SyncError);
  t.equal((err as SyncError).kind, 'stalling');
  t.match((err as Error).message, /destination path already used by ns\/other/);
  t.equal(remote.commits.length, commits);
});

t.test('an invalid target is a stalling error before any Jira request', async (t) => {
  const source = new FakeIssueSource(project);
  const err = await syncOnce(new FakeRemote(), source, syncSpec('project', {})).catch((e: unknown) => e);
  t.equal((err as SyncError).kind, 'stalling');
  t.equal(source.calls.length, 0);
});

t.test('a destination path that leaves the repository is a stalling error', async (t) => {
  const err = await syncOnce(new FakeRemote(), new FakeIssueSource(project), syncSpec('project', { projectKey: 'A' }, { destination: { repository: 'r', path: 'a/../../etc' } })).catch((e: unknown) => e);
  t.match(err, { kind: 'stalling', message: /must stay inside the repository/ });
});

const MINIMAL_FIELDS = [
  'assignee', 'components', 'created', 'description', 'duedate', 'environment', 'fixVersions', 'issuelinks', 'issuetype', 'labels', 'parent',
  'priority', 'reporter', 'resolution', 'status', 'subtasks', 'summary', 'timetracking', 'updated', 'versions',
];

t.test('Jira is asked for the minimal field list plus the configured custom fields', async (t) => {
  const source = new FakeIssueSource(project);
  const { calls } = await syncOnce(new FakeRemote(), source, syncSpec('project', { projectKey: 'A' }, { customFields: ['customfield_10016'] }));
  const fetch = calls.find((c) => c.method === 'fetch');
  t.same([...(fetch?.fields ?? [])].sort(), [...MINIMAL_FIELDS, 'customfield_10016'].sort());
});

t.test('spec.content adds the comment, attachment and worklog fields to the same fetch', async (t) => {
  const source = new FakeIssueSource(project);
  const spec = syncSpec('project', { projectKey: 'A' }, { content: { comments: {}, attachments: {}, worklogs: {} } });
  const { calls } = await syncOnce(new FakeRemote(), source, spec);
  const fetches = calls.filter((c) => c.method === 'fetch');
  t.equal(fetches.length, 1, 'no extra fetch');
  t.same([...(fetches[0]?.fields ?? [])].sort(), [...MINIMAL_FIELDS, 'attachment', 'comment', 'worklog'].sort());
});

t.test('progress walks the operations in order and counts every issue', async (t) => {
  const source = new FakeIssueSource(Array.from({ length: 250 }, (_, i) => ({ key: `A-${i + 1}` })));
  const { progress } = await syncOnce(new FakeRemote(), source, syncSpec('project', { projectKey: 'A' }));
  const ops = progress.map((p) => p.operation).filter((op, i, all) => i === 0 || all[i - 1] !== op);
  t.same(ops, [...OPERATIONS]);
  const fetches = progress.filter((p) => p.operation === 'fetch-issues').map((p) => p.processedIssues);
  t.ok(fetches.length >= 3, 'reported after each chunk');
  t.same(fetches, [...fetches].sort((a, b) => a - b), 'processed count never goes back');
  t.match(progress[progress.length - 1], { completedOperations: 5, totalOperations: 5, totalIssues: 250, processedIssues: 250, successfulIssues: 250 });
});

t.test('a sync cancelled while fetching rejects with the abort reason and commits nothing', async (t) => {
  const remote = new FakeRemote();
  const source = new FakeIssueSource(Array.from({ length: 300 }, (_, i) => ({ key: `A-${i + 1}` })));
  const ac = new AbortController();
  let pages = 0;
  source.beforePage = (c) => {
    if (c.method === 'fetch' && ++pages === 2) ac.abort(new DOMException('stop', 'AbortError'));
  };
  const err = await syncOnce(remote, source, syncSpec('project', { projectKey: 'A' }), { signal: ac.signal }).catch((e: unknown) => e);
  t.equal((err as Error).name, 'AbortError');
  t.equal(remote.commits.length, 0);
});

t.test('a Jira failure fails the run with context and keeps the error kind', async (t) => {
  const source = new FakeIssueSource(project);
  source.beforePage = () => {
    throw new JiraRateLimitedError({ endpoint: 'search/jql', method: 'POST' }, 30, 'rate limited');
  };
  const err = await syncOnce(new FakeRemote(), source, syncSpec('project', { projectKey: 'A' })).catch((e: unknown) => e);
  t.match(err, { failureReason: 'RateLimited', kind: 'waiting', retryAfterSeconds: 30 });
  t.match((err as Error).message, /fetch-issues|resolve-target/);
  t.match((err as Error).message, /rate limited/);
});
