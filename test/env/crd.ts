import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';

/** The CRD file of the chart: the single source of truth for the JIRASync API. */
export const crdPath = fileURLToPath(new URL('../../charts/jirasync/crds/jirasyncs.sync.jira.io.yaml', import.meta.url));

export function readCrd(): k8s.V1CustomResourceDefinition {
  // The client serialises its typed models (xKubernetesValidations, _default); plain YAML keys
  // such as x-kubernetes-validations and default would be dropped silently without this step.
  return k8s.loadYaml<k8s.V1CustomResourceDefinition>(readFileSync(crdPath, 'utf8'));
}

/** A client for the kubeconfig, with the JIRASync CRD installed and served. */
export async function kubeConfigWithCrd(kubeconfigPath: string): Promise<k8s.KubeConfig> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  await installCrd(kc);
  return kc;
}

/** Creates or replaces the JIRASync CRD and waits until the API server serves it. */
export async function installCrd(kc: k8s.KubeConfig): Promise<void> {
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const body = readCrd();
  const name = body.metadata!.name!;
  try {
    const existing = await api.readCustomResourceDefinition({ name });
    body.metadata!.resourceVersion = existing.metadata?.resourceVersion;
    await api.replaceCustomResourceDefinition({ name, body });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await api.createCustomResourceDefinition({ body });
  }
  for (let i = 0; i < 100; i++) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) {
      // Established can precede the first successful list by a moment.
      const objs = kc.makeApiClient(k8s.CustomObjectsApi);
      try {
        await objs.listClusterCustomObject({ group: 'sync.jira.io', version: 'v1alpha1', plural: 'jirasyncs' });
        return;
      } catch {
        /* not served yet */
      }
    }
    await sleep(100);
  }
  throw new Error(`CRD ${name} not established after 10 s`);
}
