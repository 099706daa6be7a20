/**
 * One sync's view of the branch (the Checkout contract): reads come from the base tree, writes
 * hash each blob at once and stage it into a scratch pack unless the base already has it at that
 * path, and commitAndPush builds the tree, writes one pack with the new blobs, trees and commit,
 * and sends it. When the remote moved meanwhile, it fetches the new tip and replays the same
 * staged change onto it, a bounded number of times; it never force-pushes.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import type { Logger } from '../observability/log.ts';
import { errorMessage } from '../observability/redact.ts';
import type { Checkout, CommitResult, GitHooks, GitTarget, TreeDiff } from './destination.ts';
import { GitPushConflictError, GitPushRejectedError, GitUnavailableError, toGitError } from './errors.ts';
import { EMPTY_TREE, MODES, isTreeMode, objectId, serializeCommit } from './objects.ts';
import { PackStaging, installPack, writePack, type LooseObject, type PackEntry, type WrittenPack } from './pack/pack.ts';
import { advertisedRefs, sendPack } from './protocol.ts';
import { refreshCache, type Base, type BranchRemote, type CacheOptions } from './cache.ts';
import type { LocalRepo } from './repo.ts';
import { Stage, splitPath } from './stage.ts';
import { buildTree } from './trees.ts';

export interface CheckoutOptions {
  maxPushAttempts: number;
  deflateWorker: boolean;
  now: () => number;
  log: Logger;
  hooks: GitHooks;
  cache: CacheOptions;
  /** Gives the cache directory back (to the next checkout of a shared cache). */
  release?: () => void;
}

type Operation = 'clone' | 'fetch' | 'build-tree' | 'commit' | 'push';

export class GitCheckout implements Checkout {
  readonly #remote: BranchRemote;
  readonly #target: GitTarget;
  readonly #repo: LocalRepo;
  readonly #opts: CheckoutOptions;
  readonly #stage = new Stage();
  #base: Base;
  #staging: PackStaging | undefined;
  #stagingOpen: Promise<PackStaging> | undefined;
  #done = false;
  #closed: Promise<void> | undefined;

  constructor(remote: BranchRemote, target: GitTarget, repo: LocalRepo, base: Base, opts: CheckoutOptions) {
    this.#remote = remote;
    this.#target = target;
    this.#repo = repo;
    this.#base = base;
    this.#opts = opts;
  }

  get baseCommit(): string | undefined {
    return this.#base.commit;
  }

  async readFile(path: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const e = await this.#repo.lookup(this.#base.tree, splitPath(path), signal);
    if (!e || isTreeMode(e.mode) || e.mode === MODES.gitlink) return undefined;
    return this.#repo.blob(e.oid);
  }

  async listDir(path: string, signal?: AbortSignal): Promise<{ name: string; type: 'file' | 'symlink' | 'dir' }[]> {
    const parts = path === '' || path === '/' ? [] : splitPath(path.replace(/\/+$/, ''));
    const e = await this.#repo.lookup(this.#base.tree, parts, signal);
    if (!e || !isTreeMode(e.mode)) return [];
    const out: { name: string; type: 'file' | 'symlink' | 'dir' }[] = [];
    for (const [name, c] of await this.#repo.tree(e.oid, signal)) {
      if (c.mode === MODES.gitlink) continue; // submodules are nobody's files here
      out.push({ name, type: isTreeMode(c.mode) ? 'dir' : c.mode === MODES.symlink ? 'symlink' : 'file' });
    }
    return out;
  }

  writeFile(path: string, content: string | Uint8Array): Promise<void> {
    return this.#write(path, MODES.file, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
  }

  writeSymlink(path: string, target: string): Promise<void> {
    return this.#write(path, MODES.symlink, Buffer.from(target, 'utf8'));
  }

  remove(path: string): void {
    this.#assertOpen();
    this.#stage.remove(path);
  }

  async #write(path: string, mode: string, content: Uint8Array): Promise<void> {
    this.#assertOpen();
    const parts = splitPath(path);
    const oid = objectId('blob', content);
    const old = this.#base.tree ? await this.#repo.lookup(this.#base.tree, parts) : undefined;
    // Unchanged content costs a hash and a lookup, nothing more: no deflate, no bytes staged.
    if (!old || old.oid !== oid) await (await this.#stagingFile()).add('blob', content, oid);
    this.#stage.setBlob(path, mode, oid);
  }

