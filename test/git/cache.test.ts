import t from 'tap';
import { access, appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git, pushChange } from '../git-server/cli.ts';
import { hermeticGitEnv } from '../git-server/server.ts';
import { describe, gitHarness } from './harness.ts';

const h = await gitHarness(t);

const exists = (path: string) => access(path).then(() => true, () => false);
const since = (n: number) => h.server.requests.slice(n).map((r) => `${r.method} ${r.path.replace(/^\/[^/]+\.git/, '')}`);

t.test('a second run reuses the cache: one ref request and no fetch when the branch did not move', async (t) => {
  const { target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const dest = h.destination();
  const first = await dest.open(target);
  await first.writeFile('b.yaml', 'b\n');
  const { commit } = await first.commitAndPush(describe);
  const mark = h.server.requests.length;
  const second = await dest.open(target);
  t.equal(second.baseCommit, commit, 'the base is the commit the first run pushed');
  t.same(since(mark), ['GET /info/refs?service=git-upload-pack'], 'no upload-pack negotiation');
  t.equal(Buffer.from((await second.readFile('b.yaml'))!).toString(), 'b\n', 'objects the first run wrote read back from its pack');
});

t.test('a run after another writer pushed fetches the new tip and builds on it', async (t) => {
  const { name, url, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const dest = h.destination();
  const first = await dest.open(target);
  await first.writeFile('mine.yaml', '1\n');
  await first.commitAndPush(describe);
  const theirs = await pushChange(h.server, url, { branch: 'main', files: { 'theirs.yaml': 't\n' } });
  const mark = h.server.requests.length;
  const second = await dest.open(target);
  t.equal(second.baseCommit, theirs);
  t.ok(since(mark).includes('POST /git-upload-pack'), 'the new tip was fetched');
  t.equal(Buffer.from((await second.readFile('theirs.yaml'))!).toString(), 't\n');
  await second.writeFile('mine.yaml', '2\n');
  const res = await second.commitAndPush(describe);
  t.equal((await h.bare(name, 'log', '-1', '--format=%P', 'main')).trim(), theirs);
  t.equal(res.commit, await h.tip(name));
});

const corruptions: { name: string; damage: (dir: string) => Promise<void> }[] = [
  { name: 'pack files overwritten', damage: async (d) => { for (const f of await packs(d, '.pack')) await writeFile(f, 'garbage'); } },
  {
    name: 'one byte flipped inside a pack',
    damage: async (d) => {
      const [f] = await packs(d, '.pack');
      const b = await readFile(f);
      b[b.length - 30] ^= 0xff;
      await writeFile(f, b);
    },
  },
  { name: 'pack index truncated', damage: async (d) => { for (const f of await packs(d, '.idx')) await writeFile(f, Buffer.alloc(10)); } },
  { name: 'pack files deleted', damage: async (d) => { for (const f of await packs(d, '.pack')) await rm(f); } },
  { name: 'objects directory deleted', damage: (d) => rm(join(d, 'objects'), { recursive: true }) },
  { name: 'config is garbage', damage: (d) => writeFile(join(d, 'config'), '[[[ not a config') },
  { name: 'branch ref points at a missing commit', damage: (d) => writeFile(join(d, 'refs/heads/main'), `${'1'.repeat(40)}\n`) },
  { name: 'shallow file names unknown commits', damage: (d) => appendFile(join(d, 'shallow'), `${'2'.repeat(40)}\n`) },
  { name: 'HEAD deleted', damage: (d) => rm(join(d, 'HEAD')) },
];

async function packs(dir: string, ext: string): Promise<string[]> {
  return (await readdir(join(dir, 'objects/pack'))).filter((f) => f.endsWith(ext)).map((f) => join(dir, 'objects/pack', f));
}

t.test('a corrupt cache is rebuilt and the run goes on', async (t) => {
  // One repository and one other writer for every kind of damage, run after run.
  const { name, url, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const dest = h.destination();
  const first = await dest.open(target);
  await first.writeFile('b.yaml', 'b\n');
  await first.commitAndPush(describe);
  const writer = await h.clone(url, 'main');
  for (const [i, c] of corruptions.entries()) {
    // The other writer moves the branch too, so the damaged cache would also need a fetch.
    await writeFile(join(writer.dir, `w${i}.yaml`), `${i}\n`);
    await writer.git('pull', '--quiet', '--rebase');
    await writer.git('add', '.');
    await writer.git('commit', '--quiet', '-m', `writer ${i}`);
    await writer.git('push', '--quiet', 'origin', 'HEAD:main');
    const theirs = (await writer.git('rev-parse', 'HEAD')).trim();
    await c.damage(target.cacheDir);
    const co = await dest.open(target);
    t.equal(co.baseCommit, theirs, `${c.name}: the base is the remote tip`);
    t.ok((await co.listDir('')).some((e) => e.name === `w${i}.yaml`), `${c.name}: the tree reads`);
    await co.writeFile(`d${i}.yaml`, 'd\n');
    const res = await co.commitAndPush(describe);
    t.same(res.diff.added, [`d${i}.yaml`], `${c.name}: only the new file is added`);
    t.equal((await h.bare(name, 'log', '-1', '--format=%P', 'main')).trim(), theirs, `${c.name}: built on the remote tip`);
    const fsck = await git(['--git-dir', target.cacheDir, 'fsck', '--no-progress', '--no-dangling'], { env: hermeticGitEnv() });
    t.equal(fsck, '', `${c.name}: the cache is a sound repository again`);
  }
  t.equal(await h.bare(name, 'fsck', '--strict', '--no-progress'), '');
});

t.test('a missing cache directory, parents included, is created', async (t) => {
  const { target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const co = await h.destination().open({ ...target, cacheDir: join(target.cacheDir, 'deep', 'er') });
  t.ok(co.baseCommit);
});

t.test('a cache directory holding another repository is replaced', async (t) => {
  const one = await h.repo({ seed: { 'one.yaml': '1\n' } });
  const two = await h.repo({ seed: { 'two.yaml': '2\n' } });
  const dest = h.destination();
  await (await dest.open(one.target)).commitAndPush(describe);
  const co = await dest.open({ ...two.target, cacheDir: one.target.cacheDir });
  t.same((await co.listDir('')).map((e) => e.name), ['two.yaml']);
  await co.writeFile('more.yaml', 'm\n');
  await co.commitAndPush(describe);
  t.same((await h.bare(two.name, 'ls-tree', '--name-only', 'main')).trim().split('\n'), ['more.yaml', 'two.yaml']);
  t.same((await h.bare(one.name, 'ls-tree', '--name-only', 'main')).trim().split('\n'), ['one.yaml'], 'the first repository is untouched');
});

t.test('a cache that grew too many packs is cloned again and keeps working', async (t) => {
  const { name, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const dest = h.destination(undefined, { maxPacks: 2 });
  for (let i = 0; i < 4; i++) {
    const co = await dest.open(target);
    await co.writeFile('n.yaml', `${i}\n`);
    await co.commitAndPush(describe);
    t.ok((await packs(target.cacheDir, '.pack')).length <= 3, `run ${i}: the pack count stays bounded`);
  }
  t.equal((await h.bare(name, 'rev-list', '--count', 'main')).trim(), '5');
  await mkdir(target.cacheDir, { recursive: true });
});

t.test('a shared cache: the next sync of a branch finds the tip there; a busy one is not waited for', async (t) => {
  const { name, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const sharedCacheDir = join(await h.tempDir(), 'shared');
  const sync = async () => ({ ...target, cacheDir: join(await h.tempDir(), 'own'), sharedCacheDir });
  const dest = h.destination();
  const [one, two, three, four] = [await sync(), await sync(), await sync(), await sync()];

  const first = await dest.open(one);
  const second = await dest.open(two);
  t.ok(await exists(join(sharedCacheDir, 'HEAD')), 'the first checkout took the shared cache');
  t.ok(await exists(join(two.cacheDir, 'HEAD')), 'the second, opened while it was held, took its own');
  await first.writeFile('one.yaml', '1\n');
  const pushed = await first.commitAndPush(describe);
  await second.close();

  const mark = h.server.requests.length;
  const third = await dest.open(three);
  t.equal(third.baseCommit, pushed.commit, 'the base is the commit the first sync pushed');
  t.notOk(await exists(three.cacheDir), 'the third sync used the shared cache, not a clone of its own');
  await third.writeFile('three.yaml', '3\n');
  const res = await third.commitAndPush(describe);
  t.notOk(since(mark).includes('POST /git-upload-pack'), 'no fetch: the shared cache already held the tip');
  t.equal(res.commit, await h.tip(name));

  // A checkout given up without a commit (a failed run) gives the cache back too.
  await (await dest.open(three)).close();
  await (await dest.open(four)).close();
  t.notOk(await exists(four.cacheDir), 'after a closed checkout the shared cache is free again');
  t.same((await h.bare(name, 'ls-tree', '--name-only', 'main')).trim().split('\n'), ['a.yaml', 'one.yaml', 'three.yaml']);
});

t.test('a cache that many small pushes went through merges its small packs and reads every object back', async (t) => {
  const { name, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const dest = h.destination();
  for (let i = 0; i < 20; i++) {
    const co = await dest.open(target);
    await co.writeFile(`f/${i}.yaml`, `${i}\n`);
    await co.commitAndPush(describe);
  }
  const left = await packs(target.cacheDir, '.pack');
  t.ok(left.length <= 17, `the packs were merged (${left.length} left after 21 runs)`);
  const co = await dest.open(target);
  for (let i = 0; i < 20; i++) t.equal(Buffer.from((await co.readFile(`f/${i}.yaml`))!).toString(), `${i}\n`, `f/${i}.yaml reads back`);
  await co.close();
  t.equal(await git(['--git-dir', target.cacheDir, 'fsck', '--no-progress', '--no-dangling'], { env: hermeticGitEnv() }), '', 'git fsck finds the merged cache sound');
  t.equal((await h.bare(name, 'rev-list', '--count', 'main')).trim(), '21');
});

t.test('consecutive runs reuse the connection to the git host instead of a handshake each', async (t) => {
  const { target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const dest = h.destination();
  await (await dest.open(target)).close();
  const before = h.server.connections;
  for (let i = 0; i < 5; i++) {
    const co = await dest.open(target);
    await co.writeFile(`r${i}.yaml`, `${i}\n`);
    await co.commitAndPush(describe);
  }
  // A transport of its own per run opened at least one connection each: five.
  t.ok(h.server.connections - before <= 2, `five runs opened ${h.server.connections - before} new connection(s)`);
});
