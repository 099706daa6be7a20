import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { stopTestCluster, testCluster } from '../env/cluster.ts';
import { ciValuesFiles, helm, parseObjects, templateArgs, type KubeObject, type RenderOptions } from './helm.ts';
import { kubectlOk } from './kubectl.ts';
import { keptFindings, kubeconform, kubeScore, type KeptFinding, type KubeScoreFinding } from './linters.ts';
import { installMonitoringCrds } from './monitoring-crds.ts';
import { describedKinds, gvkOf, schemaFileName, writeKubeconformSchemas, type OpenApiV2 } from './openapi-schemas.ts';

// What platform teams run over a chart before installing it: kube-score and kubeconform (strict),
// over `helm template` of the default values and of every ci/ scenario. kubeconform's schemas come
// from the OpenAPI of our own test API server (the Kubernetes version we test, with the CRDs the
// chart's objects need). Kept findings are listed, with reasons, in charts/jirasync/lint-ignores.yaml.

const scenarios = [{ name: 'default values', files: [] as string[] }, ...ciValuesFiles().map((f) => ({ name: basename(f), files: [f] }))];

/** `helm template` with the CRDs (so the CRD itself is validated too); throws with helm's message. */
async function renderText(opts: RenderOptions): Promise<string> {
  const res = await helm([...templateArgs({ release: 'lint', ...opts }), '--include-crds']);
  if (res.code !== 0) throw new Error(`helm template failed: ${res.stderr.trim()}`);
  return res.stdout;
}

// Each scenario is rendered once; both linters read the same text.
const rendered = new Map<string, string>();
for (const s of scenarios) rendered.set(s.name, await renderText({ valuesFiles: s.files }));

const cluster = await testCluster();
// Stops the control plane only when this file started its own (run alone, not under npm test).
t.teardown(stopTestCluster);
await installMonitoringCrds(cluster.kc);
const version = JSON.parse(await kubectlOk(cluster.kubeconfigPath, ['get', '--raw', '/version'])) as { gitVersion: string };
// kube-score takes "v1.35"; its checks for deprecated API versions depend on it.
const kubeVersion = /^v\d+\.\d+/.exec(version.gitVersion)?.[0] ?? version.gitVersion;

// The schemas, once, after the API server's OpenAPI describes every kind the scenarios render.
const schemaDir = mkdtempSync(join(tmpdir(), 'jirasync-kubeconform-'));
process.once('exit', () => rmSync(schemaDir, { recursive: true, force: true }));
const wanted = new Set([...rendered.values()].flatMap((y) => parseObjects(y)).map((o) => schemaFileName(gvkOf(o))));
for (let attempt = 1; ; attempt++) {
  const doc = JSON.parse(await kubectlOk(cluster.kubeconfigPath, ['get', '--raw', '/openapi/v2'])) as OpenApiV2;
  const described = describedKinds(doc);
  const missing = [...wanted].filter((f) => !described.has(f));
  if (missing.length === 0) {
    writeKubeconformSchemas(doc, schemaDir);
    break;
  }
  if (attempt >= 60) throw new Error(`the API server's OpenAPI has no schema for ${missing.join(', ')} after 30 s`);
  await sleep(500);
}

const kept = keptFindings();
const keptFor = (scenario: string, f: KubeScoreFinding): KeptFinding | undefined =>
  kept.find((k) => k.check === f.check && (k.scenarios === undefined || k.scenarios.includes(scenario)));
const describe = (f: KubeScoreFinding) => `${f.grade} ${f.check} on ${f.object}: ${f.comments.join('; ')}`;
/** The kept entries that matched a finding somewhere. */
const used = new Set<KeptFinding>();

