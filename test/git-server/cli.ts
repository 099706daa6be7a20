/**
 * The git CLI pointed at the test server, for assertions: clone a repository into a temp dir, run
 * git commands in it, or push a change as "another writer". The CA comes from GIT_SSL_CAINFO and
 * the credentials from an http.extraHeader set through GIT_CONFIG_* variables, so they appear
 * neither on a command line nor in any output.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { hermeticGitEnv, type GitServer } from './server.ts';

const run = promisify(execFile);

/** Environment for a git CLI that trusts the server's CA and authenticates to it. */
export function gitCliEnv(server: Pick<GitServer, 'caFile' | 'username' | 'password'>): NodeJS.ProcessEnv {
  const basic = Buffer.from(`${server.username}:${server.password}`).toString('base64');
  return hermeticGitEnv({
    GIT_SSL_CAINFO: server.caFile,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  });
}

/** Runs git with the given environment and returns stdout; rejects with git's stderr on failure. */
export async function git(args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv }): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd: opts.cwd, env: opts.env, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; code?: number };
    throw new Error(`git ${args[0]} failed (exit ${e.code}): ${String(e.stderr ?? '').trim()}`, { cause: err });
  }
}

export interface Clone {
  /** The work tree of the clone. */
  dir: string;
  /** Runs git inside the clone and returns stdout. */
  git(...args: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

/** Clones url with the git CLI into a new temp dir (the branch, or the remote's HEAD). */
export async function cloneRepo(
  server: Pick<GitServer, 'caFile' | 'username' | 'password'>,
  url: string,
  opts: { branch?: string } = {},
): Promise<Clone> {
  const env = gitCliEnv(server);
  const parent = await mkdtemp(join(tmpdir(), 'jirasync-git-clone-'));
  const dir = join(parent, 'repo');
  const branch = opts.branch ? ['--branch', opts.branch] : [];
  await git(['clone', '--quiet', ...branch, url, dir], { env });
  return {
    dir,
    git: (...args) => git(args, { cwd: dir, env }),
    cleanup: () => rm(parent, { recursive: true, force: true }),
  };
}

/**
 * Pushes one commit to branch as another writer would: files written, paths removed. Returns the
 * new commit id. Works on an empty repository and on a branch that does not exist yet.
 */
export async function pushChange(
  server: Pick<GitServer, 'caFile' | 'username' | 'password'>,
  url: string,
  change: { branch: string; files?: Record<string, string>; remove?: string[]; message?: string },
): Promise<string> {
  const env = gitCliEnv(server);
  const parent = await mkdtemp(join(tmpdir(), 'jirasync-git-writer-'));
  const dir = join(parent, 'repo');
  const g = (...args: string[]) => git(args, { cwd: dir, env });
  try {
    await git(['init', '--quiet', `--initial-branch=${change.branch}`, dir], { env });
    await g('remote', 'add', 'origin', url);
    const remote = await g('ls-remote', 'origin', `refs/heads/${change.branch}`);
    if (remote.trim()) {
      await g('fetch', '--quiet', 'origin', change.branch);
      await g('reset', '--quiet', '--hard', 'FETCH_HEAD');
    }
    for (const [path, content] of Object.entries(change.files ?? {})) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    for (const path of change.remove ?? []) await g('rm', '-r', '--quiet', '--', path);
    await g('add', '--all', '.');
    await g('commit', '--quiet', '--allow-empty', '-m', change.message ?? 'change from another writer');
    await g('push', '--quiet', 'origin', `HEAD:refs/heads/${change.branch}`);
    return (await g('rev-parse', 'HEAD')).trim();
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
}