  #stagingFile(): Promise<PackStaging> {
    this.#stagingOpen ??= PackStaging.create(join(this.#repo.gitdir, 'objects/pack', `tmp_stage_${randomBytes(6).toString('hex')}`), {
      worker: this.#opts.deflateWorker,
    }).then(
      (s) => (this.#staging = s),
    );
    return this.#stagingOpen;
  }

  #assertOpen(): void {
    if (this.#done) throw new Error('git: this checkout was already committed; open a new one');
  }

  #wrap<T>(operation: Operation, call: () => Promise<T>): Promise<T> {
    return this.#opts.hooks.wrap ? this.#opts.hooks.wrap({ operation }, call) : call();
  }

  async commitAndPush(message: (diff: TreeDiff) => string, signal?: AbortSignal): Promise<CommitResult> {
    this.#assertOpen();
    this.#done = true;
    try {
      for (let attempt = 1; ; attempt++) {
        signal?.throwIfAborted();
        const base = this.#base;
        // New trees go to the scratch pack as they are made, like the blobs before them.
        const sink = async (oid: string, content: Buffer) => (await this.#stagingFile()).add('tree', content, oid);
        const built = await this.#wrap('build-tree', () => buildTree(this.#stage, base.tree, this.#repo, sink, signal));
        if (built.root === (base.tree ?? EMPTY_TREE)) {
          return { commit: undefined, diff: { added: [], modified: [], removed: [] }, pushRetries: attempt - 1 };
        }
        // Nothing reads trees from here on (a replay reads its base again): let the parsed base
        // trees go before the pack is written.
        this.#repo.forgetTrees();
        const { change } = built;
        const diff: TreeDiff = { added: change.added, modified: change.modified, removed: change.removed };
        const text = message(diff);
        const { commit, pack } = await this.#wrap('commit', () => this.#writeCommit(built.root, built.trees, change.newBlobs, text, signal));
        let pushed = false;
        try {
          pushed = await this.#wrap('push', () => this.#push(commit, pack, signal));
          if (pushed) {
            // The remote has the commit: from here on the run succeeded whatever happens locally.
            await this.#remember(commit, pack);
            this.#base = { commit, tree: built.root };
            return { commit, diff, pushRetries: attempt - 1 };
          }
        } finally {
          if (!pushed) await rm(pack.path, { force: true });
        }
        if (attempt >= this.#opts.maxPushAttempts) throw new GitPushConflictError(this.#remote.url, this.#remote.branch, attempt);
        this.#opts.log.info({ branch: this.#remote.branch, attempt }, 'git remote moved; replaying the change onto its new tip');
        this.#base = await refreshCache(this.#remote, this.#repo, this.#opts.cache, signal);
      }
    } finally {
      await this.close();
    }
  }

  close(): Promise<void> {
    this.#done = true;
    this.#closed ??= (async () => {
      try {
        const staging = await this.#stagingOpen?.catch(() => undefined);
        await staging?.close();
        await this.#repo.close();
      } catch (err) {
        // Only scratch files and handles: the next open of the cache cleans up what is left.
        this.#opts.log.warn({ err: errorMessage(err) }, 'git: could not close the checkout cleanly');
      } finally {
        this.#remote.transport.close();
        this.#opts.release?.();
      }
    })();
    return this.#closed;
  }

  /**
   * Keeps the pushed pack and points the local branch at the commit, so the next run starts from
   * it without a fetch. Not signal-aware on purpose: the push already happened. A failure only
   * costs the next run a fetch.
   */
  async #remember(commit: string, pack: WrittenPack): Promise<void> {
    try {
      await installPack(this.#repo.gitdir, pack);
      await git.writeRef({ fs, gitdir: this.#repo.gitdir, ref: `refs/heads/${this.#remote.branch}`, value: commit, force: true });
    } catch (err) {
      this.#opts.log.warn({ err: errorMessage(err) }, 'git: pushed, but could not record the commit in the cache; the next run fetches it');
    }
  }

  /** Writes the pack for a commit: the new blobs and trees (staged ones copied raw), the commit. */
  async #writeCommit(tree: string, trees: Set<string>, newBlobs: Set<string>, message: string, signal?: AbortSignal): Promise<{ commit: string; pack: WrittenPack }> {
    const now = Math.floor(this.#opts.now() / 1000);
    const who = { name: this.#target.author.name, email: this.#target.author.email, timestamp: now };
    const content = serializeCommit({ tree, parents: this.#base.commit ? [this.#base.commit] : [], author: who, committer: who, message });
    const commit = objectId('commit', content);
    await this.#staging?.flush();
    const staged: PackEntry[] = [];
    const others: LooseObject[] = [];
    for (const oid of newBlobs) {
      const entry = this.#staging?.get(oid);
      if (entry) staged.push(entry);
      else {
        // Not staged because the old base had it at that path: send it anyway, the new base may not.
        signal?.throwIfAborted();
        others.push({ type: 'blob', content: await this.#repo.blob(oid), oid });
      }
    }
    for (const oid of trees) {
      const entry = this.#staging?.get(oid);
      if (!entry) throw new Error(`git: tree ${oid} was built but not staged`);
      staged.push(entry);
    }
    others.push({ type: 'commit', content, oid: commit });
    signal?.throwIfAborted();
    const path = join(this.#repo.gitdir, 'objects/pack', `tmp_push_${randomBytes(6).toString('hex')}`);
    const pack = await writePack(path, this.#staging, staged, others);
    return { commit, pack };
  }

  /** One push attempt: true when the branch now points at commit, false when the remote had moved. */
  async #push(commit: string, pack: WrittenPack, signal?: AbortSignal): Promise<boolean> {
    const ref = `refs/heads/${this.#remote.branch}`;
    const started = performance.now();
    let reported = false;
    const report = (result: 'success' | 'rejected' | 'error') => {
      reported = true;
      this.#opts.hooks.onPush?.({ result, seconds: (performance.now() - started) / 1000 });
    };
    try {
      const adv = await advertisedRefs(this.#remote, 'git-receive-pack', signal);
      if (adv.refs.get(ref) !== this.#base.commit) {
        report('rejected');
        return false;
      }
      signal?.throwIfAborted();
      const res = await sendPack(this.#remote, { ref, old: this.#base.commit, new: commit, capabilities: adv.capabilities }, pack, signal);
      if (!res.unpackOk) throw new GitUnavailableError(this.#remote.url, `the server could not unpack the push: ${res.unpackError ?? 'unknown error'}`);
      if (res.refs.has(ref) && res.refs.get(ref) === undefined) {
        report('success');
        return true;
      }
      const reason = res.refs.get(ref) ?? 'no status reported for the branch';
      // A lost race shows as a failed ref update; only a remote that did not move is a real refusal.
      const now = await advertisedRefs(this.#remote, 'git-receive-pack', signal);
      report('rejected');
      if (now.refs.get(ref) !== this.#base.commit) return false;
      throw new GitPushRejectedError(this.#remote.url, this.#remote.branch, reason);
    } catch (err) {
      if (!reported) report('error');
      throw toGitError(err, this.#remote.url, signal);
    }
  }
}
