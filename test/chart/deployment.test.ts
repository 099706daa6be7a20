import t from 'tap';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { chartDir, ciValuesFiles, helm, one, ofKind, render, repoRoot, templateArgs, type KubeObject } from './helm.ts';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}
interface Container {
  name: string;
  image: string;
  env: EnvVar[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; emptyDir?: { sizeLimit?: string }; configMap?: { name: string }; secret?: { secretName: string } }[];
  topologySpreadConstraints?: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }[];
}
interface Deployment extends KubeObject {
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}

const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { appVersion: string };

/** The variable names docs/configuration.md documents (OTEL_* as a family). */
function documentedEnv(): { names: Set<string>; otel: boolean } {
  const doc = readFileSync(join(repoRoot, 'docs', 'configuration.md'), 'utf8');
  const names = new Set<string>();
  for (const row of doc.split('\n').filter((l) => l.startsWith('| `'))) {
    const firstCell = row.split('|')[1];
    for (const m of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(m[1]);
  }
  return { names, otel: doc.includes('`OTEL_*`') };
}

const deploymentOf = (objs: KubeObject[]) => one(objs, 'Deployment') as Deployment;
const controllerOf = (objs: KubeObject[]) => deploymentOf(objs).spec.template.spec.containers[0];
const envOf = (objs: KubeObject[]) => new Map(controllerOf(objs).env.map((e) => [e.name, e]));

t.test('every environment variable the chart sets is one docs/configuration.md documents, none twice', async (t) => {
  const documented = documentedEnv();
  t.ok(documented.names.size > 15, `${documented.names.size} documented variables`);
  for (const file of [undefined, ...ciValuesFiles()]) {
    const env = controllerOf(await render({ valuesFiles: file ? [file] : [] })).env;
    const names = env.map((e) => e.name);
    t.equal(new Set(names).size, names.length, `${file ?? 'default'}: no variable set twice`);
    for (const n of names) {
      t.ok(documented.names.has(n) || (documented.otel && n.startsWith('OTEL_')), `${file ?? 'default'}: ${n} is documented`);
    }
  }
});

t.test('the default Deployment runs two replicas with leader election, its identity from the downward API', async (t) => {
  const objs = await render({ namespace: 'jirasync-system' });
  const d = deploymentOf(objs);
  t.equal(d.spec.replicas, 2);
  const env = envOf(objs);
  t.equal(env.get('LEADER_ELECTION')?.value, 'true');
  t.equal(env.get('LEASE_NAME')?.value, 'jirasync-leader', 'the Lease name the scripts look for');
  t.same(env.get('POD_NAME')?.valueFrom?.fieldRef, { fieldPath: 'metadata.name' });
  t.same(env.get('POD_NAMESPACE')?.valueFrom?.fieldRef, { fieldPath: 'metadata.namespace' }, 'the Lease lives in the release namespace');
  t.equal(env.get('WATCH_NAMESPACES'), undefined, 'all namespaces are watched');
  t.equal(env.get('HTTP_PORT')?.value, '8080');
  t.equal(env.get('CONCURRENCY')?.value, '4');
  t.equal(env.get('LOG_LEVEL')?.value, 'info');
  t.equal(env.get('OTEL_SDK_DISABLED')?.value, 'true', 'tracing is off unless enabled');
  for (const n of ['JIRA_BASE_URL', 'JIRA_TOKEN', 'GIT_TOKEN', 'GIT_CA_FILE', 'OTEL_EXPORTER_OTLP_ENDPOINT']) t.notOk(env.has(n), `${n} is not set`);
  const labels = d.spec.template.metadata.labels;
  t.equal(labels['app.kubernetes.io/name'], 'jirasync', 'pods carry the name the scripts select on');
  t.equal(labels['app.kubernetes.io/component'], 'controller', 'pods carry the component the scripts select on');
  for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) t.equal(labels[k], v, `the selector's ${k} matches the pods`);
});

