import t from 'tap';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { GitInvalidTargetError } from '../../controller/git/git.ts';
import { describe, gitHarness } from './harness.ts';

const h = await gitHarness(t);

t.test('the first sync into an empty repository creates the branch with one commit of files and symlinks', async (t) => {
  const { name, url, target } = await h.repo();
  const co = await h.destination().open(target);
  t.equal(co.baseCommit, undefined, 'an empty repository has no base');
  t.same(await co.listDir(''), []);
  t.equal(await co.readFile('projects/P/issues/P-1.yaml'), undefined);
  await co.writeFile('projects/P/issues/P-1.yaml', 'key: P-1\nsummary: first\n');
  await co.writeFile('projects/P/issues/P-2.yaml', new TextEncoder().encode('key: P-2\nsummary: "second: ü 😀"\n'));
  await co.writeSymlink('projects/P/relationships/blocks/P-1/P-2', '../../../issues/P-2.yaml');
  await co.writeSymlink('projects/P/relationships/subtasks/P-1/P-2', '../../../issues/P-2.yaml');
  let seen: unknown;
  const res = await co.commitAndPush((diff) => {
    seen = diff;
    return describe(diff);
  });
  const expected = {
    added: [
      'projects/P/issues/P-1.yaml',
      'projects/P/issues/P-2.yaml',
      'projects/P/relationships/blocks/P-1/P-2',
      'projects/P/relationships/subtasks/P-1/P-2',
    ],
    modified: [],
    removed: [],
  };
  t.same(res.diff, expected);
  t.same(seen, expected, 'the message callback saw the same diff');
  t.equal(res.pushRetries, 0);
  t.equal(res.commit, await h.tip(name), 'the remote branch points at the new commit');

  const c = await h.clone(url, 'main');
  t.equal((await c.git('rev-list', '--count', 'HEAD')).trim(), '1');
  t.equal((await c.git('log', '-1', '--format=%an <%ae>|%cn <%ce>|%P')).trim(), 'JIRASync Bot <jirasync@example.test>|JIRASync Bot <jirasync@example.test>|');
  t.equal((await c.git('log', '-1', '--format=%B')).trim(), describe(expected));
  const tree = await c.git('ls-tree', '-r', 'HEAD');
  t.match(tree, /^120000 blob [0-9a-f]{40}\tprojects\/P\/relationships\/blocks\/P-1\/P-2$/m);
  t.match(tree, /^100644 blob [0-9a-f]{40}\tprojects\/P\/issues\/P-1\.yaml$/m);
  const link = join(c.dir, 'projects/P/relationships/blocks/P-1/P-2');
  t.ok((await lstat(link)).isSymbolicLink());
  t.equal(await readlink(link), '../../../issues/P-2.yaml');
  t.equal(await readFile(link, 'utf8'), 'key: P-2\nsummary: "second: ü 😀"\n', 'the symlink resolves inside the checkout');
  t.equal(await c.git('fsck', '--strict', '--no-progress'), '');
});

t.test('an empty repository whose HEAD names another branch gets the configured branch created', async (t) => {
  const { name, url, target } = await h.repo({ defaultBranch: 'trunk', branch: 'jira' });
  const co = await h.destination().open(target);
  t.equal(co.baseCommit, undefined);
  await co.writeFile('a.yaml', 'a: 1\n');
  const res = await co.commitAndPush(describe);
  t.equal(await h.tip(name, 'jira'), res.commit);
  t.equal(await h.tip(name, 'trunk'), '', 'the branch HEAD names is still unborn');
  const c = await h.clone(url, 'jira');
  t.equal(await readFile(join(c.dir, 'a.yaml'), 'utf8'), 'a: 1\n');
});

t.test('a new branch in a repository with history starts from an empty tree and leaves other branches alone', async (t) => {
  const { name, url, target } = await h.repo({ seed: { 'README.md': 'main branch\n' } });
  const mainBefore = await h.tip(name, 'main');
  const co = await h.destination().open({ ...target, branch: 'jira/mirror' });
  t.equal(co.baseCommit, undefined, 'a missing branch has no base');
  await co.writeFile('x.yaml', 'x\n');
  const res = await co.commitAndPush(describe);
  t.equal(await h.tip(name, 'jira/mirror'), res.commit);
  t.equal(await h.tip(name, 'main'), mainBefore);
  const c = await h.clone(url, 'jira/mirror');
  t.equal((await c.git('ls-tree', '-r', '--name-only', 'HEAD')).trim(), 'x.yaml');
  t.equal((await c.git('log', '-1', '--format=%P')).trim(), '', 'a root commit');
});

