/**
 * The controller's KubeConfig reuses its connections to the API server (client-node alone opens
 * one per request), and recovers when they are dropped. Counted by a TCP proxy in front of the
 * real API server.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { PooledKubeConfig } from '../../controller/kube/kubeconfig.ts';
import { testCluster, stopTestCluster } from '../env/cluster.ts';
import { startTcpProxy } from '../fixtures/tcp-proxy.ts';

const cluster = await testCluster();
t.teardown(stopTestCluster);
const REQUESTS = 20;

function like<K extends k8s.KubeConfig>(kc: K, from: k8s.KubeConfig): K {
  kc.loadFromOptions({ clusters: from.clusters, users: from.users, contexts: from.contexts, currentContext: from.currentContext });
  return kc;
}

async function connectionsFor(make: (from: k8s.KubeConfig) => k8s.KubeConfig): Promise<number> {
  const proxy = await startTcpProxy(cluster.kc);
  try {
    const core = make(proxy.kc).makeApiClient(k8s.CoreV1Api);
    for (let i = 0; i < REQUESTS; i++) await core.readNamespace({ name: 'default' });
    return proxy.connections;
  } finally {
    await proxy.close();
  }
}

t.test(`${REQUESTS} API requests in a row`, async (t) => {
  const plain = await connectionsFor((from) => like(new k8s.KubeConfig(), from));
  const pooled = await connectionsFor((from) => like(new PooledKubeConfig(), from));
  t.ok(plain >= REQUESTS, `client-node's own KubeConfig opens a connection per request (${plain})`);
  t.ok(pooled <= 2, `the pooled KubeConfig reuses one (${pooled})`);
});

t.test('dropped connections are replaced on the next request', async (t) => {
  const proxy = await startTcpProxy(cluster.kc);
  t.teardown(() => proxy.close());
  const core = like(new PooledKubeConfig(), proxy.kc).makeApiClient(k8s.CoreV1Api);
  await core.readNamespace({ name: 'default' });
  proxy.cut();
  await t.rejects(core.readNamespace({ name: 'default' }), 'a request while the network is cut fails');
  proxy.restore();
  const ns = await core.readNamespace({ name: 'default' });
  t.equal(ns.metadata?.name, 'default', 'the next request after the cut succeeds');
  t.ok(proxy.connections >= 2, `it opened a new connection (${proxy.connections})`);
});
