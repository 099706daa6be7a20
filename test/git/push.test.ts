import t from 'tap';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GitPushConflictError, GitPushRejectedError } from '../../controller/git/git.ts';
import type { GitHooks } from '../../controller/git/destination.ts';
import { pushChange } from '../git-server/cli.ts';
import { describe, gitHarness } from './harness.ts';

const h = await gitHarness(t);

/** Hooks that record push results and the order of wrapped operations. */
function recorder(): { hooks: GitHooks; pushes: string[]; ops: string[] } {
  const pushes: string[] = [];
  const ops: string[] = [];
  return {
    pushes,
    ops,
    hooks: {
      onPush: ({ result }) => void pushes.push(result),
      wrap: (info, call) => {
        ops.push(info.operation);
        return call();
      },
    },
  };
}

const ours = (ua: string | undefined) => !!ua && ua.includes('jirasync');

t.test('a push from another writer between open() and commitAndPush() is replayed onto the new tip without force', async (t) => {
  const { name, url, target } = await h.repo({ seed: { 'README.md': 'v1\n', 'projects/P/issues/P-1.yaml': 'key: P-1\n' } });
  const rec = recorder();
  const co = await h.destination(rec.hooks).open(target);
  const base = co.baseCommit;
  await co.writeFile('projects/P/issues/P-1.yaml', 'key: P-1\nsummary: ours\n');
  await co.writeFile('projects/P/issues/P-2.yaml', 'key: P-2\n');
  await co.writeFile('projects/P/issues/P-3.yaml', 'key: P-3\n');
  const theirs = await pushChange(h.server, url, {
    branch: 'main',
    files: { 'README.md': 'v2 by someone else\n', 'projects/P/issues/P-1.yaml': 'key: P-1\nsummary: theirs\n', 'projects/P/issues/P-3.yaml': 'key: P-3\n' },
  });
  const res = await co.commitAndPush(describe);
  t.equal(res.pushRetries, 1);
  t.same(res.diff, { added: ['projects/P/issues/P-2.yaml'], modified: ['projects/P/issues/P-1.yaml'], removed: [] }, 'the diff is against the new tip');
  t.same(rec.pushes, ['rejected', 'success']);
  t.ok(rec.ops.indexOf('fetch', rec.ops.indexOf('push')) > 0, 'the new tip was fetched after the rejected push');
  t.equal(res.commit, await h.tip(name));
  t.equal((await h.bare(name, 'log', '-1', '--format=%P', 'main')).trim(), theirs, 'our commit sits on top of theirs');
  t.equal((await h.bare(name, 'rev-list', '--count', 'main')).trim(), '3');
  t.equal((await h.bare(name, 'merge-base', '--is-ancestor', base!, theirs)).trim(), '');
  t.equal(await h.bare(name, 'show', 'main:README.md'), 'v2 by someone else\n', 'their change is kept');
  t.equal(await h.bare(name, 'show', 'main:projects/P/issues/P-1.yaml'), 'key: P-1\nsummary: ours\n', 'our owned file wins');
  t.equal(await h.bare(name, 'show', 'main:projects/P/issues/P-2.yaml'), 'key: P-2\n');
  t.equal(await h.bare(name, 'fsck', '--strict', '--no-progress'), '');
});

t.test('a race lost at the ref update itself is detected and replayed', async (t) => {
  const { name, url, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const rec = recorder();
  const co = await h.destination(rec.hooks).open(target);
  await co.writeFile('b.yaml', 'b\n');
  let theirs = '';
  let armed = true;
  h.server.intercept = async (req) => {
    if (armed && req.method === 'POST' && req.url?.endsWith('/git-receive-pack') && ours(req.headers['user-agent'])) {
      armed = false;
      theirs = await pushChange(h.server, url, { branch: 'main', files: { 'c.yaml': 'c\n' } });
    }
    return false;
  };
  t.teardown(() => void (h.server.intercept = undefined));
  const res = await co.commitAndPush(describe);
  t.equal(res.pushRetries, 1);
  t.same(rec.pushes, ['rejected', 'success']);
  t.equal((await h.bare(name, 'log', '-1', '--format=%P', 'main')).trim(), theirs);
  t.same((await h.bare(name, 'ls-tree', '--name-only', 'main')).trim().split('\n'), ['a.yaml', 'b.yaml', 'c.yaml']);
});

t.test('when another writer already pushed the same change, the replay makes no commit', async (t) => {
  const { name, url, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const co = await h.destination().open(target);
  await co.writeFile('b.yaml', 'b\n');
  const theirs = await pushChange(h.server, url, { branch: 'main', files: { 'b.yaml': 'b\n' } });
  const res = await co.commitAndPush(describe);
  t.equal(res.commit, undefined);
  t.equal(res.pushRetries, 1);
  t.equal(await h.tip(name), theirs);
});

t.test('a remote that keeps moving ends in a retryable conflict after the bounded attempts, nothing forced', async (t) => {
  const { name, url, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const rec = recorder();
  const co = await h.destination(rec.hooks, { maxPushAttempts: 3 }).open(target);
  await co.writeFile('mine.yaml', 'm\n');
  const theirs: string[] = [];
  h.server.intercept = async (req) => {
    if (req.url?.includes('service=git-receive-pack') && ours(req.headers['user-agent'])) {
      theirs.push(await pushChange(h.server, url, { branch: 'main', files: { [`t${theirs.length}.yaml`]: 'x\n' } }));
    }
    return false;
  };
  t.teardown(() => void (h.server.intercept = undefined));
  const err = await co.commitAndPush(describe).catch((e: unknown) => e);
  h.server.intercept = undefined;
  t.type(err, GitPushConflictError);
  t.equal((err as GitPushConflictError).retryable, true);
  t.equal((err as GitPushConflictError).kind, 'conflict');
  t.match((err as Error).message, /gave up after 3 push attempts/);
  t.same(rec.pushes, ['rejected', 'rejected', 'rejected']);
  t.equal(theirs.length, 3);
  t.equal(await h.tip(name), theirs[2], 'the remote is at the other writer\'s last commit');
  t.equal((await h.bare(name, 'rev-list', '--count', 'main')).trim(), '4', 'every commit of theirs is still there');
  t.equal((await h.bare(name, 'log', '--format=%an', 'main')).includes('JIRASync Bot'), false, 'none of ours landed');
});

t.test('a push the server refuses (pre-receive hook) fails at once as not retryable', async (t) => {
  const { name, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const hook = join(h.server.barePath(name), 'hooks', 'pre-receive');
  await writeFile(hook, '#!/bin/sh\necho "main is protected" >&2\nexit 1\n');
  await chmod(hook, 0o755);
  const before = await h.tip(name);
  const rec = recorder();
  const co = await h.destination(rec.hooks).open(target);
  await co.writeFile('b.yaml', 'b\n');
  const err = await co.commitAndPush(describe).catch((e: unknown) => e);
  t.type(err, GitPushRejectedError);
  t.equal((err as GitPushRejectedError).retryable, false);
  t.match((err as Error).message, /push to main rejected by the server: pre-receive hook declined/);
  t.same(rec.pushes, ['rejected']);
  t.equal(await h.tip(name), before);
});
