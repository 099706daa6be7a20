/**
 * Git object encoding: ids, tree parsing and serialisation in git's order, commit text. Kept here
 * (not through isomorphic-git's writeTree/writeCommit) because the writer builds objects straight
 * into a packfile instead of the loose-object store.
 */
import { createHash } from 'node:crypto';

export const OBJECT_TYPES = { commit: 1, tree: 2, blob: 3 } as const;
export type ObjectType = keyof typeof OBJECT_TYPES;

/** Modes as git writes them in trees. */
export const MODES = { file: '100644', executable: '100755', symlink: '120000', tree: '40000', gitlink: '160000' } as const;

/** The id of the tree with no entries (git knows it without storing it). */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export interface TreeEntry {
  mode: string;
  oid: string;
}

/** A parsed tree: name -> entry, in the tree's own (git) order. */
export type Tree = Map<string, TreeEntry>;

/** The object id (SHA-1 of "type size\0" + content). */
export function objectId(type: ObjectType, content: Uint8Array): string {
  return createHash('sha1').update(`${type} ${content.byteLength}\0`).update(content).digest('hex');
}

/** Parses a tree object's content. Modes are kept as written ('40000' for trees). */
export function parseTree(content: Uint8Array): Tree {
  const buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const tree: Tree = new Map();
  let i = 0;
  while (i < buf.length) {
    const space = buf.indexOf(0x20, i);
    const nul = buf.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > buf.length) throw new Error('malformed tree object');
    const mode = buf.toString('latin1', i, space);
    const name = buf.toString('utf8', space + 1, nul);
    tree.set(name, { mode: mode === '040000' ? MODES.tree : mode, oid: buf.toString('hex', nul + 1, nul + 21) });
    i = nul + 21;
  }
  return tree;
}

export function isTreeMode(mode: string): boolean {
  return mode === MODES.tree;
}

/** True when UTF-16 order may differ from UTF-8 byte order (surrogates, U+E000 and up). */
const ORDER_UNSAFE = /[\ud800-\uffff]/;

/**
 * Serialises entries in git's order: by name bytes, a subtree compared as if its name ended in
 * '/'. Plain string comparison equals byte order unless a name holds a surrogate pair, which is
 * then compared as UTF-8 bytes.
 */
export function serializeTree(tree: Tree): Buffer {
  const keyOf = (name: string, e: TreeEntry) => (isTreeMode(e.mode) ? `${name}/` : name);
  // A tree read from the base is in git order and an incremental change mostly replaces entries
  // in place, so check the order first: a sorted copy of a 100,000-entry directory is then skipped.
  let prev = '';
  let ordered = true;
  for (const [name, e] of tree) {
    const key = keyOf(name, e);
    if (key <= prev || ORDER_UNSAFE.test(key)) {
      ordered = false;
      break;
    }
    prev = key;
  }
  let items: Iterable<[string, TreeEntry]> = tree;
  if (!ordered) {
    const keyed = [...tree].map(([name, e]) => ({ name, e, key: keyOf(name, e) }));
    const bytewise = keyed.some((i) => ORDER_UNSAFE.test(i.key));
    keyed.sort(
      bytewise
        ? (a, b) => Buffer.compare(Buffer.from(a.key, 'utf8'), Buffer.from(b.key, 'utf8'))
        : (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    items = keyed.map((i): [string, TreeEntry] => [i.name, i.e]);
  }
  // Written into one buffer: two small Buffers per entry cost more than the hashing for a
  // 100,000-entry directory, and all of it is garbage a moment later.
  let size = 0;
  for (const [name, e] of items) size += e.mode.length + Buffer.byteLength(name, 'utf8') + 22;
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [name, e] of items) {
    at += buf.write(e.mode, at, 'latin1');
    buf[at++] = 0x20;
    at += buf.write(name, at, 'utf8');
    buf[at++] = 0;
    at += buf.write(e.oid, at, 'hex');
  }
  return buf;
}

export interface Signature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
}

function signatureLine(s: Signature): string {
  // Angle brackets and newlines would break the header; git itself strips them.
  const clean = (v: string) => v.replace(/[<>\n\r]/g, '').trim();
  return `${clean(s.name)} <${clean(s.email)}> ${Math.floor(s.timestamp)} +0000`;
}

/** The content of a commit object. The message ends with exactly one newline. */
export function serializeCommit(c: { tree: string; parents: string[]; author: Signature; committer: Signature; message: string }): Buffer {
  const lines = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`), `author ${signatureLine(c.author)}`, `committer ${signatureLine(c.committer)}`];
  return Buffer.from(`${lines.join('\n')}\n\n${c.message.replace(/\s+$/, '')}\n`, 'utf8');
}

/** The tree id a commit object's content names. */
export function commitTree(content: Uint8Array): string {
  const m = /^tree ([0-9a-f]{40})\n/.exec(Buffer.from(content.buffer, content.byteOffset, Math.min(content.byteLength, 64)).toString('latin1'));
  if (!m) throw new Error('malformed commit object');
  return m[1];
}
