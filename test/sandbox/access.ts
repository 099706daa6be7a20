/**
 * A least-privilege reader for the status API: a ServiceAccount in `demo` with a Role that may only
 * get and list jirasyncs there, and a short-lived token for it from the TokenRequest API — the
 * same thing a script or a dashboard would use in a real cluster.
 */
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL } from '../../controller/api/jirasync.ts';
import { DEMO_NAMESPACE, is } from './samples.ts';

export const READER = 'jirasync-status-reader';

/** Creates (or keeps) the ServiceAccount, Role and RoleBinding and returns a fresh token for it. */
export async function statusReaderToken(kc: k8s.KubeConfig, expirationSeconds = 24 * 3600): Promise<string> {
  const namespace = DEMO_NAMESPACE;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const meta = { name: READER, namespace, labels: { 'app.kubernetes.io/part-of': 'jirasync-sandbox' } };
  await createOrKeep(() => core.createNamespacedServiceAccount({ namespace, body: { metadata: meta } }));
  await createOrKeep(() => rbac.createNamespacedRole({
    namespace,
    body: { metadata: meta, rules: [{ apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'list'] }] },
  }));
  await createOrKeep(() => rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: READER },
      subjects: [{ kind: 'ServiceAccount', name: READER, namespace }],
    },
  }));
  try {
    const res = await core.createNamespacedServiceAccountToken({ name: READER, namespace, body: { spec: { audiences: [], expirationSeconds } } });
    const token = res.status?.token;
    if (!token) throw new Error('the TokenRequest answer has no token');
    return token;
  } catch (err) {
    throw new Error(`requesting a token for ServiceAccount ${namespace}/${READER}`, { cause: err });
  }
}

async function createOrKeep(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!is(err, 409)) throw err;
  }
}
