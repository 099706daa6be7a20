import t from 'tap';
import { request } from 'node:https';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { startGitServer, type GitServer } from './server.ts';
import { cloneRepo, pushChange } from './cli.ts';

function get(server: GitServer, path: string, auth?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.baseUrl}${path}`, { ca: server.caPem, headers: auth ? { Authorization: auth } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

t.test('the test git server', async (t) => {
  const server = await startGitServer();
  t.teardown(() => server.stop());

  t.test('listens on 127.0.0.1 over HTTPS with a certificate signed by its CA', async (t) => {
    t.match(server.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    t.match(server.caPem, /BEGIN CERTIFICATE/);
    t.equal(await readFile(server.caFile, 'utf8'), server.caPem);
    const res = await get(server, '/x.git/info/refs?service=git-upload-pack');
    t.equal(res.status, 401, 'the TLS handshake succeeded with only the CA trusted');
  });

  t.test('answers wrong or missing credentials with 401 and a Basic challenge', async (t) => {
    await server.createRepo('auth');
    for (const auth of [undefined, basic(server.username, 'wrong'), basic('someone', server.password)]) {
      const res = await get(server, '/auth.git/info/refs?service=git-upload-pack', auth);
      t.equal(res.status, 401);
      t.match(String(res.headers['www-authenticate']), /^Basic realm=/);
    }
  });

  t.test('answers an unknown repository with 404', async (t) => {
    const res = await get(server, '/nope.git/info/refs?service=git-upload-pack', basic(server.username, server.password));
    t.equal(res.status, 404);
  });

  t.test('serves the smart HTTP ref advertisement through git http-backend', async (t) => {
    await server.createRepo('adv');
    const res = await get(server, '/adv.git/info/refs?service=git-receive-pack', basic(server.username, server.password));
    t.equal(res.status, 200);
    t.equal(res.headers['content-type'], 'application/x-git-receive-pack-advertisement');
    t.match(res.body, /# service=git-receive-pack/);
  });

  t.test('a seeded repository clones with the git CLI, symlinks included', async (t) => {
    const url = await server.createRepo('team/seeded', {
      defaultBranch: 'trunk',
      seed: { 'README.md': 'hello\n', 'a/b/c.txt': 'deep\n' },
      seedSymlinks: { 'links/readme': '../README.md' },
    });
    t.equal(url, `${server.baseUrl}/team/seeded.git`);
    const clone = await cloneRepo(server, url);
    t.teardown(() => clone.cleanup());
    t.equal((await clone.git('rev-parse', '--abbrev-ref', 'HEAD')).trim(), 'trunk');
    t.equal(await readFile(join(clone.dir, 'a/b/c.txt'), 'utf8'), 'deep\n');
    t.ok((await lstat(join(clone.dir, 'links/readme'))).isSymbolicLink());
    t.equal(await readlink(join(clone.dir, 'links/readme')), '../README.md');
    t.equal(await readFile(join(clone.dir, 'links/readme'), 'utf8'), 'hello\n');
  });

  t.test('accepts pushes from another writer, to an empty repository and on top of history', async (t) => {
    const url = await server.createRepo('pushed');
    const first = await pushChange(server, url, { branch: 'main', files: { 'one.txt': '1\n' } });
    const second = await pushChange(server, url, { branch: 'main', files: { 'two.txt': '2\n' }, remove: ['one.txt'] });
    const clone = await cloneRepo(server, url, { branch: 'main' });
    t.teardown(() => clone.cleanup());
    t.equal((await clone.git('rev-parse', 'HEAD')).trim(), second);
    t.equal((await clone.git('rev-parse', 'HEAD~1')).trim(), first);
    t.equal((await clone.git('ls-tree', '-r', '--name-only', 'HEAD')).trim(), 'two.txt');
    t.ok(server.requests.some((r) => r.method === 'POST' && r.path === '/pushed.git/git-receive-pack' && r.status === 200));
  });

  t.test('the credentials never appear in a failing git command error', async (t) => {
    const err = await cloneRepo(server, `${server.baseUrl}/missing.git`).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    t.ok(err, 'cloning a missing repository fails');
    const text = `${err?.message} ${String((err?.cause as Error | undefined)?.message)}`;
    t.notOk(text.includes(server.password));
    t.notOk(text.includes(Buffer.from(`${server.username}:${server.password}`).toString('base64')));
  });
});
