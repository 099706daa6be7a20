import t from 'tap';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { stopTestCluster, testCluster } from '../env/cluster.ts';
import { ciValuesFiles, valuesFile } from './helm.ts';
import { installChart, releaseName } from './install.ts';
import { kubectl, kubectlOk, objectsIn } from './kubectl.ts';
import { installMonitoringCrds } from './monitoring-crds.ts';

// helm install into the real API server: every object must be accepted (pods never run: there is
// no kubelet), the API server must have nothing to warn about (unknown fields, Pod Security), and
// helm uninstall must leave nothing behind except the CRD (helm never deletes CRDs).

const cluster = await testCluster();
// Stops the control plane only when this file started its own (run alone, not under npm test).
t.teardown(stopTestCluster);
// The fully-loaded scenario installs a ServiceMonitor and a PrometheusRule; their CRDs come from a
// minimal fixture copy of the Prometheus Operator's (structural, so unknown fields are reported).
await installMonitoringCrds(cluster.kc);
const core = cluster.kc.makeApiClient(k8s.CoreV1Api);
const objects = k8s.KubernetesObjectApi.makeApiClient(cluster.kc);

/** A fresh namespace where Pod Security "restricted" is enforced and warned about. */
async function restrictedNamespace(prefix: string): Promise<string> {
  const ns = await cluster.newNamespace(prefix);
  await kubectlOk(cluster.kubeconfigPath, [
    'label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted',
  ]);
  return ns;
}

/** Creates the namespace when missing (the ci files name fixed watched namespaces). */
async function ensureNamespace(name: string): Promise<void> {
  try {
    await core.createNamespace({ body: { metadata: { name, labels: { 'jirasync.test/run': 'true' } } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

/** Lines of helm's stderr that carry a warning from the API server. */
const warnings = (stderr: string) => stderr.split('\n').filter((l) => /warning/i.test(l));

for (const file of ciValuesFiles()) {
  t.test(`${basename(file)}: helm install is accepted without warnings, and helm uninstall leaves nothing behind`, async (t) => {
    const ns = await restrictedNamespace('chart');
    const values = (parse(readFileSync(file, 'utf8')) ?? {}) as { watchNamespaces?: string[] };
    const watched = values.watchNamespaces ?? [];
    for (const w of watched) await ensureNamespace(w);
    const release = releaseName();
    // Cluster-scoped objects of this release are those labelled with it (the cluster is shared).
    const ours = (o: { metadata: { name: string; labels?: Record<string, string> } }) =>
      o.metadata.labels?.['app.kubernetes.io/instance'] === release || o.metadata.name.includes(release);
    const before = await objectsIn(cluster.kubeconfigPath, [ns, ...watched], ours);

    const rel = await installChart({ kubeconfigPath: cluster.kubeconfigPath, namespace: ns, release, valuesFiles: [file] });
    t.same(warnings(rel.result.stderr), [], 'the API server warned about nothing');
    t.match(rel.result.stdout, 'STATUS: deployed');
    t.match(rel.result.stdout, 'kubectl get jirasync', 'NOTES tell where to look');
    // The first JIRASync that NOTES suggests must be valid for the CRD (dry run, in this namespace).
    const example = /<<'EOF'\n([\s\S]*?)\n\s*EOF/.exec(rel.result.stdout)?.[1];
    t.ok(example, 'NOTES show a JIRASync to apply');
    const sample = parse(example!.replace(/^ {5}/gm, '')) as { kind: string; metadata: { namespace: string } };
    t.equal(sample.kind, 'JIRASync');
    t.equal(sample.metadata.namespace, watched[0] ?? 'team-a', 'in a watched namespace');
    sample.metadata.namespace = ns;
    await t.resolves(
      cluster.kc.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
        group: 'sync.jira.io', version: 'v1alpha1', plural: 'jirasyncs', namespace: ns, body: sample, dryRun: 'All',
      }),
      'the NOTES JIRASync is accepted by the API server',
    );
    t.ok(rel.objects.length >= 6, `${rel.objects.length} objects installed`);
    for (const o of rel.objects) {
      const id = `${o.kind} ${o.metadata.namespace ?? ns}/${o.metadata.name}`;
      const got = await objects.read({
        apiVersion: o.apiVersion,
        kind: o.kind,
        metadata: { name: o.metadata.name, namespace: o.metadata.namespace ?? ns },
      });
      t.equal(got.metadata?.labels?.['app.kubernetes.io/instance'], release, `${id} exists in the API server`);
    }
    const during = await objectsIn(cluster.kubeconfigPath, [ns, ...watched], ours);
    t.ok(during.length > before.length, 'the install created objects the residue check sees');

    await rel.uninstall();
    // Deletion is immediate for these objects; a short poll only absorbs a lagging list.
    let after = await objectsIn(cluster.kubeconfigPath, [ns, ...watched], ours);
    for (let i = 0; i < 20 && after.length > before.length; i++) {
      await sleep(500);
      after = await objectsIn(cluster.kubeconfigPath, [ns, ...watched], ours);
    }
    const left = after.filter((k) => !before.includes(k));
    t.same(after, before, `no object of the release is left${left.length ? ` (left: ${left.join(', ')})` : ''}`);
    const crd = await cluster.kc.makeApiClient(k8s.ApiextensionsV1Api).readCustomResourceDefinition({ name: 'jirasyncs.sync.jira.io' });
    t.equal(crd.metadata?.name, 'jirasyncs.sync.jira.io', 'the CRD stays (helm never deletes CRDs)');
  });
}

t.test('the warning check sees Pod Security violations: values that allow privilege escalation are reported', async (t) => {
  const ns = await restrictedNamespace('chart-psa');
  const rel = await installChart({
    kubeconfigPath: cluster.kubeconfigPath,
    namespace: ns,
    values: { securityContext: { allowPrivilegeEscalation: true } },
  });
  t.teardown(() => rel.uninstall());
  t.match(warnings(rel.result.stderr).join('\n'), /would violate PodSecurity .*restricted.*allowPrivilegeEscalation/);
});

t.test('the warning check sees unknown fields: a ServiceMonitor field the fixture CRD does not know is reported', async (t) => {
  // Helm creates objects with the API server's default field validation (Warn), as kubectl does here.
  const ns = await cluster.newNamespace('chart-field');
  const file = valuesFile({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'probe', namespace: ns },
    spec: { selector: {}, endpoints: [{ port: 'http-metrics', honourLabels: true }] },
  });
  const res = await kubectl(cluster.kubeconfigPath, ['create', '--validate=warn', '-f', file]);
  t.equal(res.code, 0, 'created', { stderr: res.stderr });
  t.match(warnings(res.stderr).join('\n'), 'unknown field "spec.endpoints[0].honourLabels"');
});
