import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { stopTestCluster, testCluster } from '../env/cluster.ts';
import { ciValuesFiles, one, render } from './helm.ts';
import { kubectlOk } from './kubectl.ts';

// The API server's Pod Security admission enforces the "restricted" profile on Pods (for
// Deployments it only warns), so the chart's pod template is proven by creating it as a Pod in a
// namespace that enforces the profile. No kubelet runs: the Pod is accepted and stays Pending.

const cluster = await testCluster();
// Stops the control plane only when this file started its own (run alone, not under npm test).
t.teardown(stopTestCluster);
const core = cluster.kc.makeApiClient(k8s.CoreV1Api);

async function enforcingNamespace(): Promise<string> {
  const ns = await cluster.newNamespace('psa');
  await kubectlOk(cluster.kubeconfigPath, ['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
  return ns;
}

async function podTemplate(valuesFiles: string[], values?: Record<string, unknown>): Promise<k8s.V1PodTemplateSpec> {
  const d = one(await render({ valuesFiles, values }), 'Deployment') as unknown as k8s.V1Deployment;
  return d.spec!.template;
}

const scenarios = ciValuesFiles().map((f) => ({ name: f.split('/').pop()!, files: [f] }));

for (const s of scenarios) {
  t.test(`the pod template of ${s.name} is admitted where Pod Security "restricted" is enforced`, async (t) => {
    const ns = await enforcingNamespace();
    const tpl = await podTemplate(s.files);
    const pod = await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'controller', labels: tpl.metadata?.labels }, spec: tpl.spec } });
    t.equal(pod.metadata?.name, 'controller', 'admitted');
    await core.deleteNamespacedPod({ namespace: ns, name: 'controller', gracePeriodSeconds: 0 });
  });
}

t.test('the enforcement is real: the same template without its seccomp profile is refused', async (t) => {
  const ns = await enforcingNamespace();
  const tpl = await podTemplate([]);
  delete tpl.spec!.securityContext!.seccompProfile;
  const refusal = await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'controller' }, spec: tpl.spec } }).then(
    () => undefined,
    (err: unknown) => err as { code?: number; body?: unknown },
  );
  t.equal(refusal?.code, 403, 'refused');
  t.match(String(refusal?.body), 'violates PodSecurity', 'by Pod Security admission');
});
