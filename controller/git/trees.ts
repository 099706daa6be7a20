/**
 * Trees built straight from objects: the staged overlay applied to a base tree, reading only the
 * base directories on a staged path and reusing every untouched subtree id, so the cost grows
 * with the change, not with the repository. The diff walks old and new trees together and skips
 * equal subtree ids for the same reason.
 */
import type { TreeDiff } from './destination.ts';
import { EMPTY_TREE, MODES, isTreeMode, objectId, serializeTree, type Tree, type TreeEntry } from './objects.ts';
import type { Stage, StagedDir } from './stage.ts';

/** Where trees are read from: the local repository, plus the trees a build just made. */
export interface TreeSource {
  tree(oid: string, signal?: AbortSignal): Promise<Tree>;
  remember(oid: string, tree: Tree): void;
}

export interface BuiltTree {
  /** The new root tree id (the empty tree when nothing is left). */
  root: string;
  /** Trees this build made that the base does not have: id -> object content. */
  trees: Map<string, Buffer>;
}

const EMPTY: Tree = new Map();

/** Applies the stage to the base root tree (undefined: no base). */
export async function buildTree(stage: Stage, baseRoot: string | undefined, src: TreeSource, signal?: AbortSignal): Promise<BuiltTree> {
  const trees = new Map<string, Buffer>();

  async function dir(node: StagedDir, base: string | undefined, isRoot: boolean): Promise<string | undefined> {
    signal?.throwIfAborted();
    if (!node.replace && node.children.size === 0) return base;
    const entries: Tree = new Map(node.replace || !base ? EMPTY : await src.tree(base, signal));
    for (const [name, child] of node.children) {
      if (child.kind === 'removed') entries.delete(name);
      else if (child.kind === 'blob') entries.set(name, { mode: child.mode, oid: child.oid });
      else {
        const old = entries.get(name);
        const sub = await dir(child, old && isTreeMode(old.mode) ? old.oid : undefined, false);
        if (sub === undefined) entries.delete(name);
        else entries.set(name, { mode: MODES.tree, oid: sub });
      }
    }
    // Git stores no empty directories; only the root may be the empty tree.
    if (entries.size === 0 && !isRoot) return undefined;
    const content = serializeTree(entries);
    const oid = objectId('tree', content);
    if (oid !== base) {
      trees.set(oid, content);
      src.remember(oid, entries);
    }
    return oid;
  }

  const root = (await dir(stage.root, baseRoot, true)) ?? EMPTY_TREE;
  return { root, trees };
}

export interface TreeChange extends TreeDiff {
  /** Blob ids the new tree references that the old one did not have at that path. */
  newBlobs: Set<string>;
}

/** Files (blobs, symlinks, gitlinks) added, modified and removed between two root trees. */
export async function diffTrees(oldRoot: string | undefined, newRoot: string | undefined, src: TreeSource, signal?: AbortSignal): Promise<TreeChange> {
  const out: TreeChange = { added: [], modified: [], removed: [], newBlobs: new Set() };

  async function all(e: TreeEntry, path: string, into: string[], track: boolean): Promise<void> {
    if (!isTreeMode(e.mode)) {
      into.push(path);
      if (track && e.mode !== MODES.gitlink) out.newBlobs.add(e.oid);
      return;
    }
    for (const [name, child] of await src.tree(e.oid, signal)) await all(child, `${path}/${name}`, into, track);
  }

  async function walk(a: string | undefined, b: string | undefined, prefix: string): Promise<void> {
    signal?.throwIfAborted();
    if (a === b) return;
    const left = a ? await src.tree(a, signal) : EMPTY;
    const right = b ? await src.tree(b, signal) : EMPTY;
    for (const [name, e] of left) {
      const path = prefix + name;
      const f = right.get(name);
      if (!f) await all(e, path, out.removed, false);
      else if (f.oid === e.oid && f.mode === e.mode) continue;
      else if (isTreeMode(e.mode) && isTreeMode(f.mode)) await walk(e.oid, f.oid, `${path}/`);
      else if (isTreeMode(e.mode) || isTreeMode(f.mode)) {
        await all(e, path, out.removed, false);
        await all(f, path, out.added, true);
      } else {
        out.modified.push(path);
        if (f.mode !== MODES.gitlink) out.newBlobs.add(f.oid);
      }
    }
    for (const [name, f] of right) if (!left.has(name)) await all(f, prefix + name, out.added, true);
  }

  await walk(oldRoot, newRoot, '');
  out.added.sort();
  out.modified.sort();
  out.removed.sort();
  return out;
}
