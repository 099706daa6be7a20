/**
 * The local repository in the cache directory (a bare, shallow, single-branch clone) as the
 * writer reads it: objects through isomorphic-git (loose or packed, one shared pack cache), trees
 * parsed once and kept for the checkout's life.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { commitTree, isTreeMode, parseTree, type Tree, type TreeEntry } from './objects.ts';
import { PackReader } from './pack/pack-reader.ts';
import type { TreeSource } from './trees.ts';

export class LocalRepo implements TreeSource {
  readonly gitdir: string;
  /** isomorphic-git's cache: parsed pack indexes shared by every read of this checkout. */
  readonly cache: object = {};
  #trees = new Map<string, Tree>();
  readonly #packs: PackReader;

  constructor(gitdir: string) {
    this.gitdir = gitdir;
    this.#packs = new PackReader(join(gitdir, 'objects/pack'));
  }

  /**
   * An object's type and content: from the packs directly, else (a pack that appeared since, a
   * loose object, the empty tree) through isomorphic-git.
   */
  async object(oid: string): Promise<{ type: string; content: Uint8Array }> {
    let o = await this.#packs.read(oid);
    if (!o) {
      await this.#packs.refresh();
      o = await this.#packs.read(oid);
    }
    if (o) return o;
    const r = await git.readObject({ fs, gitdir: this.gitdir, oid, cache: this.cache, format: 'content' });
    return { type: r.type, content: r.object as Uint8Array };
  }

  /** Releases the pack files. */
  close(): Promise<void> {
    return this.#packs.close();
  }

  async tree(oid: string, signal?: AbortSignal): Promise<Tree> {
    signal?.throwIfAborted();
    let t = this.#trees.get(oid);
    if (!t) {
      const o = await this.object(oid);
      if (o.type !== 'tree') throw new Error(`object ${oid} is a ${o.type}, not a tree`);
      t = parseTree(o.content);
      this.#trees.set(oid, t);
    }
    return t;
  }

  /** Forgets parsed trees (after a build: a replay reads its new base afresh). */
  forgetTrees(): void {
    this.#trees.clear();
  }

  async blob(oid: string): Promise<Uint8Array> {
    const o = await this.object(oid);
    if (o.type !== 'blob') throw new Error(`object ${oid} is a ${o.type}, not a blob`);
    return o.content;
  }

  /** The root tree id of a commit. */
  async commitTree(oid: string): Promise<string> {
    const o = await this.object(oid);
    if (o.type !== 'commit') throw new Error(`object ${oid} is a ${o.type}, not a commit`);
    return commitTree(o.content);
  }

  /** The entry at path parts below a root tree, or undefined. */
  async lookup(root: string | undefined, parts: string[], signal?: AbortSignal): Promise<TreeEntry | undefined> {
    let entry: TreeEntry | undefined = root ? { mode: '40000', oid: root } : undefined;
    for (const name of parts) {
      if (!entry || !isTreeMode(entry.mode)) return undefined;
      entry = (await this.tree(entry.oid, signal)).get(name);
    }
    return entry;
  }
}
