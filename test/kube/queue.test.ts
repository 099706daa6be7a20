import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkQueue } from '../../controller/kube/queue.ts';

t.test('a key is never run twice at once, and an add while running re-runs it once afterwards', async (t) => {
  const q = new WorkQueue();
  const log: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const done = q.run(async (key) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    log.push(`start ${key}`);
    await sleep(100);
    log.push(`end ${key}`);
    running--;
  }, 4);
  q.add('a');
  await sleep(20);
  q.add('a');
  q.add('a');
  await sleep(400);
  q.stop();
  await done;
  t.same(log, ['start a', 'end a', 'start a', 'end a']);
  t.equal(maxRunning, 1);
});

t.test('concurrency is limited and duplicates waiting in the queue run once', async (t) => {
  const q = new WorkQueue();
  let running = 0;
  let maxRunning = 0;
  const seen: string[] = [];
  for (const k of ['a', 'b', 'c', 'a', 'b']) q.add(k);
  const done = q.run(async (key) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    seen.push(key);
    await sleep(50);
    running--;
  }, 2);
  await sleep(300);
  q.stop();
  await done;
  t.same(seen.sort(), ['a', 'b', 'c']);
  t.equal(maxRunning, 2);
});

t.test('delayed adds fire after their delay; the earlier of two delays wins; forget cancels', async (t) => {
  const q = new WorkQueue();
  const seen: [string, number][] = [];
  const t0 = Date.now();
  const done = q.run(async (key) => void seen.push([key, Date.now() - t0]), 1);
  q.addAfter('x', 300);
  q.addAfter('x', 100);
  q.addAfter('y', 100);
  q.forget('y');
  await sleep(500);
  q.stop();
  await done;
  t.equal(seen.length, 1);
  t.equal(seen[0][0], 'x');
  t.ok(seen[0][1] >= 90 && seen[0][1] < 300, `ran after about 100 ms (${seen[0][1]})`);
});

t.test('restart aborts the running handler and runs the key again', async (t) => {
  const q = new WorkQueue();
  const aborted: boolean[] = [];
  let runs = 0;
  const done = q.run(async (_key, signal) => {
    runs++;
    await Promise.race([sleep(300), new Promise((r) => signal.addEventListener('abort', r))]);
    aborted.push(signal.aborted);
  }, 1);
  q.add('k');
  await sleep(50);
  q.restart('k', 'spec changed');
  await sleep(500);
  q.stop();
  await done;
  t.equal(runs, 2);
  t.same(aborted, [true, false]);
});

t.test('namespaces take turns and none runs more than its limit, so a busy tenant does not starve another', async (t) => {
  const q = new WorkQueue(undefined, { perNamespace: 2 });
  const order: string[] = [];
  const runningIn = new Map<string, number>();
  let maxBusy = 0;
  const done = q.run(async (key) => {
    const ns = key.split('/')[0];
    runningIn.set(ns, (runningIn.get(ns) ?? 0) + 1);
    if (ns === 'busy') maxBusy = Math.max(maxBusy, runningIn.get(ns) ?? 0);
    order.push(key);
    await sleep(30);
    runningIn.set(ns, (runningIn.get(ns) ?? 1) - 1);
  }, 4);
  for (let i = 0; i < 20; i++) q.add(`busy/s${i}`);
  q.add('quiet/only');
  await sleep(20);
  t.ok(order.includes('quiet/only'), `the quiet namespace's key started in the first round (${order.join(' ')})`);
  while (q.length > 0 || runningIn.get('busy')) await sleep(20);
  q.stop();
  await done;
  t.equal(maxBusy, 2, 'the busy namespace never ran more than 2 at once, with 4 workers');
  t.equal(order.filter((k) => k.startsWith('busy/')).length, 20, 'every key ran');
});