t.test('the image is registry/repository:tag@digest: the tag defaults to the chart appVersion, registry and digest are optional, the pull policy explicit', async (t) => {
  const plain = controllerOf(await render()) as Container & { imagePullPolicy?: string };
  t.equal(plain.image, `jirasync:${chart.appVersion}`);
  t.equal(plain.imagePullPolicy, 'IfNotPresent', 'the pull policy is always rendered');
  const digest = `sha256:${'a'.repeat(64)}`;
  const pinned = controllerOf(await render({ values: { image: { registry: 'r.example:5000', repository: 'team/js', tag: '9.9.9', digest, pullPolicy: 'Always' } } })) as Container & { imagePullPolicy?: string };
  t.equal(pinned.image, `r.example:5000/team/js:9.9.9@${digest}`);
  t.equal(pinned.imagePullPolicy, 'Always');
  t.equal(controllerOf(await render({ values: { image: { repository: 'r.example/js', digest } } })).image, `r.example/js:${chart.appVersion}@${digest}`, 'no registry: the repository as given');
});

/** Bytes of a Kubernetes quantity with a binary or decimal suffix (enough for the chart's disk sizes). */
function bytes(quantity: string): number {
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity);
  if (!m) throw new Error(`not a quantity: ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

t.test('ephemeral storage is requested and limited, and the limit holds the git cache and /tmp at their size limits', async (t) => {
  for (const file of [undefined, ...ciValuesFiles()]) {
    const name = file ? basename(file) : 'default values';
    const pod = deploymentOf(await render({ valuesFiles: file ? [file] : [] })).spec.template.spec;
    const res = pod.containers[0].resources;
    const request = res?.requests?.['ephemeral-storage'];
    const limit = res?.limits?.['ephemeral-storage'];
    t.ok(request && limit, `${name}: ephemeral-storage request ${request} and limit ${limit}`);
    const emptyDirs = pod.volumes.map((v) => v.emptyDir?.sizeLimit).filter((q): q is string => q !== undefined);
    t.equal(emptyDirs.length, 2, `${name}: the git cache and /tmp have size limits`);
    const volumes = emptyDirs.reduce((sum, q) => sum + bytes(q), 0);
    t.ok(bytes(limit ?? '0') > volumes, `${name}: the limit (${limit}) exceeds the emptyDirs' limits (${emptyDirs.join(' + ')}), leaving room for logs`);
    t.ok(bytes(request ?? '0') <= bytes(limit ?? '0'), `${name}: request <= limit`);
  }
  const tooBig = await helm(templateArgs({ values: { git: { cache: { sizeLimit: '3Gi' } } } }));
  t.not(tooBig.code, 0, 'a git cache above the default limit fails the render');
  t.match(tooBig.stderr, 'resources.limits.ephemeral-storage (2560Mi) must be above git.cache.sizeLimit (3Gi) plus 64Mi for /tmp');
  const raised = await render({ values: { git: { cache: { sizeLimit: '3Gi' } }, resources: { limits: { 'ephemeral-storage': '4Gi' } } } });
  t.equal(controllerOf(raised).resources?.limits?.['ephemeral-storage'], '4Gi', 'raising both renders');
});

t.test('the pod meets the restricted Pod Security profile and mounts writable emptyDirs for the git cache and /tmp only', async (t) => {
  const objs = await render();
  const pod = deploymentOf(objs).spec.template.spec;
  const c = pod.containers[0];
  t.equal(pod.securityContext.runAsNonRoot, true);
  t.equal(pod.securityContext.runAsUser, 65532);
  t.same(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  t.equal(c.securityContext.allowPrivilegeEscalation, false);
  t.equal(c.securityContext.readOnlyRootFilesystem, true);
  t.same(c.securityContext.capabilities, { drop: ['ALL'] });
  const cacheDir = envOf(objs).get('GIT_CACHE_DIR')?.value;
  t.equal(cacheDir, '/var/cache/jirasync');
  const mounts = new Map(c.volumeMounts.map((m) => [m.mountPath, m.name]));
  const volumes = new Map(pod.volumes.map((v) => [v.name, v]));
  t.ok(volumes.get(mounts.get(cacheDir!)!)?.emptyDir, 'GIT_CACHE_DIR is an emptyDir');
  t.ok(volumes.get(mounts.get('/tmp')!)?.emptyDir, '/tmp is an emptyDir');
  t.equal(c.volumeMounts.length, 2, 'nothing else is mounted writable');
  t.equal(pod.automountServiceAccountToken, true, 'the controller gets its API token');
  const sa = one(objs, 'ServiceAccount') as KubeObject & { automountServiceAccountToken?: boolean };
  t.equal(sa.automountServiceAccountToken, false, 'other pods using the ServiceAccount get no token by default');
  t.equal(pod.serviceAccountName, sa.metadata.name);
});

t.test('probes hit /healthz and /readyz on the port the Service exposes as http-metrics (8080)', async (t) => {
  const objs = await render({ values: { service: { port: 9090 } } });
  const c = controllerOf(objs);
  t.same(c.ports.map((p) => [p.name, p.containerPort]), [['http-metrics', 8080]]);
  t.same(c.livenessProbe.httpGet, { path: '/healthz', port: 'http-metrics' });
  t.same(c.readinessProbe.httpGet, { path: '/readyz', port: 'http-metrics' });
  t.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory, 'requests and limits are set');
  const svc = one(objs, 'Service') as KubeObject & { spec: { ports: { name: string; port: number; targetPort: string }[]; selector: Record<string, string> } };
  t.same(svc.spec.ports.map((p) => [p.name, p.port, p.targetPort]), [['http-metrics', 9090, 'http-metrics']]);
  t.same(svc.spec.selector, deploymentOf(objs).spec.selector.matchLabels, 'the Service selects the controller pods');
});

