/**
 * The typed StatusClient against the real server and API server: reading one status, listing,
 * typed errors, and the watch-style poll helper following a sync to completion.
 */
import t from 'tap';
import { StatusApiError, StatusClient } from './status-client.ts';
import { createServer } from '../../controller/server/server.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { captureLog } from '../fixtures/log-capture.ts';
import { runningStatus, setStatus } from './syncs.ts';
import { statusWorld } from './world.ts';

// A control plane this file started itself (run alone) is stopped at the end.
t.teardown(stopTestCluster);

const { admin, nsA, controllerKc, readerToken, nobodyToken, alpha, beta, cache } = await statusWorld('client');
const server = createServer({
  registryMetrics: async () => ({ contentType: 'text/plain', body: '' }),
  ready: () => ({ ok: true, detail: 'ok' }),
  role: () => 'leader',
  getSync: (ns, name) => cache.getSync(ns, name),
  listSyncs: () => cache.listSyncs(),
  kc: controllerKc,
  defaultNamespace: nsA,
  log: captureLog().log,
});
const listening = await server.listen(0, '127.0.0.1');
t.teardown(() => listening.close());
const reader = new StatusClient({ baseUrl: `${listening.url}/`, token: readerToken });

t.test('getJobStatus returns the status, by namespace or in the server default namespace', async (t) => {
  t.same(await reader.getJobStatus('alpha', nsA), alpha.status);
  t.same(await reader.getJobStatus('beta'), beta.status);
  const viaFunction = new StatusClient({ baseUrl: listening.url, token: async () => readerToken });
  t.equal((await viaFunction.getJobStatus('alpha', nsA)).progress?.percentage, 42, 'a token function is called per request');
});

t.test('listSyncs returns what the token may read', async (t) => {
  const list = await reader.listSyncs();
  t.same(list.map((s) => `${s.namespace}/${s.name}:${s.status.phase}`), [`${nsA}/alpha:Running`, `${nsA}/beta:Completed`]);
});

t.test('errors arrive as StatusApiError with the stable code', async (t) => {
  const cases = [
    { client: new StatusClient({ baseUrl: listening.url, token: 'garbage' }), name: 'alpha', status: 401, code: 'Unauthorized' },
    { client: new StatusClient({ baseUrl: listening.url, token: nobodyToken }), name: 'alpha', status: 403, code: 'Forbidden' },
    { client: reader, name: 'missing', status: 404, code: 'NotFound' },
  ];
  for (const c of cases) {
    const err = await c.client.getJobStatus(c.name, nsA).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(err, StatusApiError, `${c.code} is a StatusApiError`);
    t.equal((err as StatusApiError).status, c.status);
    t.equal((err as StatusApiError).code, c.code);
    t.notOk(String((err as Error).message).includes(nobodyToken), 'no token in the message');
  }
  const down = new StatusClient({ baseUrl: 'http://127.0.0.1:1', token: readerToken, timeoutMs: 2000 });
  await t.rejects(down.getJobStatus('alpha', nsA), { code: 'Unavailable', status: 0 });
});

t.test('watch polls until the predicate holds and yields that status last', async (t) => {
  await setStatus(admin, nsA, 'alpha', runningStatus(0));
  await cache.refresh();
  const seen: number[] = [];
  let polls = 0;
  for await (const s of reader.watch('alpha', { namespace: nsA, intervalMs: 100, until: (st) => st.phase === 'Completed' })) {
    seen.push(s.progress?.percentage ?? -1);
    polls++;
    // The "controller" moves the sync on every other poll, through the real API server.
    if (polls === 2) await setStatus(admin, nsA, 'alpha', runningStatus(50)).then(() => cache.refresh());
    if (polls === 4) await setStatus(admin, nsA, 'alpha', runningStatus(100)).then(() => cache.refresh());
    if (polls > 20) break;
  }
  t.same(seen, [0, 0, 50, 50, 100], 'every poll yielded, the completed status last');
});

t.test('watch ends quietly when its signal aborts', async (t) => {
  await setStatus(admin, nsA, 'alpha', runningStatus(60));
  await cache.refresh();
  const ac = new AbortController();
  const seen: number[] = [];
  setTimeout(() => ac.abort(), 350);
  const started = performance.now();
  for await (const s of reader.watch('alpha', { namespace: nsA, intervalMs: 100, signal: ac.signal })) seen.push(s.progress?.percentage ?? -1);
  t.ok(performance.now() - started < 1000, 'it stopped soon after the abort');
  t.ok(seen.length >= 2 && seen.every((p) => p === 60), `polled until aborted (${seen.length} polls)`);
});
