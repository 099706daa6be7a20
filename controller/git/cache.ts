/**
 * The cache directory: a bare, shallow (depth 1), single-branch clone that survives between runs
 * of one JIRASync, or of every JIRASync of a namespace writing the same branch (one checkout at a
 * time: see claimCacheDir). Each run asks the remote for its refs first (one GET; auth and missing
 * repositories fail fast here), fetches only when the branch moved, and verifies that the tip's
 * commit and root tree read back. A cache that is missing, belongs to another URL, has grown too
 * many packs, or fails to read is deleted and cloned again, once.
 */
import * as fs from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import type { Logger } from '../observability/log.ts';
import { errorMessage } from '../observability/redact.ts';
import { isGitError, safeUrl, toGitError } from './errors.ts';
import { advertisedRefs, type Remote } from './protocol.ts';
import { mergeSmallPacks, verifyPacks } from './pack/pack.ts';
import { LocalRepo } from './repo.ts';

export interface BranchRemote extends Remote {
  branch: string;
}

export interface CacheOptions {
  /** Past this many packs the cache is cloned afresh instead of growing. */
  maxPacks: number;
  log: Logger;
  wrap: <T>(operation: 'clone' | 'fetch', call: () => Promise<T>) => Promise<T>;
}

export interface Base {
  /** The branch tip this checkout builds on; undefined for an empty repository or a new branch. */
  commit?: string;
  tree?: string;
}

/** More small packs than this are merged into one when a cache is opened. */
const MERGE_SMALL_PACKS_ABOVE = 16;

/** Shared cache directories that a checkout of this process holds now. */
const held = new Set<string>();

/**
 * The directory a checkout uses: the shared cache when no other checkout holds it, else the
 * sync's own. Never waits: a long first sync holding the shared cache must not stall the others.
 */
export function claimCacheDir(target: { cacheDir: string; sharedCacheDir?: string }): { dir: string; release: () => void } {
  const shared = target.sharedCacheDir;
  if (!shared || held.has(shared)) return { dir: target.cacheDir, release: () => {} };
  held.add(shared);
  return { dir: shared, release: () => held.delete(shared) };
}

/** Opens the cache for the remote branch and brings it to the branch's current tip. */
export async function openCache(remote: BranchRemote, cacheDir: string, opts: CacheOptions, signal?: AbortSignal): Promise<{ repo: LocalRepo; base: Base }> {
  const { refs } = await advertisedRefs(remote, 'git-upload-pack', signal);
  const tip = refs.get(`refs/heads/${remote.branch}`);
  for (const fresh of [false, true]) {
    signal?.throwIfAborted();
    try {
      const repo = await prepareRepo(remote, cacheDir, fresh, opts);
      return { repo, base: await advance(remote, repo, tip, opts, signal) };
    } catch (err) {
      const e = toGitError(err, remote.url, signal);
      // Local damage can also surface as a server error (a bad shallow or have line); only
      // credentials, a missing repository, TLS and a dead connection are surely not the cache.
      if (signal?.aborted || (isGitError(e) && (e.kind !== 'unavailable' || e.status === 0))) throw e;
      if (!isGitError(e) && !(err instanceof Error)) throw err;
      if (fresh && isGitError(e)) throw e;
      if (fresh) throw new Error(`git: the cache for ${safeUrl(remote.url)} in ${cacheDir} is unusable even after a fresh clone: ${errorMessage(err)}`, { cause: err });
      opts.log.warn({ cacheDir, err: errorMessage(err) }, 'git cache is unusable; cloning it again');
    }
  }
  throw new Error('unreachable');
}

/** Fetches the branch's new tip into an open cache (after a push found the remote moved). */
export async function refreshCache(remote: BranchRemote, repo: LocalRepo, opts: CacheOptions, signal?: AbortSignal): Promise<Base> {
  const { refs } = await advertisedRefs(remote, 'git-upload-pack', signal);
  try {
    return await advance(remote, repo, refs.get(`refs/heads/${remote.branch}`), opts, signal);
  } catch (err) {
    throw toGitError(err, remote.url, signal);
  }
}

async function prepareRepo(remote: BranchRemote, dir: string, fresh: boolean, opts: CacheOptions): Promise<LocalRepo> {
  let usable = !fresh && (await isCacheFor(dir, remote.url));
  if (usable) {
    // A cache shared by many syncs gains a small pack per push, and each run opens them all.
    await mergeSmallPacks(dir, MERGE_SMALL_PACKS_ABOVE).catch((err: unknown) => opts.log.warn({ cacheDir: dir, err: errorMessage(err) }, 'git cache: could not merge its small packs'));
    const packs = (await readdir(join(dir, 'objects/pack'))).filter((f) => f.endsWith('.pack')).length;
    if (packs > opts.maxPacks) {
      opts.log.info({ cacheDir: dir, packs }, 'git cache has many packs; cloning it again to compact it');
      usable = false;
    } else {
      // A damaged pack may hold objects this run never reads, and fail a later run instead: check them all.
      const damage = await verifyPacks(join(dir, 'objects/pack'));
      if (damage) {
        opts.log.warn({ cacheDir: dir, damage }, 'git cache has a damaged pack; cloning it again');
        usable = false;
      }
    }
  }
  if (!usable) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await git.init({ fs, dir, bare: true, defaultBranch: remote.branch });
    await git.setConfig({ fs, gitdir: dir, path: 'remote.origin.url', value: remote.url });
    await git.setConfig({ fs, gitdir: dir, path: 'remote.origin.fetch', value: '+refs/heads/*:refs/remotes/origin/*' });
  }
  // Scratch files of a run that ended early.
  for (const f of await readdir(join(dir, 'objects/pack'))) if (f.startsWith('tmp_')) await rm(join(dir, 'objects/pack', f), { force: true });
  return new LocalRepo(dir);
}

async function isCacheFor(dir: string, url: string): Promise<boolean> {
  try {
    if (!(await stat(join(dir, 'HEAD'))).isFile()) return false;
    if (!(await stat(join(dir, 'objects/pack'))).isDirectory()) return false;
    return (await git.getConfig({ fs, gitdir: dir, path: 'remote.origin.url' })) === url;
  } catch {
    return false;
  }
}

/** Makes the local branch ref the remote tip (fetching when it differs) and verifies it reads. */
async function advance(remote: BranchRemote, repo: LocalRepo, tip: string | undefined, opts: CacheOptions, signal?: AbortSignal): Promise<Base> {
  if (!tip) return {};
  const ref = `refs/heads/${remote.branch}`;
  const local = await git.resolveRef({ fs, gitdir: repo.gitdir, ref }).catch(() => undefined);
  let commit = tip;
  if (local !== tip) {
    const cloning = (await readdir(join(repo.gitdir, 'objects/pack'))).length === 0;
    const res = await opts.wrap(cloning ? 'clone' : 'fetch', () =>
      git.fetch({
        fs,
        http: remote.transport.client(signal),
        gitdir: repo.gitdir,
        cache: repo.cache,
        url: remote.url,
        ref: remote.branch,
        remoteRef: ref,
        singleBranch: true,
        depth: 1,
        tags: false,
        onAuth: () => (remote.auth ? { username: remote.auth.username, password: remote.auth.password } : undefined),
      }),
    );
    signal?.throwIfAborted();
    if (!res.fetchHead) return {};
    commit = res.fetchHead;
    await git.writeRef({ fs, gitdir: repo.gitdir, ref, value: commit, force: true });
  }
  const tree = await repo.commitTree(commit);
  await repo.tree(tree, signal);
  return { commit, tree };
}
