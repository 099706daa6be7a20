/**
 * Installs the minimal Prometheus Operator CRDs (fixtures/prometheus-operator-crds.yaml) so the
 * chart's ServiceMonitor and PrometheusRule can be created in the test API server.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

const fixture = new URL('./fixtures/prometheus-operator-crds.yaml', import.meta.url);

/** Creates (or replaces) the ServiceMonitor and PrometheusRule CRDs and waits until both are served. */
export async function installMonitoringCrds(kc: k8s.KubeConfig): Promise<void> {
  const api = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const crds = parseAllDocuments(readFileSync(fixture, 'utf8')).map((d) => d.toJS() as k8s.V1CustomResourceDefinition);
  for (const body of crds) {
    const name = body.metadata!.name!;
    try {
      const existing = await api.readCustomResourceDefinition({ name });
      body.metadata!.resourceVersion = existing.metadata?.resourceVersion;
      await api.replaceCustomResourceDefinition({ name, body });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw new Error(`installing CRD ${name}`, { cause: err });
      try {
        await api.createCustomResourceDefinition({ body });
      } catch (createErr) {
        // Another test file of the same run may have created it a moment ago.
        if ((createErr as { code?: number }).code !== 409) throw new Error(`creating CRD ${name}`, { cause: createErr });
      }
    }
  }
  const objs = kc.makeApiClient(k8s.CustomObjectsApi);
  for (const plural of ['servicemonitors', 'prometheusrules']) {
    let served = false;
    for (let i = 0; i < 100 && !served; i++) {
      try {
        await objs.listClusterCustomObject({ group: 'monitoring.coreos.com', version: 'v1', plural });
        served = true;
      } catch {
        await sleep(100);
      }
    }
    if (!served) throw new Error(`CRD ${plural}.monitoring.coreos.com not served after 10 s`);
  }
}
