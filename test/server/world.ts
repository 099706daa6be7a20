/**
 * The shared setup of status API tests: two fresh namespaces, the controller's account, a reader
 * allowed to get jirasyncs in the first namespace, an account without any RBAC, JIRASyncs with
 * statuses in both namespaces, and a cache of them read back from the API server.
 */
import type * as k8s from '@kubernetes/client-node';
import type { JIRASync } from '../../controller/api/jirasync.ts';
import { testCluster } from '../env/cluster.ts';
import { controllerKubeConfig, grantGetJirasyncs, serviceAccountToken } from './identities.ts';
import { ApiSyncCache, createSync, runningStatus } from './syncs.ts';

export interface StatusWorld {
  admin: k8s.KubeConfig;
  /** The controller's ServiceAccount (system:auth-delegator only). */
  controllerKc: k8s.KubeConfig;
  nsA: string;
  nsB: string;
  /** May get jirasyncs in nsA. */
  readerToken: string;
  /** May get nothing. */
  nobodyToken: string;
  /** nsA/alpha at 42 %, nsA/beta completed, nsB/gamma at 10 %, as stored. */
  alpha: JIRASync;
  beta: JIRASync;
  gamma: JIRASync;
  cache: ApiSyncCache;
}

export async function statusWorld(prefix: string): Promise<StatusWorld> {
  const cluster = await testCluster();
  const admin = cluster.kc;
  const nsA = await cluster.newNamespace(`${prefix}-a`);
  const nsB = await cluster.newNamespace(`${prefix}-b`);
  const controllerKc = await controllerKubeConfig(admin, nsA);
  const readerToken = await serviceAccountToken(admin, nsA, 'reader');
  const nobodyToken = await serviceAccountToken(admin, nsA, 'nobody');
  await grantGetJirasyncs(admin, nsA, { namespace: nsA, name: 'reader' });
  const alpha = await createSync(admin, nsA, 'alpha', runningStatus(42));
  const beta = await createSync(admin, nsA, 'beta', runningStatus(100));
  const gamma = await createSync(admin, nsB, 'gamma', runningStatus(10));
  const cache = new ApiSyncCache(admin, [nsA, nsB]);
  await cache.refresh();
  return { admin, controllerKc, nsA, nsB, readerToken, nobodyToken, alpha, beta, gamma, cache };
}
