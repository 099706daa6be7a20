/**
 * Serving security of the HTTP server against the real API server: the list costs one
 * SubjectAccessReview per namespace and is capped, /metrics can sit behind TokenReview and
 * SubjectAccessReview, tokens must carry a configured audience, and HTTPS serves a certificate
 * from disk that is reloaded when the files change.
 */
import t from 'tap';
import { request } from 'node:https';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { createMetrics, renderMetrics } from '../../controller/observability/metrics.ts';
import { KubeAccessReviewer, type AccessReviewer } from '../../controller/server/auth.ts';
import { createServer, type ServerDeps } from '../../controller/server/server.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { captureLog } from '../fixtures/log-capture.ts';
import { makeTestTls } from '../git-server/tls.ts';
import { serviceAccountToken } from './identities.ts';
import { createSync, runningStatus } from './syncs.ts';
import { statusWorld } from './world.ts';

t.teardown(stopTestCluster);
const world = await statusWorld('secure');
const { nsA, nsB, controllerKc, readerToken, nobodyToken, cache } = world;
const captured = captureLog();
const metrics = createMetrics();

async function start(opts: Partial<ServerDeps> = {}) {
  const server = createServer({
    registryMetrics: (accept) => renderMetrics(metrics, accept),
    ready: () => ({ ok: true, detail: 'ok' }),
    role: () => 'leader',
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
const ask = async (url: string, token?: string) => {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: await res.text() };
};

t.test('a list costs one SubjectAccessReview per namespace, however many JIRASyncs it holds', async (t) => {
  for (let i = 0; i < 6; i++) await createSync(world.admin, nsB, `many-${i}`, runningStatus(i));
  await cache.refresh();
  const real = new KubeAccessReviewer({ kc: controllerKc, ttlMs: 1 });
  const asked: string[] = [];
  const counting: AccessReviewer = {
    authenticate: (token) => real.authenticate(token),
    mayGet: (caller, ns, name) => {
      asked.push(name ? `${ns}/${name}` : ns);
      return real.mayGet(caller, ns, name);
    },
    mayGetPath: (caller, path) => real.mayGetPath(caller, path),
  };
  const url = await start({ access: counting });
  const res = await ask(`${url}/api/v1/syncs`, nobodyToken);
  t.equal(res.status, 200);
  t.same(JSON.parse(res.body), { data: [] });
  t.same(asked.sort(), [nsA, nsB].sort(), 'one review per namespace, none per object');
});

t.test('a list answer is capped and says so', async (t) => {
  const url = await start({ listLimit: 1 });
  const body = JSON.parse((await ask(`${url}/api/v1/syncs`, readerToken)).body) as { data: { name: string }[]; truncated?: boolean; total?: number };
  t.equal(body.data.length, 1);
  t.equal(body.truncated, true);
  t.equal(body.total, 2, 'the reader may see alpha and beta');
  const uncapped = JSON.parse((await ask(`${await start()}/api/v1/syncs`, readerToken)).body) as { truncated?: boolean };
  t.notOk('truncated' in uncapped, 'under the cap nothing is added');
});

t.test('with metricsAuth, /metrics needs a token allowed get on the non-resource URL /metrics', async (t) => {
  const open = await start();
  t.equal((await ask(`${open}/metrics`)).status, 200, 'open by default');
  const url = await start({ metricsAuth: true });
  t.equal((await ask(`${url}/metrics`)).status, 401, 'no token');
  t.equal((await ask(`${url}/metrics`, 'garbage.token.value')).status, 401, 'an invalid token');
  t.equal((await ask(`${url}/metrics`, nobodyToken)).status, 403, 'a valid token without the permission');
  const scraper = await serviceAccountToken(world.admin, nsA, 'scraper');
  const rbac = world.admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  const name = `${nsA}-metrics-reader`;
  await rbac.createClusterRole({ body: { metadata: { name }, rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }] } });
  await rbac.createClusterRoleBinding({
    body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [{ kind: 'ServiceAccount', name: 'scraper', namespace: nsA }] },
  });
  t.teardown(async () => {
    await rbac.deleteClusterRoleBinding({ name });
    await rbac.deleteClusterRole({ name });
  });
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    // A fresh server each try: a denial from before the binding took effect is cached.
    status = (await ask(`${await start({ metricsAuth: true, authCacheTtlMs: 1 })}/metrics`, scraper)).status;
    if (status !== 200) await sleep(100);
  }
  t.equal(status, 200, 'the bound scraper reads the metrics');
  t.equal((await ask(`${url}/healthz`)).status, 200, 'probes stay open');
});

t.test('with audiences configured, a token for the API server alone is refused and one for us accepted', async (t) => {
  const url = await start({ audiences: ['jirasync'] });
  t.equal((await ask(`${url}/api/v1/namespaces/${nsA}/syncs/alpha/status`, readerToken)).status, 401, 'API-server audience token');
  const core = world.admin.makeApiClient(k8s.CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({ namespace: nsA, name: 'reader', body: { spec: { audiences: ['jirasync'], expirationSeconds: 600 } } });
  t.equal((await ask(`${url}/api/v1/namespaces/${nsA}/syncs/alpha/status`, tr.status!.token)).status, 200, 'token with our audience');
});

function peerCert(url: string, ca: string): Promise<{ fingerprint: string; status: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { ca, agent: false }, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ fingerprint, status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('HTTPS from tls.crt/tls.key on disk, and a renewed certificate is served without a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jirasync-serving-'));
  const first = await makeTestTls(await mkdtemp(join(tmpdir(), 'jirasync-serving-a-')));
  const second = await makeTestTls(await mkdtemp(join(tmpdir(), 'jirasync-serving-b-')));
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(certFile, first.certPem);
  await writeFile(keyFile, first.keyPem);
  const url = await start({ tls: { certFile, keyFile, reloadIntervalMs: 100 } });
  t.match(url, /^https:\/\//);
  const before = await peerCert(url, first.caPem);
  t.equal(before.status, 200, 'served over HTTPS with the first certificate');
  await t.rejects(fetch(url.replace('https:', 'http:') + '/healthz'), 'plain HTTP is not answered');
  await writeFile(keyFile, second.keyPem);
  await writeFile(certFile, second.certPem);
  let after = before;
  for (let i = 0; i < 50 && after.fingerprint === before.fingerprint; i++) {
    await sleep(100);
    after = await peerCert(url, second.caPem).catch(() => before);
  }
  t.not(after.fingerprint, before.fingerprint, 'the renewed certificate is served');
  t.equal(after.status, 200);
});
