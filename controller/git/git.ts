/**
 * The git writer: createGitDestination() returns the GitDestination the sync engine uses
 * (contract in destination.ts). isomorphic-git does the fetching and reading; the writer builds
 * trees from objects, writes packs directly and sends them to git-receive-pack itself. No git
 * binary is needed at run time, and the token lives only in memory (onAuth and request headers),
 * never in a URL, a log line or .git/config.
 *
 * Files: cache.ts (the clone in the cache dir), checkout.ts (stage, commit, push with replay),
 * trees.ts (tree build and diff), pack/ (packfile and .idx writing in pack.ts, reading in
 * pack-reader.ts, compression on a worker in deflater.ts), protocol.ts (smart HTTP steps),
 * http.ts (node:https with extra CAs), errors.ts (what failed, and whether to retry).
 */
import { log as rootLog, type Logger } from '../observability/log.ts';
import { registerBasicAuth } from '../observability/redact.ts';
import { claimCacheDir, openCache, type CacheOptions } from './cache.ts';
import { GitCheckout } from './checkout.ts';
import type { Checkout, GitDestination, GitHooks, GitTarget } from './destination.ts';
import { GitInvalidTargetError } from './errors.ts';
import { AgentPool, createTransport, type TransportOptions } from './http.ts';

export type { Checkout, CommitResult, GitDestination, GitHooks, GitTarget, TreeDiff } from './destination.ts';
export * from './errors.ts';

export interface GitDestinationOptions {
  /** Push attempts before giving up when the remote keeps moving (default 5). */
  maxPushAttempts?: number;
  /** Packs in the cache before it is cloned afresh (default 100; each run adds at most two). */
  maxPacks?: number;
  /** A connection idle this long fails (default 120 s). */
  idleTimeoutMs?: number;
  /** Deflate large stagings on a worker thread (default true; false deflates inline). */
  deflateWorker?: boolean;
  /** Clock for commit timestamps (ms since the epoch). */
  now?: () => number;
  log?: Logger;
  /** The controller's egress policy; see TransportOptions. */
  egress?: TransportOptions['egress'];
  /** Largest response body accepted from a git server (default 2 GiB). */
  maxResponseBytes?: number;
}

/** Branch names git accepts (a practical subset of `git check-ref-format`). */
const BRANCH = /^(?!\/|.*\/\/|.*\/$|.*\.\.|.*@\{|.*\.lock(?:\/|$)|.*\/\.|\.)[^\0-\x20\x7f~^:?*[\\]+$/;

function checkTarget(target: GitTarget): { url: string } {
  let u: URL;
  try {
    u = new URL(target.url);
  } catch {
    throw new GitInvalidTargetError(`repository URL is not a valid URL`);
  }
  if (u.protocol !== 'https:') throw new GitInvalidTargetError(`repository URL must use https:// (got ${u.protocol})`);
  if (u.username || u.password) throw new GitInvalidTargetError('repository URL must not contain credentials; use the Secret');
  if (!BRANCH.test(target.branch)) throw new GitInvalidTargetError(`invalid branch name ${JSON.stringify(target.branch)}`);
  if (!target.cacheDir) throw new GitInvalidTargetError('no cache directory given');
  return { url: `${u.origin}${u.pathname.replace(/\/+$/, '')}${u.search}` };
}

/** The git writer, with optional metrics/tracing hooks. */
export function createGitDestination(hooks: GitHooks = {}, options: GitDestinationOptions = {}): GitDestination {
  const log = options.log ?? rootLog.child({ component: 'git' });
  const agents = new AgentPool(options.egress);
  return {
    async open(target: GitTarget, signal?: AbortSignal): Promise<Checkout> {
      signal?.throwIfAborted();
      const { url } = checkTarget(target);
      if (target.auth) registerBasicAuth(target.auth.username, target.auth.password);
      const transport = createTransport({
        caCertificates: target.caCertificates, idleTimeoutMs: options.idleTimeoutMs, egress: options.egress, maxResponseBytes: options.maxResponseBytes,
        agent: agents.get(target.caCertificates),
      });
      const remote = { transport, url, branch: target.branch, auth: target.auth };
      const cache: CacheOptions = {
        maxPacks: options.maxPacks ?? 100,
        log,
        wrap: (operation, call) => (hooks.wrap ? hooks.wrap({ operation }, call) : call()),
      };
      const claim = claimCacheDir(target);
      try {
        const { repo, base } = await openCache(remote, claim.dir, cache, signal);
        return new GitCheckout(remote, target, repo, base, {
          maxPushAttempts: options.maxPushAttempts ?? 5,
          deflateWorker: options.deflateWorker ?? true,
          now: options.now ?? Date.now,
          log,
          hooks,
          cache,
          release: claim.release,
        });
      } catch (err) {
        transport.close();
        claim.release();
        throw err;
      }
    },
  };
}
