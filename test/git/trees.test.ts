import t from 'tap';
import { EMPTY_TREE, MODES, isTreeMode, objectId, parseTree, type Tree, type TreeEntry } from '../../controller/git/objects.ts';
import { Stage } from '../../controller/git/stage.ts';
import { buildTree, type TreeSource } from '../../controller/git/trees.ts';

/** Trees in memory: what the sink was given, parsed back as the repository would read them. */
function memoryRepo() {
  const trees = new Map<string, Tree>([[EMPTY_TREE, new Map()]]);
  const src: TreeSource = {
    async tree(oid) {
      const tree = trees.get(oid);
      if (!tree) throw new Error(`no tree ${oid}`);
      return tree;
    },
  };
  const sink = async (oid: string, content: Buffer) => {
    trees.set(oid, parseTree(content));
  };
  return { src, sink };
}

/** Every file path under a root tree with its entry (the whole tree, as `git ls-tree -r`). */
async function files(src: TreeSource, root: string | undefined): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  async function walk(oid: string, prefix: string): Promise<void> {
    for (const [name, e] of await src.tree(oid)) {
      if (isTreeMode(e.mode)) await walk(e.oid, `${prefix}${name}/`);
      else out.set(prefix + name, e);
    }
  }
  if (root) await walk(root, '');
  return out;
}

const blob = (text: string) => objectId('blob', Buffer.from(text));

/** A small deterministic generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const NAMES = ['a', 'b', 'c', 'a.yaml', 'b-1', 'z'];

function randomPath(rnd: () => number): string {
  const depth = 1 + Math.floor(rnd() * 3);
  return Array.from({ length: depth }, () => NAMES[Math.floor(rnd() * NAMES.length)]).join('/');
}

function randomStage(rnd: () => number, ops: number): Stage {
  const stage = new Stage();
  for (let i = 0; i < ops; i++) {
    const r = rnd();
    const path = randomPath(rnd);
    if (r < 0.15) stage.remove(rnd() < 0.05 ? '' : path);
    else stage.setBlob(path, r < 0.3 ? MODES.symlink : MODES.file, blob(`${Math.floor(rnd() * 3)}`));
  }
  return stage;
}

t.test('the diff made during the build is the difference of the whole trees before and after', async (t) => {
  for (let seed = 1; seed <= 300; seed++) {
    const rnd = random(seed);
    const { src, sink } = memoryRepo();
    const first = await buildTree(randomStage(rnd, 12), undefined, src, sink);
    const base = first.root === EMPTY_TREE ? undefined : first.root;
    const second = await buildTree(randomStage(rnd, 8), base, src, sink);
    const before = await files(src, base);
    const after = await files(src, second.root);
    const expected = { added: [] as string[], modified: [] as string[], removed: [] as string[], newBlobs: new Set<string>() };
    for (const [path, e] of after) {
      const was = before.get(path);
      if (!was) expected.added.push(path);
      else if (was.oid !== e.oid || was.mode !== e.mode) expected.modified.push(path);
      else continue;
      expected.newBlobs.add(e.oid);
    }
    for (const path of before.keys()) if (!after.has(path)) expected.removed.push(path);
    expected.added.sort();
    expected.modified.sort();
    expected.removed.sort();
    if (JSON.stringify({ ...second.change, newBlobs: [...second.change.newBlobs].sort() }) !== JSON.stringify({ ...expected, newBlobs: [...expected.newBlobs].sort() })) {
      t.same(second.change, expected, `seed ${seed}`);
      return;
    }
  }
  t.pass('300 random pairs of stages agree');
});

t.test('each new tree goes to the sink once, and unchanged subtrees are not rebuilt', async (t) => {
  const { src, sink } = memoryRepo();
  const stage = new Stage();
  // Two equal directories are one tree object.
  stage.setBlob('rel/A-1/A-3', MODES.symlink, blob('x'));
  stage.setBlob('rel/A-2/A-3', MODES.symlink, blob('x'));
  stage.setBlob('issues/A-1.yaml', MODES.file, blob('1'));
  const sunk: string[] = [];
  const first = await buildTree(stage, undefined, src, async (oid, content) => {
    sunk.push(oid);
    await sink(oid, content);
  });
  t.equal(sunk.length, new Set(sunk).size, 'no tree is handed over twice');
  t.same([...first.trees].sort(), [...new Set(sunk)].sort());
  t.equal(first.trees.size, 4, 'root, rel, one shared A-x directory, issues');
  t.same(first.change.added, ['issues/A-1.yaml', 'rel/A-1/A-3', 'rel/A-2/A-3']);

  const next = new Stage();
  next.setBlob('issues/A-1.yaml', MODES.file, blob('2'));
  const second = await buildTree(next, first.root, src, sink);
  t.equal(second.trees.size, 2, 'only the root and issues/ are new');
  t.same(second.change, { added: [], modified: ['issues/A-1.yaml'], removed: [], newBlobs: new Set([blob('2')]) });
});
