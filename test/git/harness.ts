/**
 * Shared setup for the git writer's tests: one test git server per file, fresh repositories and
 * cache dirs per test, targets pointing at them, and git CLI helpers for assertions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitDestination, type GitDestinationOptions } from '../../controller/git/git.ts';
import type { GitDestination, GitHooks, GitTarget } from '../../controller/git/destination.ts';
import { createLogger } from '../../controller/observability/log.ts';
import { startGitServer, type CreateRepoOptions, type GitServer } from '../git-server/server.ts';
import { cloneRepo, git, gitCliEnv, type Clone } from '../git-server/cli.ts';

/** What a test needs from tap: teardown registration. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface GitHarness {
  server: GitServer;
  /** A new repository and a target for it with a fresh cache dir. */
  repo(opts?: CreateRepoOptions & { branch?: string }): Promise<{ name: string; url: string; target: GitTarget }>;
  /** A destination with test defaults (quiet logger unless given). */
  destination(hooks?: GitHooks, opts?: GitDestinationOptions): GitDestination;
  /** Clones with the git CLI; removed at teardown. */
  clone(url: string, branch?: string): Promise<Clone>;
  /** Runs git against the bare repository on the server (e.g. rev-parse, ls-tree, fsck). */
  bare(name: string, ...args: string[]): Promise<string>;
  /** The remote branch tip, or '' when the branch does not exist. */
  tip(name: string, branch?: string): Promise<string>;
  tempDir(): Promise<string>;
}

let counter = 0;

/** Starts a git server for the test file (stopped at teardown) and returns the helpers. */
export async function gitHarness(t: Teardown): Promise<GitHarness> {
  const server = await startGitServer();
  t.teardown(() => server.stop());
  const temps: string[] = [];
  t.teardown(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'jirasync-git-test-'));
    temps.push(d);
    return d;
  };
  const h: GitHarness = {
    server,
    tempDir,
    async repo(opts = {}) {
      const name = `r${++counter}-${Math.random().toString(36).slice(2, 8)}`;
      const url = await server.createRepo(name, opts);
      const target: GitTarget = {
        url,
        branch: opts.branch ?? opts.defaultBranch ?? 'main',
        auth: { username: server.username, password: server.password },
        author: { name: 'JIRASync Bot', email: 'jirasync@example.test' },
        cacheDir: join(await tempDir(), 'cache'),
        caCertificates: server.caPem,
      };
      return { name, url, target };
    },
    destination(hooks, opts) {
      return createGitDestination(hooks, { log: quietLog(), ...opts });
    },
    async clone(url, branch) {
      const c = await cloneRepo(server, url, branch ? { branch } : {});
      temps.push(join(c.dir, '..'));
      return c;
    },
    bare: (name, ...args) => git(args, { cwd: server.barePath(name), env: gitCliEnv(server) }),
    async tip(name, branch = 'main') {
      const out = await git(['for-each-ref', '--format=%(objectname)', `refs/heads/${branch}`], { cwd: server.barePath(name), env: gitCliEnv(server) });
      return out.trim();
    },
  };
  return h;
}

const silent = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** A logger that drops everything (tests assert behaviour, not log lines). */
export function quietLog(): NonNullable<GitDestinationOptions['log']> {
  return silent;
}

/** A message function like the engine's: counts per kind, then the paths. */
export function describe(diff: { added: string[]; modified: string[]; removed: string[] }): string {
  return `chore(jirasync): sync — ${diff.added.length} added, ${diff.modified.length} updated, ${diff.removed.length} removed\n\n${[...diff.added, ...diff.modified, ...diff.removed].join('\n')}`;
}