t.test('files it does not own survive, and removing a directory removes everything under it', async (t) => {
  const { name, url, target } = await h.repo({
    seed: {
      'README.md': 'keep me\n',
      'other-sync/issues/O-1.yaml': 'key: O-1\n',
      'projects/P/issues/P-1.yaml': 'key: P-1\n',
      'projects/P/issues/P-2.yaml': 'key: P-2\n',
    },
    seedSymlinks: { 'projects/P/relationships/blocks/P-1/P-2': '../../../issues/P-2.yaml' },
  });
  const before = await h.tip(name);
  const co = await h.destination().open(target);
  t.equal(co.baseCommit, before);
  t.same(await co.listDir('projects/P'), [
    { name: 'issues', type: 'dir' },
    { name: 'relationships', type: 'dir' },
  ]);
  t.same(await co.listDir('projects/P/relationships/blocks/P-1'), [{ name: 'P-2', type: 'symlink' }]);
  t.equal(Buffer.from((await co.readFile('projects/P/relationships/blocks/P-1/P-2'))!).toString(), '../../../issues/P-2.yaml');
  t.equal(Buffer.from((await co.readFile('projects/P/issues/P-1.yaml'))!).toString(), 'key: P-1\n');
  t.equal(await co.readFile('projects/P/issues'), undefined, 'a directory is not a file');

  co.remove('projects/P/relationships');
  co.remove('projects/P/issues/P-2.yaml');
  await co.writeFile('projects/P/issues/P-1.yaml', 'key: P-1\nsummary: changed\n');
  await co.writeFile('projects/P/issues/P-3.yaml', 'key: P-3\n');
  const res = await co.commitAndPush(describe);
  t.same(res.diff, {
    added: ['projects/P/issues/P-3.yaml'],
    modified: ['projects/P/issues/P-1.yaml'],
    removed: ['projects/P/issues/P-2.yaml', 'projects/P/relationships/blocks/P-1/P-2'],
  });
  const c = await h.clone(url);
  t.equal((await c.git('log', '-1', '--format=%P')).trim(), before, 'the commit builds on the previous tip');
  t.same((await c.git('ls-tree', '-r', '--name-only', 'HEAD')).trim().split('\n'), [
    'README.md',
    'other-sync/issues/O-1.yaml',
    'projects/P/issues/P-1.yaml',
    'projects/P/issues/P-3.yaml',
  ]);
  t.equal(await c.git('fsck', '--strict', '--no-progress'), '');
});

t.test('writing every file again with the same content makes no commit and no push', async (t) => {
  const seed = { 'projects/P/issues/P-1.yaml': 'key: P-1\n', 'projects/P/issues/P-2.yaml': 'key: P-2\n' };
  const { name, target } = await h.repo({ seed, seedSymlinks: { 'projects/P/relationships/epic/P-1/P-2': '../../../issues/P-2.yaml' } });
  const before = await h.tip(name);
  const co = await h.destination().open(target);
  for (const [p, c] of Object.entries(seed)) await co.writeFile(p, c);
  await co.writeSymlink('projects/P/relationships/epic/P-1/P-2', '../../../issues/P-2.yaml');
  co.remove('projects/P/does-not-exist');
  const pushesBefore = h.server.requests.filter((r) => r.path.endsWith('receive-pack')).length;
  let called = false;
  const res = await co.commitAndPush(() => {
    called = true;
    return 'x';
  });
  t.equal(res.commit, undefined);
  t.same(res.diff, { added: [], modified: [], removed: [] });
  t.notOk(called, 'no message is made for no commit');
  t.equal(await h.tip(name), before);
  t.equal(h.server.requests.filter((r) => r.path.endsWith('receive-pack')).length, pushesBefore, 'nothing was sent to receive-pack');
});

t.test('nothing staged in an empty repository makes no commit', async (t) => {
  const { name, target } = await h.repo();
  const co = await h.destination().open(target);
  const res = await co.commitAndPush(describe);
  t.equal(res.commit, undefined);
  t.equal(await h.tip(name), '');
});

