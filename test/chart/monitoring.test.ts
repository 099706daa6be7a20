import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { one, ofKind, render, repoRoot, type KubeObject } from './helm.ts';

interface ServiceMonitor extends KubeObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    endpoints: { port: string; path: string; interval: string; honorLabels: boolean; relabelings: { action: string; targetLabel: string; replacement: string }[] }[];
  };
}
interface Service extends KubeObject {
  metadata: KubeObject['metadata'] & { labels: Record<string, string> };
  spec: { ports: { name: string }[] };
}

/** The original rule files at the repository root (not the chart's copies). */
function originalRuleGroups(): unknown[] {
  return readdirSync(join(repoRoot, 'alerts'))
    .filter((f) => f.endsWith('.rules.yaml'))
    .sort()
    .flatMap((f) => (parse(readFileSync(join(repoRoot, 'alerts', f), 'utf8')) as { groups: unknown[] }).groups);
}

function originalDashboards(): string[] {
  const dir = join(repoRoot, 'dashboards');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
}

t.test('monitoring objects are off by default', async (t) => {
  const objs = await render();
  for (const kind of ['ServiceMonitor', 'PrometheusRule', 'ConfigMap']) t.equal(ofKind(objs, kind).length, 0, `no ${kind}`);
});

t.test('the ServiceMonitor scrapes the Service port http-metrics as job="jirasync", keeping the series\' own namespace label', async (t) => {
  const objs = await render({ namespace: 'mon', values: { serviceMonitor: { enabled: true, labels: { release: 'kps' }, interval: '15s' } } });
  const sm = one(objs, 'ServiceMonitor') as ServiceMonitor;
  const svc = one(objs, 'Service') as Service;
  t.equal(sm.metadata.labels?.release, 'kps', 'extra labels for the Prometheus selector');
  for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) t.equal(svc.metadata.labels[k], v, `selects the Service by ${k}`);
  t.same(sm.spec.namespaceSelector.matchNames, ['mon']);
  const ep = sm.spec.endpoints[0];
  t.ok(svc.spec.ports.some((p) => p.name === ep.port), `the Service has port ${ep.port}`);
  t.equal(ep.path, '/metrics');
  t.equal(ep.interval, '15s');
  t.equal(ep.honorLabels, true, 'a JIRASync\'s namespace label is not renamed exported_namespace');
  t.same(ep.relabelings, [{ action: 'replace', targetLabel: 'job', replacement: 'jirasync' }]);
});

t.test('the PrometheusRule holds exactly the groups of alerts/*.rules.yaml', async (t) => {
  const groups = originalRuleGroups();
  t.ok(groups.length > 0, 'the repository has alert rules');
  const objs = await render({ values: { prometheusRule: { enabled: true, labels: { release: 'kps' } } } });
  const rule = one(objs, 'PrometheusRule') as KubeObject & { spec: { groups: unknown[] } };
  t.equal(rule.metadata.labels?.release, 'kps');
  t.same(rule.spec.groups, groups, 'same groups, rules, expressions, labels and annotations');
  const alerts = JSON.stringify(rule.spec.groups);
  t.match(alerts, '{{ $labels.namespace }}', 'alert templates reach Prometheus unrendered by Helm');
});

t.test('each dashboard becomes a ConfigMap labelled for the Grafana sidecar, with its folder annotation', async (t) => {
  const files = originalDashboards();
  t.ok(files.length > 0, 'the repository has dashboards');
  const objs = await render({ values: { grafanaDashboards: { enabled: true } } });
  const cms = ofKind(objs, 'ConfigMap') as (KubeObject & { data: Record<string, string> })[];
  t.equal(cms.length, files.length, 'one ConfigMap per dashboard');
  for (const f of files) {
    const cm = cms.find((c) => f in c.data);
    t.ok(cm, `${f} has a ConfigMap`);
    if (!cm) continue;
    t.equal(cm.metadata.labels?.grafana_dashboard, '1');
    t.equal(cm.metadata.annotations?.grafana_folder, 'JIRASync');
    t.same(JSON.parse(cm.data[f]), JSON.parse(readFileSync(join(repoRoot, 'dashboards', f), 'utf8')), `${f}: the JSON is the file's`);
  }
});

t.test('the dashboards\' label, value, folder annotation and namespace are configurable', async (t) => {
  const objs = await render({
    namespace: 'rel-ns',
    values: { grafanaDashboards: { enabled: true, label: 'dash', labelValue: 'yes', folderAnnotation: 'k8s-sidecar-target-directory', folder: '/tmp/dashboards/jirasync', namespace: 'grafana' } },
  });
  const cms = ofKind(objs, 'ConfigMap');
  t.ok(cms.length > 0);
  for (const cm of cms) {
    t.equal(cm.metadata.labels?.dash, 'yes');
    t.notOk(cm.metadata.labels && 'grafana_dashboard' in cm.metadata.labels, 'the default label is gone');
    t.equal(cm.metadata.annotations?.['k8s-sidecar-target-directory'], '/tmp/dashboards/jirasync');
    t.equal(cm.metadata.namespace, 'grafana');
  }
  const noFolder = ofKind(await render({ values: { grafanaDashboards: { enabled: true, folderAnnotation: '' } } }), 'ConfigMap');
  for (const cm of noFolder) t.equal(cm.metadata.annotations, undefined, 'no folder annotation when its key is empty');
});
