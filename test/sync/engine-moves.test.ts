/**
 * Moves within the scope (PROJ-1 becomes OPS-5, same Jira id): the old file goes in the same run
 * that writes the new one, relationship symlinks follow, and the deletion guard does not count a
 * move as a loss. Over the in-memory fakes.
 */
import t, { type Test } from 'tap';
import type { JIRASyncSpec } from '../../controller/api/jirasync.ts';
import { FakeRemote } from '../fixtures/fake-checkout.ts';
import { FakeIssueSource } from '../fixtures/fake-issue-source.ts';
import type { IssueSpec } from '../fixtures/jira-issues.ts';
import { syncOnce, syncSpec } from '../fixtures/sync-harness.ts';

const SCOPE = 'project in (A, B)';
const NOW = new Date('2024-03-02T00:00:00Z');
const LATER = (h: number) => new Date(NOW.getTime() + h * 3_600_000);

function issues(n: number): IssueSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `A-${i + 1}`,
    updated: new Date(Date.parse('2024-02-28T10:00:00Z') - (n - 1 - i) * 3_600_000).toISOString().replace('Z', '+0000'),
  }));
}

async function primed(spec: JIRASyncSpec, n = 20) {
  const remote = new FakeRemote();
  const source = new FakeIssueSource(issues(n));
  source.defineJql(SCOPE, (i) => /^[AB]-/.test(i.key));
  source.link('A-2', 'blocks', 'A-3');
  await syncOnce(remote, source, spec, { now: NOW });
  return { remote, source };
}

/** Jira moves `from` to `to`: same id and fields, new key; linked issues name the new key. */
function move(source: FakeIssueSource, from: string, to: string, opts: { touchLinked?: boolean } = {}): void {
  const old = source.issues.get(from);
  if (!old) throw new Error(`no ${from}`);
  source.delete(from);
  source.put({ id: old.id, key: to, fields: { ...old.fields, updated: source.tick() } });
  for (const other of source.issues.values()) {
    const links = (other.fields.issuelinks as { outwardIssue?: { key: string }; inwardIssue?: { key: string } }[] | undefined) ?? [];
    if (!links.some((l) => l.outwardIssue?.key === from || l.inwardIssue?.key === from)) continue;
    const renamed = links.map((l) => ({
      ...l,
      ...(l.outwardIssue?.key === from ? { outwardIssue: { key: to } } : {}),
      ...(l.inwardIssue?.key === from ? { inwardIssue: { key: to } } : {}),
    }));
    if (opts.touchLinked) source.touch(other.key, { issuelinks: renamed });
    else other.fields = { ...other.fields, issuelinks: renamed };
  }
}

const paths = (remote: FakeRemote) => Object.keys(remote.files());

function movedCleanly(t: Test, remote: FakeRemote): void {
  const files = remote.files();
  t.same(paths(remote).filter((p) => /A-3\b/.test(p)), [], 'no file or symlink of the old key is left');
  t.ok(files['projects/B/issues/B-7.yaml'], 'the issue is stored under its new key');
  const links = paths(remote).filter((p) => p.includes('/relationships/blocks/') && p.includes('B-7'));
  t.equal(links.length, 1, `the blocks symlink follows the move (${links.join(', ')})`);
  t.match(files[links[0]], /B-7\.yaml$/);
}

t.test('a full sync removes the old file of an issue moved within the scope in the same commit', async (t) => {
  const spec = syncSpec('jql', { jqlQuery: SCOPE });
  const { remote, source } = await primed(spec);
  const commits = remote.commits.length;
  move(source, 'A-3', 'B-7');
  const { result } = await syncOnce(remote, source, spec, { now: LATER(1) });
  t.match(result, { added: 1, removed: 1 });
  t.equal(remote.commits.length, commits + 1, 'one commit');
  movedCleanly(t, remote);
  t.match(remote.files()['.jirasync/ids/13.txt'], /^10003 B-7$/m, 'the id index follows the move');
});

t.test('an incremental run removes the old file of a moved issue without a deletion scan, within 2 Jira requests', async (t) => {
  const spec = syncSpec('incremental', { jqlQuery: SCOPE });
  const { remote, source } = await primed(spec, 300);
  move(source, 'A-3', 'B-7');
  const reads = remote.stats.readFile;
  const { result, calls } = await syncOnce(remote, source, spec, { now: LATER(1) });
  t.equal(result.fullScan, false);
  t.match(result, { added: 1, removed: 1 });
  t.same(calls.map((c) => c.method), ['timeZone', 'search']);
  t.ok(remote.stats.readFile - reads <= 12, `reads grow with the change, not the repository (${remote.stats.readFile - reads})`);
  movedCleanly(t, remote);
  t.match(remote.files()['.jirasync/ids/13.txt'], /^10003 B-7$/m);
});

t.test('an incremental run follows a move whose linked issue was refetched too', async (t) => {
  const spec = syncSpec('incremental', { jqlQuery: SCOPE });
  const { remote, source } = await primed(spec);
  move(source, 'A-3', 'B-7', { touchLinked: true });
  const { result } = await syncOnce(remote, source, spec, { now: LATER(1) });
  t.match(result, { added: 1, updated: 1, removed: 1 });
  movedCleanly(t, remote);
});

t.test('a new issue whose id is not in the index removes nothing', async (t) => {
  const spec = syncSpec('incremental', { jqlQuery: SCOPE });
  const { remote, source } = await primed(spec);
  source.put({ key: 'B-1', id: '99999', updated: source.tick() });
  const { result } = await syncOnce(remote, source, spec, { now: LATER(1) });
  t.match(result, { added: 1, removed: 0 });
  t.match(remote.files()[`.jirasync/ids/${(99999 % 256).toString(16)}.txt`], /^99999 B-1$/m, 'it joins the index');
});

t.test('a mass move is not a mass deletion: the guard lets it through, in full and incremental runs', async (t) => {
  for (const spec of [syncSpec('jql', { jqlQuery: SCOPE }), syncSpec('incremental', { jqlQuery: SCOPE })]) {
    const { remote, source } = await primed(spec);
    for (let i = 1; i <= 15; i++) move(source, `A-${i}`, `B-${100 + i}`);
    const { result } = await syncOnce(remote, source, spec, { now: LATER(1), fullScan: true });
    t.match(result, { added: 15, removed: 15 }, spec.syncType);
    t.equal(paths(remote).filter((p) => /projects\/A\/issues\//.test(p)).length, 5);
  }
});

t.test('a branch written before the id index learns it from its next deletion scan', async (t) => {
  const spec = syncSpec('incremental', { jqlQuery: SCOPE });
  const { remote, source } = await primed(spec);
  // Rewrite history as an older controller would have left it: no .jirasync/ids/.
  const tip = remote.tip;
  if (!tip) throw new Error('no commit');
  for (const p of [...tip.tree.keys()]) if (p.startsWith('.jirasync/ids/')) tip.tree.delete(p);
  const scan = await syncOnce(remote, source, spec, { now: LATER(1), fullScan: true });
  t.ok(scan.result.commit, 'the scan commits the index');
  t.ok(remote.files()['.jirasync/ids/13.txt']);
  move(source, 'A-3', 'B-7');
  await syncOnce(remote, source, spec, { now: LATER(2) });
  movedCleanly(t, remote);
});
