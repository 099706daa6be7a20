import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MODES, objectId, parseTree, serializeCommit, serializeTree, type Tree } from '../../controller/git/objects.ts';
import { PackStaging, verifyPacks, writePack, installPack } from '../../controller/git/pack/pack.ts';
import { PackReader } from '../../controller/git/pack/pack-reader.ts';
import { parseAdvertisement, parseReport, pktLine, FLUSH } from '../../controller/git/protocol.ts';
import { hermeticGitEnv } from '../git-server/server.ts';

const run = promisify(execFile);
const env = hermeticGitEnv();

async function bareRepo(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jirasync-objects-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await run('git', ['init', '--quiet', '--bare', dir], { env });
  return dir;
}

async function gitIn(dir: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', ['--git-dir', dir, ...args], { env, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(new Error(`${args[0]}: ${stderr}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

t.test('blob and tree ids match what git computes, including git tree order', async (t) => {
  const dir = await bareRepo(t);
  const names = ['a', 'a.b', 'a-b', 'a0', 'a_b', 'B', 'ü', 'z😀', 'z\uE000', 'sp ace', 'x'];
  const tree: Tree = new Map();
  for (const n of names) {
    const content = Buffer.from(`${n}\n`);
    const oid = (await gitIn(dir, ['hash-object', '-w', '--stdin'], `${n}\n`)).trim();
    t.equal(objectId('blob', content), oid, `blob ${n}`);
    tree.set(n, { mode: n === 'x' ? MODES.symlink : MODES.file, oid });
  }
  // 'a' as a directory sorts as 'a/', after 'a.b' and 'a-b' but before 'a0'.
  const sub = (await gitIn(dir, ['mktree'], `100644 blob ${tree.get('B')!.oid}\tinner\n`)).trim();
  tree.set('a', { mode: MODES.tree, oid: sub });
  const listing = [...tree].map(([n, e]) => `${e.mode === MODES.tree ? '040000 tree' : `${e.mode} blob`} ${e.oid}\t${n}`).join('\n');
  const gitTree = (await gitIn(dir, ['mktree'], `${listing}\n`)).trim();
  const ours = serializeTree(tree);
  t.equal(objectId('tree', ours), gitTree, 'same tree id as git mktree');
  t.same([...parseTree(ours).keys()], (await gitIn(dir, ['ls-tree', '--name-only', '-z', gitTree])).split('\0').filter(Boolean));
  t.equal(objectId('tree', Buffer.alloc(0)), '4b825dc642cb6eb9a060e54bf8d69288fbee4904');
});

t.test('a commit object is what git commit-tree writes for the same tree, parent, identity and time', async (t) => {
  const dir = await bareRepo(t);
  const tree = (await gitIn(dir, ['mktree'], '')).trim();
  const who = { name: 'A <Bot>', email: 'a@example.test', timestamp: 1700000000 };
  const id = async (parents: string[], message: string) => {
    const content = serializeCommit({ tree, parents, author: who, committer: who, message });
    return objectId('commit', content);
  };
  const e = { ...env, GIT_AUTHOR_NAME: 'A Bot', GIT_AUTHOR_EMAIL: 'a@example.test', GIT_AUTHOR_DATE: '1700000000 +0000', GIT_COMMITTER_NAME: 'A Bot', GIT_COMMITTER_EMAIL: 'a@example.test', GIT_COMMITTER_DATE: '1700000000 +0000' };
  const commitTree = (args: string[]) => promisify(execFile)('git', ['--git-dir', dir, 'commit-tree', ...args], { env: e }).then((r) => r.stdout.trim());
  const root = await commitTree([tree, '-m', 'first line\n\nbody']);
  t.equal(await id([], 'first line\n\nbody\n\n'), root, 'trailing whitespace is trimmed to one newline, brackets stripped from the name');
  t.equal(await id([root], 'second'), await commitTree([tree, '-p', root, '-m', 'second']));
});

t.test('a written pack and index (objects deflated inline and in the worker) are exactly what git index-pack makes, and git reads every object', async (t) => {
  const dir = await bareRepo(t);
  const staging = await PackStaging.create(join(dir, 'objects/pack/tmp_stage'));
  const tree: Tree = new Map();
  const big = Buffer.alloc(300_000, 'abcdefghij'); // several size bytes and zlib chunks
  for (let i = 0; i < 300; i++) {
    const c = i === 7 ? big : Buffer.from(`key: P-${i}\n`);
    const oid = objectId('blob', c);
    await staging.add('blob', c, oid);
    await staging.add('blob', c, oid); // staged once per id
    tree.set(`P-${i}.yaml`, { mode: MODES.file, oid });
  }
  t.equal(staging.count, 300);
  const content = serializeTree(tree);
  const treeId = objectId('tree', content);
  const commit = serializeCommit({ tree: treeId, parents: [], author: { name: 'a', email: 'a@b', timestamp: 1 }, committer: { name: 'a', email: 'a@b', timestamp: 1 }, message: 'm' });
  const commitId = objectId('commit', commit);
  // Only some staged entries go in, as a push after a replay would choose.
  await staging.flush();
  const chosen = [...tree.values()].slice(0, 299).map((e) => staging.get(e.oid)!);
  const lastBlob = [...tree.values()][299];
  const lastContent = Buffer.from('key: P-299\n');
  const pack = await writePack(join(dir, 'objects/pack/tmp_pack'), staging, chosen, [
    { type: 'blob', content: lastContent, oid: lastBlob.oid },
    { type: 'tree', content, oid: treeId },
    { type: 'commit', content: commit, oid: commitId },
  ]);
  await staging.close();
  t.equal(pack.count, 302);
  await installPack(dir, pack);
  const base = join(dir, 'objects/pack', `pack-${pack.sha}`);
  await gitIn(dir, ['index-pack', '-o', join(dir, 'git.idx'), `${base}.pack`]);
  t.ok((await readFile(join(dir, 'git.idx'))).equals(await readFile(`${base}.idx`)), 'byte-identical .idx');
  await rm(join(dir, 'git.idx'));
  await gitIn(dir, ['update-ref', 'refs/heads/main', commitId]);
  t.equal(await gitIn(dir, ['fsck', '--strict', '--full', '--no-progress']), '');
  t.equal(await gitIn(dir, ['cat-file', '-p', `main:P-7.yaml`]), big.toString());
  t.equal(await verifyPacks(join(dir, 'objects/pack')), undefined, 'our own verification agrees');
  const bytes = await readFile(`${base}.pack`);
  bytes[100] ^= 1;
  await writeFile(`${base}.pack`, bytes);
  t.match(await verifyPacks(join(dir, 'objects/pack')), /pack checksum mismatch/);
});

t.test('ref advertisements parse with and without refs', async (t) => {
  const caps = 'report-status delete-refs side-band-64k quiet ofs-delta agent=git/2.39.5';
  const empty = Buffer.concat([pktLine('# service=git-receive-pack\n'), FLUSH, pktLine(`${'0'.repeat(40)} capabilities^{}\0${caps}\n`), FLUSH]);
  const e = parseAdvertisement(empty);
  t.equal(e.refs.size, 0);
  t.ok(e.capabilities.has('side-band-64k'));
  const a = '1'.repeat(40);
  const b = '2'.repeat(40);
  const full = Buffer.concat([pktLine(`${a} HEAD\0${caps} symref=HEAD:refs/heads/main\n`), pktLine(`${a} refs/heads/main\n`), pktLine(`${b} refs/heads/jira/x\n`), FLUSH]);
  const f = parseAdvertisement(full);
  t.same([...f.refs], [['HEAD', a], ['refs/heads/main', a], ['refs/heads/jira/x', b]]);
  t.ok(f.capabilities.has('report-status'));
  t.throws(() => parseAdvertisement(Buffer.from('<html>')), /malformed pkt-line|unexpected/);
});

t.test('push reports parse into unpack status and per-ref results', async (t) => {
  const ok = parseReport(Buffer.concat([pktLine('unpack ok\n'), pktLine('ok refs/heads/main\n'), FLUSH]));
  t.same(ok, { unpackOk: true, refs: new Map([['refs/heads/main', undefined]]) });
  const ng = parseReport(Buffer.concat([pktLine('unpack ok\n'), pktLine('ng refs/heads/main pre-receive hook declined\n'), FLUSH]));
  t.equal(ng.refs.get('refs/heads/main'), 'pre-receive hook declined');
  const bad = parseReport(Buffer.concat([pktLine('unpack index-pack abnormal exit\n'), FLUSH]));
  t.same([bad.unpackOk, bad.unpackError], [false, 'index-pack abnormal exit']);
});

t.test('the pack reader reads every object of packs git made, ofs and ref deltas included', async (t) => {
  const dir = await bareRepo(t);
  const work = await mkdtemp(join(tmpdir(), 'jirasync-objects-work-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  const g = (args: string[]) => promisify(execFile)('git', ['--git-dir', dir, '--work-tree', work, ...args], { env, maxBuffer: 64 << 20 }).then((r) => r.stdout);
  // Similar files in several versions make git store most of them as deltas.
  const body = Array.from({ length: 200 }, (_, i) => `line ${i}: the same text every time\n`).join('');
  for (let v = 0; v < 3; v++) {
    for (let i = 0; i < 40; i++) await writeFile(join(work, `f${i}.yaml`), `version: ${v}\nid: ${i}\n${body}`);
    await g(['add', '.']);
    await g(['commit', '--quiet', '-m', `v${v}`]);
  }
  const all = (await g(['rev-list', '--objects', '--all'])).trim().split('\n').map((l) => l.slice(0, 40));
  for (const [label, flags] of [['ofs', ['--delta-base-offset']], ['ref', []]] as const) {
    const packDir = join(dir, `objects/pack-${label}`);
    await mkdir(packDir);
    await new Promise<void>((resolve, reject) => {
      const child = execFile('git', ['--git-dir', dir, 'pack-objects', '--quiet', ...flags, join(packDir, 'pack')], { env }, (err) => (err ? reject(err) : resolve()));
      child.stdin?.end(`${all.join('\n')}\n`);
    });
    const stats = await g(['verify-pack', '-v', ...(await readdir(packDir)).filter((f) => f.endsWith('.idx')).map((f) => join(packDir, f))]);
    t.match(stats, /chain length = \d+: \d+ objects?/, `${label}: git stored deltas`);
    const reader = new PackReader(packDir);
    await reader.refresh();
    for (const oid of all) {
      const o = await reader.read(oid);
      const type = (await g(['cat-file', '-t', oid])).trim();
      if (!o) {
        t.fail(`${label}: ${oid} not found`);
        continue;
      }
      t.equal(o.type, type);
      if (type === 'blob') t.equal(o.content.toString(), await g(['cat-file', 'blob', oid]));
      else t.equal(objectId(o.type as 'tree' | 'commit', o.content), oid, `${label}: ${type} ${oid} hashes to its id`);
    }
    t.equal(await reader.read('0'.repeat(40)), undefined);
    await reader.close();
  }
});