t.test('untouched subtrees keep their ids; only the trees on changed paths are rewritten', async (t) => {
  const { name, target } = await h.repo({
    seed: { 'projects/A/issues/A-1.yaml': 'a1\n', 'projects/A/issues/A-2.yaml': 'a2\n', 'projects/B/issues/B-1.yaml': 'b1\n', 'top.txt': 't\n' },
  });
  const treeIds = async () => {
    const out = await h.bare(name, 'ls-tree', '-r', '-t', 'main');
    return new Map(out.trim().split('\n').map((l) => [l.split('\t')[1], l.split(/\s+/)[2]]));
  };
  const before = await treeIds();
  const co = await h.destination().open(target);
  await co.writeFile('projects/A/issues/A-2.yaml', 'a2 changed\n');
  await co.commitAndPush(describe);
  const after = await treeIds();
  t.equal(after.get('projects/B'), before.get('projects/B'), 'projects/B is reused');
  t.equal(after.get('projects/B/issues/B-1.yaml'), before.get('projects/B/issues/B-1.yaml'));
  t.equal(after.get('projects/A/issues/A-1.yaml'), before.get('projects/A/issues/A-1.yaml'));
  t.not(after.get('projects/A/issues'), before.get('projects/A/issues'));
  t.not(after.get('projects'), before.get('projects'));
  const objects = (await h.bare(name, 'rev-list', '--objects', 'main~1..main')).trim().split('\n');
  t.equal(objects.length, 6, 'the commit brought one blob and the four trees on its path');
});

t.test('a path removed and then written keeps only what was written after the removal', async (t) => {
  const { url, target } = await h.repo({ seed: { 'd/old1': '1\n', 'd/old2': '2\n', 'e/keep': 'k\n', f: 'file\n' } });
  const co = await h.destination().open(target);
  co.remove('d');
  await co.writeFile('d/new', 'n\n');
  await co.writeFile('d/old2', '2\n');
  // A file replaced by a directory, and a directory by a file.
  await co.writeFile('f/inside', 'i\n');
  await co.writeFile('e', 'now a file\n');
  const res = await co.commitAndPush(describe);
  t.same(res.diff, { added: ['d/new', 'e', 'f/inside'], modified: [], removed: ['d/old1', 'e/keep', 'f'] });
  const c = await h.clone(url);
  t.same((await c.git('ls-tree', '-r', '--name-only', 'HEAD')).trim().split('\n'), ['d/new', 'd/old2', 'e', 'f/inside']);
  t.equal(await c.git('fsck', '--strict', '--no-progress'), '');
});

t.test('names that sort differently as bytes and as text still make trees git accepts', async (t) => {
  const { url, target } = await h.repo();
  const co = await h.destination().open(target);
  const names = ['a', 'a.b', 'a-b', 'a0', 'a_b', 'B', 'ü.yaml', 'z😀.yaml', 'z\uE000.yaml', 'zz', 'has space.yaml'];
  for (const n of names) await co.writeFile(n === 'a' ? 'a/inner' : n, `${n}\n`);
  await co.writeFile('a.b/c', 'dir a.b would clash with file a.b\n').catch(() => {});
  await co.commitAndPush(describe);
  const c = await h.clone(url);
  t.equal(await c.git('fsck', '--strict', '--no-progress'), '', 'tree entries are in git order');
  const listed = (await c.git('-c', 'core.quotePath=false', 'ls-tree', '-r', '--name-only', 'HEAD')).trim().split('\n');
  t.ok(listed.includes('z😀.yaml') && listed.includes('a.b/c') && listed.includes('has space.yaml'));
});

t.test('invalid paths are refused with a clear error', async (t) => {
  const { target } = await h.repo();
  const co = await h.destination().open(target);
  for (const bad of ['../x', '/abs', 'a//b', '.git/config', 'a/.GIT/x', 'a/./b', '']) {
    await t.rejects(co.writeFile(bad, 'x'), GitInvalidTargetError, JSON.stringify(bad));
  }
  t.throws(() => co.remove('a/../b'), GitInvalidTargetError);
});

t.test('a checkout is committed once', async (t) => {
  const { target } = await h.repo();
  const co = await h.destination().open(target);
  await co.writeFile('a', 'a\n');
  await co.commitAndPush(describe);
  await t.rejects(co.commitAndPush(describe), /already committed/);
  await t.rejects(co.writeFile('b', 'b\n'), /already committed/);
});
