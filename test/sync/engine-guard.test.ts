/**
 * The deletion guard (controller/sync/guard.ts) seen from outside the engine: which runs are
 * refused with DeletionRefused and leave the branch untouched, which deletions still happen, and
 * how a confirmation lets exactly the intended one through. Over the in-memory fakes.
 */
import t, { type Test } from 'tap';
import type { DeletionPolicy, JIRASyncSpec } from '../../controller/api/jirasync.ts';
import { classifyError } from '../../controller/sync/errors.ts';
import { configHash, scopeHash } from '../../controller/api/fingerprint.ts';
import { FakeRemote } from '../fixtures/fake-checkout.ts';
import { FakeIssueSource } from '../fixtures/fake-issue-source.ts';
import type { IssueSpec } from '../fixtures/jira-issues.ts';
import { syncOnce, syncSpec } from '../fixtures/sync-harness.ts';

const NOW = new Date('2024-03-02T00:00:00Z');
const LATER = (h: number) => new Date(NOW.getTime() + h * 3_600_000);
/** Issues updated an hour apart, so that an incremental search sees only the last one again. */
const issues = (n: number, project = 'A'): IssueSpec[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${project}-${i + 1}`, updated: new Date(Date.parse('2024-02-28T10:00:00Z') - (n - 1 - i) * 3_600_000).toISOString().replace('Z', '+0000') }));
const storedKeys = (remote: FakeRemote) => Object.keys(remote.files()).filter((p) => p.endsWith('.yaml')).length;

/** A branch holding `n` issues of project A from a first sync of `spec`. */
async function stored(n: number, spec: JIRASyncSpec) {
  const remote = new FakeRemote();
  const source = new FakeIssueSource(issues(n));
  await syncOnce(remote, source, spec, { now: NOW });
  return { remote, source };
}

/** Runs and expects DeletionRefused with no new commit; returns the message. */
async function refused(t: Test, remote: FakeRemote, source: FakeIssueSource, spec: JIRASyncSpec, opts: { now?: Date; fullScan?: boolean } = {}): Promise<string> {
  const commits = remote.commits.length;
  const before = remote.files();
  const err = await syncOnce(remote, source, spec, opts).then(() => undefined, (e: unknown) => e);
  t.ok(err, 'the run fails');
  t.match(classifyError(err), { reason: 'DeletionRefused', kind: 'stalling' });
  t.equal(remote.commits.length, commits, 'nothing is committed or pushed');
  t.same(remote.files(), before, 'the branch is untouched');
  return (err as Error).message;
}

const project = syncSpec('project', { projectKey: 'A' });
const withPolicy = (spec: JIRASyncSpec, deletionPolicy: DeletionPolicy): JIRASyncSpec => ({ ...spec, deletionPolicy });

interface FullCase {
  name: string;
  stored: number;
  /** Mutates Jira between the first and the second run. */
  jira: (s: FakeIssueSource) => void;
  policy?: DeletionPolicy;
  refused?: RegExp;
  removed?: number;
}

const fullCases: FullCase[] = [
  {
    name: 'a token that sees nothing (count 0, zero issues) cannot delete the mirror',
    stored: 20,
    jira: (s) => s.issues.clear(),
    refused: /would delete 20 of 20 stored issues; Jira enumerated 0, its approximate count is 0; it would delete every stored issue\..*confirmDeletion: 20/,
  },
  {
    name: 'an enumeration that stops paging early is refused because it falls short of the approximate count',
    stored: 100,
    jira: (s) => {
      s.enumeratePage = 10;
      s.enumeratePageLimit = 3;
    },
    refused: /would delete 70 of 100 stored issues; Jira enumerated 30, its approximate count is 100; Jira enumerated 30 issues but its approximate count is 100/,
  },
  {
    name: 'a short enumeration is refused even when it would delete less than the percentage limit',
    stored: 100,
    jira: (s) => {
      s.enumeratePage = 80;
      s.enumeratePageLimit = 1;
    },
    refused: /would delete 20 of 100 stored issues; Jira enumerated 80, its approximate count is 100/,
  },
  {
    name: 'deleting more than half of the stored issues is refused by default',
    stored: 20,
    jira: (s) => { for (let i = 1; i <= 11; i++) s.delete(`A-${i}`); },
    refused: /would delete 11 of 20 stored issues; Jira enumerated 9, its approximate count is 9; that is more than spec\.deletionPolicy\.maxDeletePercent \(50%\)/,
  },
  { name: 'deleting half of the stored issues still happens', stored: 20, jira: (s) => { for (let i = 1; i <= 10; i++) s.delete(`A-${i}`); }, removed: 10 },
  { name: 'a few deleted issues are removed as before', stored: 20, jira: (s) => { s.delete('A-3'); s.delete('A-7'); }, removed: 2 },
  {
    name: 'a small branch (10 issues or fewer) may lose most of them',
    stored: 8,
    jira: (s) => { for (let i = 1; i <= 7; i++) s.delete(`A-${i}`); },
    removed: 7,
  },
  {
    name: 'a small branch may still not lose all of them',
    stored: 3,
    jira: (s) => s.issues.clear(),
    refused: /would delete 3 of 3 stored issues/,
  },
  {
    name: 'maxDeletePercent raises the limit',
    stored: 20,
    jira: (s) => { for (let i = 1; i <= 15; i++) s.delete(`A-${i}`); },
    policy: { maxDeletePercent: 80 },
    removed: 15,
  },
  {
    name: 'maxDeletePercent 0 refuses any deletion from a branch of more than 10 issues',
    stored: 20,
    jira: (s) => s.delete('A-1'),
    policy: { maxDeletePercent: 0 },
    refused: /would delete 1 of 20 .*maxDeletePercent \(0%\)/,
  },
  {
    name: 'a confirmation of exactly the refused count lets that deletion through',
    stored: 20,
    jira: (s) => { for (let i = 1; i <= 11; i++) s.delete(`A-${i}`); },
    policy: { confirmDeletion: 11 },
    removed: 11,
  },
  {
    name: 'a confirmation of another count confirms nothing',
    stored: 20,
    jira: (s) => { for (let i = 1; i <= 12; i++) s.delete(`A-${i}`); },
    policy: { confirmDeletion: 11 },
    refused: /would delete 12 of 20 .*confirmDeletion: 12 \(spec\.deletionPolicy\.confirmDeletion is 11, which confirms a different count\)/,
  },
  { name: 'a confirmation of the whole count lets the sync empty the branch', stored: 20, jira: (s) => s.issues.clear(), policy: { confirmDeletion: 20 }, removed: 20 },
  {
    name: 'maxDeletePercent 100 does not allow deleting everything',
    stored: 20,
    jira: (s) => s.issues.clear(),
    policy: { maxDeletePercent: 100 },
    refused: /would delete 20 of 20/,
  },
];

for (const c of fullCases) {
  t.test(c.name, async (t) => {
    const { remote, source } = await stored(c.stored, project);
    c.jira(source);
    const spec = c.policy ? withPolicy(project, c.policy) : project;
    if (c.refused) {
      t.match(await refused(t, remote, source, spec), c.refused);
      t.equal(storedKeys(remote), c.stored, 'every stored issue is still there');
    } else {
      const { result } = await syncOnce(remote, source, spec, { now: LATER(1) });
      t.equal(result.removed, c.removed);
      t.equal(storedKeys(remote), c.stored - (c.removed ?? 0));
    }
  });
}

t.test('the refusal message names the counts with thousands separators and says what to do', async (t) => {
  const { remote, source } = await stored(10_000, project);
  for (let i = 51; i <= 10_000; i++) source.delete(`A-${i}`);
  source.count = async () => 10_000; // the approximate count still remembers them
  const message = await refused(t, remote, source, project);
  t.match(message, /^deletion refused: the run would delete 9,950 of 10,000 stored issues; Jira enumerated 50, its approximate count is 10,000;/);
  t.match(message, /Nothing was committed\. Check the Jira credentials .* set spec\.deletionPolicy\.confirmDeletion: 9950\. See docs\/deletion-guard\.md\./);
});

t.test('a batch sync whose named keys are all missing deletes nothing', async (t) => {
  const batch = syncSpec('batch', { issueKeys: ['A-1', 'A-2'] });
  const { remote, source } = await stored(5, batch);
  t.equal(storedKeys(remote), 2);
  source.issues.clear();
  const { result } = await syncOnce(remote, source, batch, { now: LATER(1) });
  t.match(result, { removed: 0, failedIssues: 2 }, 'missing named keys are failures that keep their files');
  t.equal(storedKeys(remote), 2);
  const renamed = syncSpec('batch', { issueKeys: ['B-1', 'B-2'] });
  t.match(await refused(t, remote, source, renamed), /would delete 2 of 2 stored issues; Jira returned none of the issues the spec names/);
  const overlapping = syncSpec('batch', { issueKeys: ['A-1', 'B-1'] });
  t.match(await refused(t, remote, source, overlapping), /would delete 1 of 2 stored issues; Jira returned none of the issues the spec names/, 'even when a missing named key keeps its file');
});

t.test('a batch sync whose key list changed deletes the keys it no longer names', async (t) => {
  const { remote, source } = await stored(5, syncSpec('batch', { issueKeys: ['A-1', 'A-2'] }));
  const { result } = await syncOnce(remote, source, syncSpec('batch', { issueKeys: ['A-2', 'A-3'] }), { now: LATER(1) });
  t.match(result, { added: 1, removed: 1 });
  t.equal(storedKeys(remote), 2);
});

t.test('an epic sync whose epic is gone (or invisible) deletes nothing', async (t) => {
  const remote = new FakeRemote();
  const parent = { key: 'A-1', issuetype: 'Epic', hierarchyLevel: 1 };
  const source = new FakeIssueSource([{ key: 'A-1', issuetype: 'Epic', hierarchyLevel: 1 }, { key: 'A-2', parent }, { key: 'A-3', parent }]);
  const epic = syncSpec('epic', { epicKey: 'A-1' });
  await syncOnce(remote, source, epic, { now: NOW });
  t.equal(storedKeys(remote), 3);
  source.delete('A-3');
  const { result } = await syncOnce(remote, source, epic, { now: LATER(1) });
  t.match(result, { removed: 1 }, 'a child that left is removed while the epic is there');
  source.issues.clear();
  t.match(await refused(t, remote, source, epic, { now: LATER(2) }), /would delete 1 of 2 stored issues; Jira returned none of the issues the spec names/);
  t.equal(storedKeys(remote), 2);
});

t.test('a deletionPolicy change re-runs the sync (configHash) but keeps the incremental cursor (scopeHash)', async (t) => {
  const spec = syncSpec('incremental', { projectKey: 'A' });
  const confirmed = withPolicy(spec, { confirmDeletion: 12 });
  t.not(configHash(confirmed), configHash(spec));
  t.equal(scopeHash(confirmed), scopeHash(spec));
  t.equal(configHash({ ...spec, deletionPolicy: undefined }), configHash(spec), 'objects without the field keep their hash');
});

// The incremental deletion scan.
const incremental = syncSpec('incremental', { projectKey: 'A' });

t.test('the deletion scan asks Jira for its approximate count once', async (t) => {
  const { remote, source } = await stored(20, incremental);
  const { calls } = await syncOnce(remote, source, incremental, { now: LATER(1), fullScan: true });
  t.same(calls.map((c) => c.method), ['timeZone', 'count', 'enumerate', 'search']);
});

t.test('a deletion scan that sees nothing is refused and the cursor stays', async (t) => {
  const { remote, source } = await stored(20, incremental);
  const state = remote.files()['.jirasync/state.json'];
  source.issues.clear();
  t.match(await refused(t, remote, source, incremental, { now: LATER(1), fullScan: true }), /would delete 20 of 20 stored issues; Jira enumerated 0/);
  t.equal(remote.files()['.jirasync/state.json'], state);
  const quiet = await syncOnce(remote, source, incremental, { now: LATER(2) });
  t.equal(quiet.result.fullScan, false, 'an incremental run without a scan still works (it deletes nothing)');
});

t.test('a deletion scan whose enumeration stops early is refused', async (t) => {
  const { remote, source } = await stored(100, incremental);
  source.enumeratePage = 40;
  source.enumeratePageLimit = 1;
  t.match(await refused(t, remote, source, incremental, { now: LATER(1), fullScan: true }), /would delete \d+ of 100 stored issues; Jira enumerated 40, its approximate count is 100/);
});

t.test('a deletion scan that would delete more than the limit is refused until confirmed', async (t) => {
  const { remote, source } = await stored(20, incremental);
  for (let i = 1; i <= 14; i++) source.delete(`A-${i}`);
  t.match(await refused(t, remote, source, incremental, { now: LATER(1), fullScan: true }), /would delete 14 of 20 .*maxDeletePercent \(50%\)/);
  const { result } = await syncOnce(remote, source, withPolicy(incremental, { confirmDeletion: 14 }), { now: LATER(2), fullScan: true });
  t.match(result, { removed: 14, fullScan: true });
  t.equal(storedKeys(remote), 6);
});

t.test('a deletion scan below the limit deletes as before', async (t) => {
  const { remote, source } = await stored(20, incremental);
  source.delete('A-4');
  const { result } = await syncOnce(remote, source, incremental, { now: LATER(1), fullScan: true });
  t.match(result, { removed: 1, fullScan: true });
  t.equal(storedKeys(remote), 19);
});
