/**
 * The HTTP server against the real API server: probes, /metrics from the real registry, and the
 * status API's 401/403/404/200 answers for ServiceAccount tokens the API server issued, with the
 * controller itself acting as a ServiceAccount that has only system:auth-delegator.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JIRASync } from '../../controller/api/jirasync.ts';
import { createMetrics, renderMetrics } from '../../controller/observability/metrics.ts';
import { createServer, type Role } from '../../controller/server/server.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { captureLog } from '../fixtures/log-capture.ts';
import { startTcpProxy } from '../fixtures/tcp-proxy.ts';
import { grantGetJirasyncs, revoke, serviceAccountToken } from './identities.ts';
import { createSync, runningStatus } from './syncs.ts';
import { statusWorld } from './world.ts';

// A control plane this file started itself (run alone) is stopped at the end.
t.teardown(stopTestCluster);

const world = await statusWorld('status');
const { nsA, nsB, controllerKc, readerToken, nobodyToken, alpha, beta, gamma, cache } = world;
const cluster = { kc: world.admin };

const captured = captureLog();
const metrics = createMetrics();
metrics.progress.set({ namespace: nsA, name: 'alpha' }, 42);
let readiness = { ok: true, detail: 'informer synced, role leader' };
let role: Role = 'leader';

async function start(opts: { defaultNamespace?: string; authCacheTtlMs?: number } = {}) {
  const server = createServer({
    registryMetrics: (accept) => renderMetrics(metrics, accept),
    ready: () => readiness,
    role: () => role,
    getSync: (ns, name) => cache.getSync(ns, name),
    listSyncs: () => cache.listSyncs(),
    kc: controllerKc,
    log: captured.log,
    ...opts,
  });
  const listening = await server.listen(0, '127.0.0.1');
  t.teardown(() => listening.close());
  return listening.url;
}

const base = await start();

async function get(path: string, token?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text(), headers: res.headers };
}

t.test('/healthz answers while the process runs; /readyz follows readiness and names the role', async (t) => {
  const h = await get('/healthz');
  t.equal(h.status, 200);
  t.equal(h.text, 'ok');
  const r = await get('/readyz');
  t.equal(r.status, 200);
  t.same(JSON.parse(r.text), { ready: true, role: 'leader', detail: 'informer synced, role leader' });
  readiness = { ok: false, detail: 'informer syncing' };
  role = 'starting';
  const nr = await get('/readyz');
  t.equal(nr.status, 503);
  t.same(JSON.parse(nr.text), { ready: false, role: 'starting', detail: 'informer syncing' });
  readiness = { ok: true, detail: 'informer synced, role standby' };
  role = 'standby';
  t.same(JSON.parse((await get('/readyz')).text), { ready: true, role: 'standby', detail: 'informer synced, role standby' }, 'a healthy standby is ready');
});

t.test('/metrics serves the registry, in OpenMetrics when the scraper asks for it', async (t) => {
  const plain = await get('/metrics');
  t.equal(plain.status, 200);
  t.match(plain.type, /^text\/plain; version=0\.0\.4/);
  t.match(plain.text, new RegExp(`jirasync_progress_percentage\\{namespace="${nsA}",name="alpha"\\} 42`));
  t.notMatch(plain.text, /# EOF/);
  const om = await get('/metrics', undefined, { accept: 'application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5' });
  t.equal(om.status, 200);
  t.match(om.type, /^application\/openmetrics-text/);
  t.match(om.text, /# EOF\n?$/);
});

t.test('the status API answers 401 without a valid bearer token', async (t) => {
  for (const [what, token, headers] of [
    ['no token', undefined, {}],
    ['a garbage token', 'not-a-real-token.abc.def', {}],
    ['a Basic header', undefined, { authorization: 'Basic dXNlcjpwYXNz' }],
  ] as const) {
    const r = await get(`/api/v1/namespaces/${nsA}/syncs/alpha/status`, token, headers);
    t.equal(r.status, 401, `${what}: 401`);
    t.match(r.type, /^application\/json/);
    const body = JSON.parse(r.text) as { code: string; message: string };
    t.equal(body.code, 'Unauthorized', `${what}: code`);
    t.type(body.message, 'string');
    t.equal(r.headers.get('www-authenticate'), 'Bearer realm="jirasync"');
  }
  t.equal((await get('/api/v1/syncs')).status, 401, 'the list too');
});

t.test('a ServiceAccount without RBAC gets 403, whether or not the JIRASync exists', async (t) => {
  const r = await get(`/api/v1/namespaces/${nsA}/syncs/alpha/status`, nobodyToken);
  t.equal(r.status, 403);
  t.same(Object.keys(JSON.parse(r.text)).sort(), ['code', 'message']);
  t.equal(JSON.parse(r.text).code, 'Forbidden');
  t.match(JSON.parse(r.text).message, `system:serviceaccount:${nsA}:nobody`);
  t.equal((await get(`/api/v1/namespaces/${nsA}/syncs/missing/status`, nobodyToken)).status, 403, 'no existence leak');
});

t.test('the allowed ServiceAccount reads exactly {"data": <status>} by either path', async (t) => {
  const expected = JSON.stringify({ data: alpha.status });
  const byNamespacePath = await get(`/api/v1/namespaces/${nsA}/syncs/alpha/status`, readerToken);
  t.equal(byNamespacePath.status, 200);
  t.match(byNamespacePath.type, /^application\/json/);
  t.equal(byNamespacePath.text, expected, 'the body is the stored status under "data", nothing else');
  t.equal(JSON.parse(byNamespacePath.text).data.progress.percentage, 42, '.data.progress.percentage works');
  t.equal(byNamespacePath.headers.get('cache-control'), 'no-store');
  const byQuery = await get(`/api/v1/sync/alpha/status?namespace=${nsA}`, readerToken);
  t.equal(byQuery.status, 200);
  t.equal(byQuery.text, expected);
  t.equal((await get(`/api/v1/sync/beta/status?namespace=${nsA}`, readerToken)).text, JSON.stringify({ data: beta.status }));
});

t.test('the allowed ServiceAccount gets 404 for a missing JIRASync and 403 in another namespace', async (t) => {
  const missing = await get(`/api/v1/namespaces/${nsA}/syncs/missing/status`, readerToken);
  t.equal(missing.status, 404);
  t.same(JSON.parse(missing.text), { code: 'NotFound', message: `jirasync ${nsA}/missing not found` });
  const other = await get(`/api/v1/namespaces/${nsB}/syncs/gamma/status`, readerToken);
  t.equal(other.status, 403);
  t.equal(JSON.parse(other.text).code, 'Forbidden');
});

t.test('without ?namespace= the default namespace is used', async (t) => {
  t.equal((await get('/api/v1/sync/alpha/status', readerToken)).status, 403, "'default' by default, where the reader may not read");
  const other = await start({ defaultNamespace: nsA });
  const res = await fetch(`${other}/api/v1/sync/alpha/status`, { headers: { authorization: `Bearer ${readerToken}` } });
  t.equal(res.status, 200);
  t.equal(await res.text(), JSON.stringify({ data: alpha.status }));
});

t.test('malformed names are rejected with 400 after authentication', async (t) => {
  const bad = await get(`/api/v1/sync/alpha/status?namespace=Not_Valid`, readerToken);
  t.equal(bad.status, 400);
  t.equal(JSON.parse(bad.text).code, 'BadRequest');
  t.equal((await get(`/api/v1/sync/alpha/status?namespace=Not_Valid`)).status, 401, 'but 401 first without a token');
  const unknown = await get('/api/v2/whatever', readerToken);
  t.equal(unknown.status, 404);
  t.equal(JSON.parse(unknown.text).code, 'NotFound');
});

t.test('/api/v1/syncs lists only what the caller may get', async (t) => {
  const reader = await get('/api/v1/syncs', readerToken);
  t.equal(reader.status, 200);
  const list = JSON.parse(reader.text) as { data: { namespace: string; name: string; syncType: string; status: unknown }[] };
  t.same(list.data, [
    { namespace: nsA, name: 'alpha', syncType: 'single', status: alpha.status },
    { namespace: nsA, name: 'beta', syncType: 'single', status: beta.status },
  ]);
  t.same(JSON.parse((await get('/api/v1/syncs', nobodyToken)).text), { data: [] }, 'nothing for the account without RBAC');
});

t.test('RBAC on a single name (resourceNames) reads that JIRASync only, and the list (one review per namespace) shows none', async (t) => {
  const token = await serviceAccountToken(cluster.kc, nsB, 'one-name');
  await grantGetJirasyncs(cluster.kc, nsB, { namespace: nsB, name: 'one-name' }, ['gamma']);
  await createSync(cluster.kc, nsB, 'delta', runningStatus(5));
  await cache.refresh();
  const list = JSON.parse((await get('/api/v1/syncs', token)).text) as { data: { name: string }[] };
  t.same(list.data.map((s) => s.name), [], 'the list is reviewed per namespace, never per object');
  t.equal((await get(`/api/v1/namespaces/${nsB}/syncs/gamma/status`, token)).text, JSON.stringify({ data: gamma.status }));
  t.equal((await get(`/api/v1/namespaces/${nsB}/syncs/delta/status`, token)).status, 403);
});

t.test('answers are cached briefly: a revoked binding still works until the cache expires, then 403', async (t) => {
  const shortLived = await start({ authCacheTtlMs: 1500 });
  const token = await serviceAccountToken(cluster.kc, nsA, 'revocable');
  const binding = await grantGetJirasyncs(cluster.kc, nsA, { namespace: nsA, name: 'revocable' });
  const url = `${shortLived}/api/v1/namespaces/${nsA}/syncs/alpha/status`;
  const ask = async () => (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status;
  t.equal(await ask(), 200);
  await revoke(cluster.kc, nsA, binding);
  t.equal(await ask(), 200, 'the cached decision is reused');
  await sleep(1700);
  t.equal(await ask(), 403, 'a fresh review after the TTL denies');
});

t.test('when the API server cannot review tokens the API answers 503, and the failure is not cached', async (t) => {
  const proxy = await startTcpProxy(controllerKc);
  t.teardown(() => proxy.close());
  const server = createServer({
    registryMetrics: async () => ({ contentType: 'text/plain', body: '' }),
    ready: () => readiness,
    role: () => role,
    getSync: (ns, name) => cache.getSync(ns, name),
    listSyncs: () => cache.listSyncs(),
    kc: proxy.kc,
    log: captured.log,
  });
  const listening = await server.listen(0, '127.0.0.1');
  t.teardown(() => listening.close());
  const ask = () => fetch(`${listening.url}/api/v1/namespaces/${nsA}/syncs/alpha/status`, { headers: { authorization: `Bearer ${readerToken}` } });
  proxy.cut();
  const res = await ask();
  t.equal(res.status, 503);
  t.equal(((await res.json()) as { code: string }).code, 'ServiceUnavailable');
  t.ok(captured.lines.some((l) => l.level === 'warn' && l.msg === 'status API dependency failed'), 'the failure is logged');
  proxy.restore();
  t.equal((await ask()).status, 200, 'the next request reviews again and succeeds');
});

t.test('tokens never reach a log line, while requests are logged', async (t) => {
  const all = captured.raw.join('\n');
  t.ok(captured.lines.some((l) => l.msg === 'request' && l.user === `system:serviceaccount:${nsA}:reader`), 'requests are logged with the user');
  for (const [what, token] of [['reader', readerToken], ['nobody', nobodyToken], ['garbage', 'not-a-real-token.abc.def']] as const) {
    t.notOk(all.includes(token), `the ${what} token is not in any log line`);
    t.notOk(all.includes(token.slice(0, 24)), `nor a prefix of it`);
  }
});

t.test('objects read back from the API server are what the server serves', async (t) => {
  const stored: JIRASync | undefined = cache.getSync(nsA, 'alpha');
  t.same(stored?.status, runningStatus(42), 'the status survived the API server round trip unchanged');
});
