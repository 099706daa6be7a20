import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GitHooks, GitTarget } from '../../controller/git/destination.ts';
import { pushChange } from '../git-server/cli.ts';
import { describe, gitHarness } from './harness.ts';

const h = await gitHarness(t);
const ours = (ua: string | undefined) => !!ua && ua.includes('jirasync');

/** Hooks that abort the controller when an operation starts. */
function abortAt(op: string, ac: AbortController): GitHooks {
  return {
    wrap: (info, call) => {
      if (info.operation === op) ac.abort();
      return call();
    },
  };
}

/** A second, uncancelled run on the same cache commits normally. */
async function nextRunWorks(t: Test, target: GitTarget, name: string): Promise<void> {
  const co = await h.destination().open(target);
  await co.writeFile('after.yaml', 'after\n');
  const res = await co.commitAndPush(describe);
  t.equal(res.commit, await h.tip(name), 'a later run on the same cache commits');
  t.equal(await h.bare(name, 'fsck', '--strict', '--no-progress'), '');
}

t.test('an already aborted signal rejects open without a request', async (t) => {
  const { target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const ac = new AbortController();
  ac.abort();
  const mark = h.server.requests.length;
  await t.rejects(h.destination().open(target, ac.signal), { name: 'AbortError' });
  t.equal(h.server.requests.length, mark);
});

t.test('cancelled while cloning, open rejects and the next run rebuilds the cache', async (t) => {
  const { name, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const ac = new AbortController();
  h.server.intercept = async (req) => {
    if (req.method === 'POST' && req.url?.endsWith('/git-upload-pack') && ours(req.headers['user-agent'])) {
      ac.abort();
      await sleep(50);
    }
    return false;
  };
  t.teardown(() => void (h.server.intercept = undefined));
  await t.rejects(h.destination().open(target, ac.signal), { name: 'AbortError' });
  h.server.intercept = undefined;
  await nextRunWorks(t, target, name);
});

for (const op of ['build-tree', 'commit', 'push'] as const) {
  t.test(`cancelled when ${op} starts, the remote is untouched`, async (t) => {
    const { name, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
    const before = await h.tip(name);
    const ac = new AbortController();
    const co = await h.destination(abortAt(op, ac)).open(target, ac.signal);
    await co.writeFile('b.yaml', 'b\n');
    const pushes = h.server.requests.filter((r) => r.path.endsWith('/git-receive-pack')).length;
    await t.rejects(co.commitAndPush(describe, ac.signal), { name: 'AbortError' });
    t.equal(await h.tip(name), before);
    t.equal(h.server.requests.filter((r) => r.path.endsWith('/git-receive-pack')).length, pushes, 'no pack was sent');
    await nextRunWorks(t, target, name);
  });
}

t.test('cancelled while the pack is on the wire, the remote is untouched or fully committed', async (t) => {
  const { name, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const before = await h.tip(name);
  const ac = new AbortController();
  const co = await h.destination().open(target, ac.signal);
  for (let i = 0; i < 200; i++) await co.writeFile(`many/f${i}.yaml`, `value: ${i}\n${'x'.repeat(i * 10)}\n`);
  h.server.intercept = async (req) => {
    if (req.method === 'POST' && req.url?.endsWith('/git-receive-pack')) {
      ac.abort();
      await sleep(100);
    }
    return false;
  };
  t.teardown(() => void (h.server.intercept = undefined));
  await t.rejects(co.commitAndPush(describe, ac.signal), { name: 'AbortError' });
  h.server.intercept = undefined;
  const after = await h.tip(name);
  if (after === before) t.pass('the remote is untouched');
  else {
    const files = (await h.bare(name, 'ls-tree', '-r', '--name-only', after)).trim().split('\n');
    t.equal(files.filter((f) => f.startsWith('many/')).length, 200, 'the whole commit landed');
  }
  t.equal(await h.bare(name, 'fsck', '--strict', '--no-progress'), '');
  await nextRunWorks(t, target, name);
});

t.test('cancelled while fetching the moved tip for a replay, the remote keeps only the other writer', async (t) => {
  const { name, url, target } = await h.repo({ seed: { 'a.yaml': 'a\n' } });
  const ac = new AbortController();
  const co = await h.destination(abortAt('fetch', ac)).open(target, ac.signal);
  await co.writeFile('b.yaml', 'b\n');
  const theirs = await pushChange(h.server, url, { branch: 'main', files: { 'c.yaml': 'c\n' } });
  await t.rejects(co.commitAndPush(describe, ac.signal), { name: 'AbortError' });
  t.equal(await h.tip(name), theirs);
  await nextRunWorks(t, target, name);
});
