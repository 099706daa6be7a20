/**
 * Real identities for status API tests: ServiceAccounts with tokens issued by the API server's
 * TokenRequest API (no controller-manager runs, so the test creates the accounts), RBAC to read
 * jirasyncs, and a controller account bound to system:auth-delegator as the chart binds it.
 */
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL } from '../../controller/api/jirasync.ts';
import { kubeConfigWithToken, serviceAccountToken, untilAllowed } from '../fixtures/service-accounts.ts';

export { serviceAccountToken };

/** A Role allowing `get` on jirasyncs in `namespace`, bound to the ServiceAccount `sa` of `saNamespace`. */
export async function grantGetJirasyncs(kc: k8s.KubeConfig, namespace: string, sa: { namespace: string; name: string }, resourceNames?: string[]): Promise<string> {
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const name = `read-jirasyncs-${sa.name}`;
  await rbac.createNamespacedRole({
    namespace,
    body: { metadata: { name }, rules: [{ apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch'], resourceNames }] },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }],
    },
  });
  await untilAllowed(kc, `system:serviceaccount:${sa.namespace}:${sa.name}`, { verb: 'get', group: GROUP, resource: PLURAL, namespace, name: resourceNames?.[0] });
  return name;
}

/** Deletes the RoleBinding made by grantGetJirasyncs. */
export async function revoke(kc: k8s.KubeConfig, namespace: string, bindingName: string): Promise<void> {
  await kc.makeApiClient(k8s.RbacAuthorizationV1Api).deleteNamespacedRoleBinding({ namespace, name: bindingName });
}

/**
 * A KubeConfig acting as the controller's ServiceAccount, allowed only what the chart grants for
 * the status API: system:auth-delegator (create TokenReviews and SubjectAccessReviews).
 */
export async function controllerKubeConfig(admin: k8s.KubeConfig, namespace: string): Promise<k8s.KubeConfig> {
  const name = 'jirasync-controller';
  const token = await serviceAccountToken(admin, namespace, name);
  await admin.makeApiClient(k8s.RbacAuthorizationV1Api).createClusterRoleBinding({
    body: {
      metadata: { name: `${namespace}-auth-delegator` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  const user = `system:serviceaccount:${namespace}:${name}`;
  await untilAllowed(admin, user, { verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews' });
  await untilAllowed(admin, user, { verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' });
  return kubeConfigWithToken(admin, name, token, namespace);
}