t.test('replicas spread across nodes, and a PodDisruptionBudget keeps one running only when there are several', async (t) => {
  const objs = await render();
  const spread = deploymentOf(objs).spec.template.spec.topologySpreadConstraints ?? [];
  t.equal(spread[0]?.topologyKey, 'kubernetes.io/hostname');
  t.same(spread[0]?.labelSelector.matchLabels, deploymentOf(objs).spec.selector.matchLabels);
  const pdb = one(objs, 'PodDisruptionBudget') as KubeObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } };
  t.equal(pdb.spec.minAvailable, 1);
  t.same(pdb.spec.selector.matchLabels, deploymentOf(objs).spec.selector.matchLabels);
  const single = await render({ values: { replicaCount: 1, leaderElection: { enabled: false } } });
  t.equal(ofKind(single, 'PodDisruptionBudget').length, 0, 'no PDB for one replica (it would block every drain)');
  t.equal(envOf(single).get('LEADER_ELECTION')?.value, 'false');
});

t.test('watched namespaces, concurrency, log level, lease timing and the commit author come from values', async (t) => {
  const env = envOf(await render({
    values: {
      watchNamespaces: ['a', 'b'], concurrency: 9, logLevel: 'debug',
      leaderElection: { leaseName: 'other-lease', leaseDurationSeconds: 31, renewDeadlineSeconds: 21, retryPeriodSeconds: 5 },
      watch: { silenceSeconds: 61, relistIntervalSeconds: 601 },
      gitAuthor: { name: 'Bot', email: 'bot@example.com' },
    },
  }));
  const want: Record<string, string> = {
    WATCH_NAMESPACES: 'a,b', CONCURRENCY: '9', LOG_LEVEL: 'debug', LEASE_NAME: 'other-lease',
    LEASE_DURATION_SECONDS: '31', RENEW_DEADLINE_SECONDS: '21', RETRY_PERIOD_SECONDS: '5',
    WATCH_SILENCE_SECONDS: '61', RELIST_INTERVAL_SECONDS: '601', GIT_AUTHOR_NAME: 'Bot', GIT_AUTHOR_EMAIL: 'bot@example.com',
  };
  for (const [k, v] of Object.entries(want)) t.equal(env.get(k)?.value, v, k);
});

t.test('a Data Center default connection: the token and deploymentType go into the chart\'s Secret', async (t) => {
  const objs = await render({ release: 'r', values: { jira: { baseUrl: 'https://jira.example', token: 'pat-1', deploymentType: 'datacenter' } } });
  const secret = ofKind(objs, 'Secret').find((s) => s.metadata.name === 'r-jirasync-jira') as (KubeObject & { stringData: Record<string, string> }) | undefined;
  t.same(secret?.stringData, { baseUrl: 'https://jira.example', token: 'pat-1', deploymentType: 'datacenter' });
  await t.rejects(render({ values: { jira: { deploymentType: 'mainframe' } } }), 'the schema refuses an unknown deployment type');
});

