/**
 * Trees built straight from objects: the staged overlay applied to a base tree, reading only the
 * base directories on a staged path and reusing every untouched subtree id, so the cost grows
 * with the change, not with the repository. The diff comes out of the same pass, and skips
 * untouched subtrees for the same reason.
 */
import { collectGarbage } from '../heap.ts';
import type { TreeDiff } from './destination.ts';
import { EMPTY_TREE, MODES, isTreeMode, objectId, serializeTree, type Tree, type TreeEntry } from './objects.ts';
import type { Stage, StagedDir } from './stage.ts';

/** Where base trees are read from: the local repository. */
export interface TreeSource {
  tree(oid: string, signal?: AbortSignal): Promise<Tree>;
}

/**
 * Takes each tree object a build makes that the base does not have, as it is made: the writer
 * stages it into the scratch pack at once, so a first sync never holds all its trees (tens of
 * thousands of relationship directories, and the content of 100,000-entry directories).
 */
export type TreeSink = (oid: string, content: Buffer) => Promise<void>;

export interface BuiltTree {
  /** The new root tree id (the empty tree when nothing is left). */
  root: string;
  /** Ids of the trees this build made that the base does not have (each handed to the sink once). */
  trees: Set<string>;
  /** What changed between the base and the new tree (computed during the build, see below). */
  change: TreeChange;
}

const EMPTY: Tree = new Map();

/**
 * Applies the stage to the base root tree (undefined: no base) and computes the diff as it goes:
 * every staged entry is compared with the base entry it replaces, so the new trees are never read
 * back (a separate walk had to keep every new tree parsed in memory until the diff was done).
 */
export async function buildTree(stage: Stage, baseRoot: string | undefined, src: TreeSource, sink: TreeSink, signal?: AbortSignal): Promise<BuiltTree> {
  const trees = new Set<string>();
  const change: TreeChange = { added: [], modified: [], removed: [], newBlobs: new Set() };

  /** Every file path under a base entry (a removed or replaced subtree), into `into`. */
  async function all(e: TreeEntry, path: string, into: string[]): Promise<void> {
    if (!isTreeMode(e.mode)) {
      into.push(path);
      return;
    }
    for (const [name, child] of await src.tree(e.oid, signal)) await all(child, `${path}/${name}`, into);
  }

  /** A file entry of the new tree that the base did not have at this path. */
  function added(e: TreeEntry, path: string): void {
    change.added.push(path);
    if (e.mode !== MODES.gitlink) change.newBlobs.add(e.oid);
  }

  async function dir(node: StagedDir, base: string | undefined, isRoot: boolean, prefix: string): Promise<string | undefined> {
    signal?.throwIfAborted();
    if (!node.replace && node.children.size === 0) return base;
    const old: Tree = base ? await src.tree(base, signal) : EMPTY;
    const entries: Tree = new Map(node.replace ? EMPTY : old);
    for (const [name, child] of node.children) {
      const path = prefix + name;
      // What the base had here: what the change is measured against (a replaced directory's
      // entries included, as they are gone unless written again).
      const was = old.get(name);
      if (child.kind === 'removed') {
        entries.delete(name);
        if (was) await all(was, path, change.removed);
      } else if (child.kind === 'blob') {
        // The staged node is a { mode, oid }: used as the tree entry itself, no copy per file.
        entries.set(name, child);
        if (!was) added(child, path);
        else if (isTreeMode(was.mode)) {
          await all(was, path, change.removed);
          added(child, path);
        } else if (was.oid !== child.oid || was.mode !== child.mode) {
          change.modified.push(path);
          if (child.mode !== MODES.gitlink) change.newBlobs.add(child.oid);
        }
      } else {
        const oldDir = was && isTreeMode(was.mode) ? was.oid : undefined;
        if (was && !oldDir) await all(was, path, change.removed);
        const sub = await dir(child, oldDir, false, `${path}/`);
        if (sub === undefined) entries.delete(name);
        else entries.set(name, { mode: MODES.tree, oid: sub });
      }
    }
    if (node.replace) {
      // Base entries not written again are removed.
      for (const [name, was] of old) if (!node.children.has(name)) await all(was, prefix + name, change.removed);
    }
    // Git stores no empty directories; only the root may be the empty tree.
    if (entries.size === 0 && !isRoot) return undefined;
    const content = serializeTree(entries);
    const oid = objectId('tree', content);
    // Equal directories (two relationship folders naming the same issue) make one object.
    if (oid !== base && !trees.has(oid)) {
      trees.add(oid);
      await sink(oid, content);
    }
    // Building a large first tree makes garbage (a copy of each directory, its serialisation)
    // and no Jira fetch is running any more to pace collections.
    collectGarbage();
    return oid;
  }

  const root = (await dir(stage.root, baseRoot, true, '')) ?? EMPTY_TREE;
  change.added.sort();
  change.modified.sort();
  change.removed.sort();
  return { root, trees, change };
}

export interface TreeChange extends TreeDiff {
  /** Blob ids the new tree references that the old one did not have at that path. */
  newBlobs: Set<string>;
}