for (const s of scenarios) {
  const yaml = rendered.get(s.name)!;

  t.test(`${s.name}: kube-score finds nothing, critical or otherwise, beyond the findings lint-ignores.yaml keeps`, async (t) => {
    const { findings, objects } = await kubeScore(yaml, kubeVersion);
    t.ok(objects >= 3, `kube-score scored ${objects} objects`);
    const unexpected = findings.filter((f) => !keptFor(s.name, f));
    t.same(unexpected.map(describe), [], 'no finding outside lint-ignores.yaml');
    for (const f of findings) {
      const k = keptFor(s.name, f);
      if (k) used.add(k);
    }
  });

  t.test(`${s.name}: kubeconform -strict accepts every object against the API server's own schemas`, async (t) => {
    const objects = parseObjects(yaml);
    const res = await kubeconform(yaml, schemaDir);
    t.equal(res.code, 0, 'kubeconform exits 0');
    t.equal(res.resources.length, objects.length, `kubeconform judged all ${objects.length} objects`);
    const notValid = res.resources.filter((r) => r.status !== 'statusValid').map((r) => `${r.kind}/${r.name}: ${r.status} ${r.msg}`);
    t.same(notValid, [], 'every object is valid (none skipped for want of a schema)');
  });
}

t.test('kube-score sees the problems it reported before: no NetworkPolicy and no ephemeral storage are CRITICAL findings', async (t) => {
  const yaml = await renderText({
    values: { networkPolicy: { enabled: false }, resources: { requests: { 'ephemeral-storage': null }, limits: { 'ephemeral-storage': null } } },
  });
  const { code, findings } = await kubeScore(yaml, kubeVersion);
  t.not(code, 0, 'kube-score exits non-zero');
  const critical = findings.filter((f) => f.grade === 'CRITICAL').map(describe);
  t.match(critical.join('\n'), /CRITICAL pod-networkpolicy on Deployment\/lint-jirasync: The pod does not have a matching NetworkPolicy/);
  t.match(critical.join('\n'), /CRITICAL container-ephemeral-storage-request-and-limit on Deployment\/lint-jirasync: \(controller\) Ephemeral Storage limit is not set/);
});

t.test('the generated schemas are strict: kubeconform reports a misspelt field, a wrong type and an unknown NetworkPolicy field', async (t) => {
  const objs = parseObjects(rendered.get('default values')!);
  const broken = objs.map((o): KubeObject => {
    if (o.kind === 'Deployment') {
      const d = structuredClone(o) as KubeObject & { spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } } };
      d.spec.replicas = 'two';
      d.spec.template.spec.containers[0].imagePulPolicy = 'Always';
      return d;
    }
    if (o.kind === 'NetworkPolicy') return { ...o, spec: { ...(o.spec as object), egres: [] } };
    return o;
  });
  const res = await kubeconform(broken.map((o) => stringify(o)).join('---\n'), schemaDir);
  t.not(res.code, 0, 'kubeconform exits non-zero');
  const byKind = new Map(res.resources.map((r) => [r.kind, r]));
  t.equal(byKind.get('Deployment')?.status, 'statusInvalid');
  t.match(byKind.get('Deployment')?.msg, /at '\/spec\/replicas': got string, want integer/);
  t.match(byKind.get('Deployment')?.msg, /additional properties 'imagePulPolicy' not allowed/);
  t.equal(byKind.get('NetworkPolicy')?.status, 'statusInvalid');
  t.match(byKind.get('NetworkPolicy')?.msg, /additional properties 'egres' not allowed/);
  t.equal(byKind.get('Service')?.status, 'statusValid', 'untouched objects stay valid');
});

t.test('every kept finding in lint-ignores.yaml has a reason, names only existing scenarios, and still occurs', async (t) => {
  t.ok(kept.length > 0, `${kept.length} kept findings`);
  const names = new Set(scenarios.map((s) => s.name));
  for (const k of kept) {
    t.ok(k.reason && k.reason.split(' ').length >= 10, `${k.check}: the reason is written out`);
    for (const s of k.scenarios ?? []) t.ok(names.has(s), `${k.check}: scenario ${s} exists`);
    t.ok(used.has(k), `${k.check}: kube-score still reports it${k.scenarios ? ` for ${k.scenarios.join(', ')}` : ''}`);
  }
});