t.test('the default connection comes from a Secret the chart creates from values, through optional secretKeyRefs', async (t) => {
  const objs = await render({
    release: 'r',
    values: { jira: { baseUrl: 'https://jira.example', email: 'a@example.com', apiToken: 'tok-1' }, git: { token: 'tok-2' } },
  });
  const secrets = new Map(ofKind(objs, 'Secret').map((s) => [s.metadata.name, s as KubeObject & { stringData: Record<string, string> }]));
  t.same(secrets.get('r-jirasync-jira')?.stringData, { baseUrl: 'https://jira.example', email: 'a@example.com', apiToken: 'tok-1' });
  t.same(secrets.get('r-jirasync-git')?.stringData, { token: 'tok-2' });
  const env = envOf(objs);
  const refs: [string, string, string][] = [
    ['JIRA_BASE_URL', 'r-jirasync-jira', 'baseUrl'], ['JIRA_EMAIL', 'r-jirasync-jira', 'email'],
    ['JIRA_API_TOKEN', 'r-jirasync-jira', 'apiToken'], ['JIRA_TOKEN', 'r-jirasync-jira', 'token'],
    ['GIT_USERNAME', 'r-jirasync-git', 'username'], ['GIT_TOKEN', 'r-jirasync-git', 'token'],
    ['JIRA_USERNAME', 'r-jirasync-jira', 'username'], ['JIRA_PASSWORD', 'r-jirasync-jira', 'password'],
    ['JIRA_DEPLOYMENT_TYPE', 'r-jirasync-jira', 'deploymentType'],
  ];
  for (const [name, secret, key] of refs) t.same(env.get(name)?.valueFrom?.secretKeyRef, { name: secret, key, optional: true }, name);
  for (const e of controllerOf(objs).env) t.notOk(e.value?.includes('tok-'), `${e.name} carries no token in plain text`);
  t.ok(deploymentOf(objs).spec.template.metadata, 'rendered');
  const annotations = (deploymentOf(objs).spec.template.metadata as { annotations?: Record<string, string> }).annotations ?? {};
  const other = await render({ release: 'r', values: { jira: { baseUrl: 'https://jira.example', email: 'a@example.com', apiToken: 'tok-3' }, git: { token: 'tok-2' } } });
  const otherAnnotations = (deploymentOf(other).spec.template.metadata as { annotations?: Record<string, string> }).annotations ?? {};
  t.not(annotations['checksum/secret'], otherAnnotations['checksum/secret'], 'a changed token rolls the pods');
});

t.test('an existing Secret replaces the created one', async (t) => {
  const objs = await render({ values: { jira: { existingSecret: 'jira-defaults', token: 'ignored' }, git: { existingSecret: 'git-defaults' } } });
  t.equal(ofKind(objs, 'Secret').length, 0, 'no Secret is created');
  const env = envOf(objs);
  t.same(env.get('JIRA_TOKEN')?.valueFrom?.secretKeyRef, { name: 'jira-defaults', key: 'token', optional: true });
  t.same(env.get('GIT_TOKEN')?.valueFrom?.secretKeyRef, { name: 'git-defaults', key: 'token', optional: true });
});

t.test('a git CA bundle from a ConfigMap or a Secret is mounted read-only and named by GIT_CA_FILE', async (t) => {
  for (const [source, volumeKey] of [['configMap', 'configMap'], ['secret', 'secret']] as const) {
    const objs = await render({ values: { git: { ca: { [source]: 'corp-ca', key: 'bundle.pem' } } } });
    const pod = deploymentOf(objs).spec.template.spec;
    const file = envOf(objs).get('GIT_CA_FILE')?.value ?? '';
    t.equal(file, '/etc/jirasync/git-ca/bundle.pem', `${source}: GIT_CA_FILE`);
    const mount = pod.containers[0].volumeMounts.find((m) => file.startsWith(`${m.mountPath}/`));
    t.equal(mount?.readOnly, true, `${source}: mounted read-only`);
    const vol = pod.volumes.find((v) => v.name === mount?.name);
    const ref = volumeKey === 'configMap' ? vol?.configMap?.name : vol?.secret?.secretName;
    t.equal(ref, 'corp-ca', `${source}: the volume is the ${source}`);
  }
});

t.test('OpenTelemetry settings become the standard OTEL_* variables when tracing is enabled', async (t) => {
  const env = envOf(await render({
    values: { otel: { enabled: true, endpoint: 'http://collector:4318', serviceName: 'js', sampler: 'traceidratio', samplerArg: '0.1', resourceAttributes: { b: '2', a: '1' } } },
  }));
  const want: Record<string, string> = {
    OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_SERVICE_NAME: 'js', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1', OTEL_RESOURCE_ATTRIBUTES: 'a=1,b=2',
  };
  for (const [k, v] of Object.entries(want)) t.equal(env.get(k)?.value, v, k);
});
