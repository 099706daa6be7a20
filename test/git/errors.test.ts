import t, { type Test } from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  GitAuthError,
  GitInvalidTargetError,
  GitRepositoryNotFoundError,
  GitTlsError,
  GitUnavailableError,
  type GitError,
} from '../../controller/git/git.ts';
import { freePort } from '../env/ports.ts';
import { pushChange } from '../git-server/cli.ts';
import { describe, gitHarness } from './harness.ts';

const h = await gitHarness(t);

async function failure(p: Promise<unknown>): Promise<GitError> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as GitError,
  );
}

function secretFree(t: Test, text: string): void {
  const { username, password } = h.server;
  t.notOk(text.includes(password), 'the password does not appear');
  t.notOk(text.includes(Buffer.from(`${username}:${password}`).toString('base64')), 'the Basic credentials do not appear');
}

t.test('wrong credentials fail fast with an auth error that names the repository, not the token', async (t) => {
  const { url, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const mark = h.server.requests.length;
  const err = await failure(h.destination().open({ ...target, auth: { username: h.server.username, password: 'wrong-password-123' } }));
  t.type(err, GitAuthError);
  t.equal(err.kind, 'auth');
  t.equal(err.status, 401);
  t.equal(err.retryable, false);
  t.match(err.message, new RegExp(`${url.replace(/[.]/g, '\\.')}: authentication failed \\(401\\)`));
  t.notOk(err.message.includes('wrong-password-123'));
  t.equal(h.server.requests.length - mark, 1, 'one request, no retry loop');
});

t.test('missing credentials for a protected repository are an auth error too', async (t) => {
  const { target } = await h.repo();
  const err = await failure(h.destination().open({ ...target, auth: undefined }));
  t.type(err, GitAuthError);
  t.equal(err.status, 401);
});

t.test('a token that may read but not push fails at push time with a 403 auth error', async (t) => {
  const { name, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const before = await h.tip(name);
  const co = await h.destination().open(target);
  await co.writeFile('b.yaml', 'b\n');
  h.server.intercept = (req, res) => {
    if (!req.url?.includes('receive-pack')) return false;
    res.writeHead(403, { 'Content-Type': 'text/plain' }).end('forbidden\n');
    return true;
  };
  t.teardown(() => void (h.server.intercept = undefined));
  const err = await failure(co.commitAndPush(describe));
  t.type(err, GitAuthError);
  t.equal(err.status, 403);
  t.match(err.message, /access denied \(403\)/);
  secretFree(t, err.message);
  t.equal(await h.tip(name), before);
});

t.test('a repository that does not exist fails fast with a not-found error', async (t) => {
  const { target } = await h.repo();
  const err = await failure(h.destination().open({ ...target, url: `${h.server.baseUrl}/no-such-repo.git` }));
  t.type(err, GitRepositoryNotFoundError);
  t.equal(err.kind, 'notFound');
  t.equal(err.status, 404);
  t.equal(err.retryable, false);
  t.match(err.message, /no-such-repo\.git: repository not found \(404\)/);
});

t.test('a server certificate from an untrusted CA is a TLS error', async (t) => {
  const { target } = await h.repo();
  const err = await failure(h.destination().open({ ...target, caCertificates: undefined }));
  t.type(err, GitTlsError);
  t.equal(err.kind, 'tls');
  t.match(err.message, /TLS handshake failed \([A-Z_]+\): is the server's CA in caCertificates\?/);
});

t.test('targets that cannot work are refused before any request', async (t) => {
  const { target } = await h.repo();
  const mark = h.server.requests.length;
  const cases: [string, Partial<typeof target>, RegExp][] = [
    ['plain http', { url: target.url.replace('https:', 'http:') }, /must use https:\/\//],
    ['credentials in the URL', { url: target.url.replace('https://', 'https://u:p@') }, /must not contain credentials/],
    ['not a URL', { url: 'not a url' }, /not a valid URL/],
    ['branch with ..', { branch: 'a..b' }, /invalid branch name/],
    ['branch with a space', { branch: 'a b' }, /invalid branch name/],
    ['a branch component ending in .lock', { branch: 'release.lock/1' }, /invalid branch name/],
  ];
  for (const [name, patch, msg] of cases) {
    const err = await failure(h.destination().open({ ...target, ...patch }));
    t.type(err, GitInvalidTargetError, name);
    t.match(err.message, msg, name);
    t.equal(err.retryable, false);
  }
  t.equal(h.server.requests.length, mark);
});

t.test('a connection refused is a retryable unavailable error', async (t) => {
  const { target } = await h.repo();
  const port = await freePort();
  const err = await failure(h.destination().open({ ...target, url: `https://127.0.0.1:${port}/x.git` }));
  t.type(err, GitUnavailableError);
  t.equal(err.retryable, true);
  t.match(err.message, /connection failed \(ECONNREFUSED\)/);
});

t.test('a server error and a server that does not speak git are retryable unavailable errors', async (t) => {
  const { target } = await h.repo();
  for (const [status, type, body, msg] of [
    [500, 'text/plain', 'boom', /unexpected HTTP 500/],
    [200, 'text/html', '<html>login</html>', /not a git smart HTTP server/],
  ] as const) {
    h.server.intercept = (_req, res) => {
      res.writeHead(status, { 'Content-Type': type }).end(body);
      return true;
    };
    const err = await failure(h.destination().open(target));
    h.server.intercept = undefined;
    t.type(err, GitUnavailableError);
    t.equal(err.retryable, true);
    t.match(err.message, msg);
  }
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

t.test('the token never reaches the cache directory', async (t) => {
  const { url, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const dest = h.destination();
  const co = await dest.open(target);
  await co.writeFile('b.yaml', 'b\n');
  await co.commitAndPush(describe);
  await pushChange(h.server, url, { branch: 'main', files: { 'c.yaml': 'c\n' } });
  await (await dest.open(target)).commitAndPush(describe); // a run that fetches
  const files = await filesUnder(target.cacheDir);
  t.ok(files.some((f) => f.endsWith('config')));
  for (const f of files) secretFree(t, (await readFile(f)).toString('latin1'));
  t.match(await readFile(join(target.cacheDir, 'config'), 'utf8'), `url = ${url}`);
});
