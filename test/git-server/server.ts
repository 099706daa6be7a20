/**
 * A real git server for tests: a small HTTPS server on 127.0.0.1 in front of git's own
 * `git http-backend` (CGI), with Basic auth, serving bare repositories created per test.
 * Wrong credentials get 401 with WWW-Authenticate, unknown repositories 404; everything else is
 * what real git answers, so clients are tested against the smart HTTP protocol as git speaks it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdtemp, mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { makeTestTls } from './tls.ts';

const run = promisify(execFile);

export interface CreateRepoOptions {
  /** The branch HEAD names (default 'main'); it does not exist until something is pushed or seeded. */
  defaultBranch?: string;
  /** path -> content, committed on the default branch. */
  seed?: Record<string, string>;
  /** path -> symlink target, committed with the seed (mode 120000). */
  seedSymlinks?: Record<string, string>;
}

/** One request as the server saw it, for tests that assert what a client did (e.g. no push). */
export interface RecordedRequest {
  method: string;
  /** Path plus the service query, e.g. "/a.git/info/refs?service=git-receive-pack". */
  path: string;
  status: number;
}

export interface GitServer {
  /** https://127.0.0.1:PORT */
  baseUrl: string;
  username: string;
  password: string;
  caPem: string;
  caFile: string;
  /** Directory of the bare repositories. */
  root: string;
  /** Every request served so far, oldest first. */
  requests: RecordedRequest[];
  /** TLS connections accepted so far. */
  readonly connections: number;
  /**
   * Called before each authenticated request; return true when it wrote the response itself.
   * Lets a test inject a failure or act between two requests of one client operation.
   */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Creates a bare repository and returns its https URL (`${baseUrl}/${name}.git`). */
  createRepo(name: string, opts?: CreateRepoOptions): Promise<string>;
  /** The bare repository's directory on disk. */
  barePath(name: string): string;
  stop(): Promise<void>;
}

/** Environment for git CLI calls of the test harness: no user or system config, fixed identity. */
export function hermeticGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: tmpdir(),
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Test Seeder',
    GIT_AUTHOR_EMAIL: 'seeder@example.test',
    GIT_COMMITTER_NAME: 'Test Seeder',
    GIT_COMMITTER_EMAIL: 'seeder@example.test',
    LANG: 'C',
    ...extra,
  };
}

let execPath: Promise<string> | undefined;
function gitExecPath(): Promise<string> {
  execPath ??= run('git', ['--exec-path']).then((r) => r.stdout.trim());
  return execPath;
}

const REPO_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;

function repoDirName(name: string): string {
  const base = name.endsWith('.git') ? name.slice(0, -4) : name;
  if (!REPO_NAME.test(base) || base.includes('..')) throw new Error(`test git server: invalid repository name ${JSON.stringify(name)}`);
  return `${base}.git`;
}

/** Starts the server on 127.0.0.1 (a port the kernel picks) with fresh certificates and repos. */
export async function startGitServer(opts: { username?: string; password?: string } = {}): Promise<GitServer> {
  const username = opts.username ?? 'jirasync';
  const password = opts.password ?? randomBytes(12).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'jirasync-git-server-'));
  const root = join(dir, 'repos');
  await mkdir(root, { recursive: true });
  const tls = await makeTestTls(dir);
  const backend = join(await gitExecPath(), 'git-http-backend');
  const expected = Buffer.from(`Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
  const children = new Set<ChildProcess>();
  const requests: RecordedRequest[] = [];

  function authorized(req: IncomingMessage): boolean {
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const service = url.searchParams.get('service');
    const entry: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname + (service ? `?service=${service}` : ''), status: 0 };
    requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    if (!authorized(req)) {
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="jirasync test git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    if (server.intercept && (await server.intercept(req, res))) return;
    const m = /^\/(.+?\.git)(\/.*)$/.exec(url.pathname);
    const exists = m ? await stat(join(root, m[1])).then((s) => s.isDirectory(), () => false) : false;
    if (!m || !exists || m[1].includes('..')) {
      req.resume();
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('repository not found\n');
      return;
    }
    cgi(req, res, url, m[1] + m[2].replace(/^\/+/, '/'));
  }

  /** Runs git http-backend for one request and relays its CGI response. */
  function cgi(req: IncomingMessage, res: ServerResponse, url: URL, pathInfo: string): void {
    const env: NodeJS.ProcessEnv = {
      ...hermeticGitEnv(),
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: `/${pathInfo}`,
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REMOTE_USER: username,
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    };
    if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding']);
    if (req.headers['git-protocol']) env.HTTP_GIT_PROTOCOL = String(req.headers['git-protocol']);
    const child = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.on('exit', () => children.delete(child));
    child.stdin.on('error', () => {});
    req.pipe(child.stdin);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let head = Buffer.alloc(0);
    let headersSent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      const endLf = head.indexOf('\n\n');
      const [at, sep] = end >= 0 && (endLf < 0 || end < endLf) ? [end, 4] : [endLf, 2];
      if (at < 0) return;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, at).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      headersSent = true;
      res.write(head.subarray(at + sep));
    });
    child.on('close', (code) => {
      if (!headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`git http-backend failed (exit ${code}): ${stderr}\n`);
      } else res.end();
    });
    child.on('error', (err) => {
      if (!headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`git http-backend did not start: ${err.message}\n`);
      }
    });
  }

  const https: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`test git server error: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  let connections = 0;
  https.on('secureConnection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    https.once('error', reject);
    https.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = https.address();
  if (!addr || typeof addr !== 'object') throw new Error('test git server: no listening address');
  const baseUrl = `https://127.0.0.1:${addr.port}`;

  const server: GitServer = {
    baseUrl,
    username,
    password,
    caPem: tls.caPem,
    caFile: tls.caFile,
    root,
    requests,
    get connections() {
      return connections;
    },
    barePath: (name) => join(root, repoDirName(name)),
    async createRepo(name, o = {}) {
      const bare = join(root, repoDirName(name));
      const branch = o.defaultBranch ?? 'main';
      await mkdir(dirname(bare), { recursive: true });
      const env = hermeticGitEnv();
      await run('git', ['init', '--quiet', '--bare', `--initial-branch=${branch}`, bare], { env });
      // As on a hosting service: no `git gc --auto` run by every push (a process per push, which
      // a fleet benchmark would count against the controller's share of this machine's CPU).
      await appendFile(join(bare, 'config'), '[receive]\n\tautogc = false\n');
      if (o.seed || o.seedSymlinks) await seedRepo(bare, o.seed ?? {}, o.seedSymlinks ?? {}, env);
      return `${baseUrl}/${repoDirName(name)}`;
    },
    async stop() {
      for (const c of children) c.kill('SIGKILL');
      await new Promise<void>((resolve) => {
        https.close(() => resolve());
        https.closeAllConnections();
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Commits the seed files on HEAD's branch of a bare repository, using a throwaway work tree. */
async function seedRepo(
  bare: string,
  files: Record<string, string>,
  links: Record<string, string>,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'jirasync-git-seed-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), content);
    }
    for (const [path, target] of Object.entries(links)) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await symlink(target, join(work, path));
    }
    const git = (...args: string[]) => run('git', ['--git-dir', bare, '--work-tree', work, ...args], { env });
    await git('add', '--all', '.');
    await git('commit', '--quiet', '-m', 'seed');
    await rm(join(bare, 'index'), { force: true });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
