/**
 * The chart's tenant-isolation and serving-security values: the default connections are offered
 * to nobody unless named, the names reach the controller as the variables it parses, TLS and
 * /metrics protection are wired end to end, and the schema rejects what the controller would.
 */
import t from 'tap';
import { defaultsScopeFromEnv, loadConfig } from '../../controller/config.ts';
import { helm, ofKind, one, render, templateArgs, type KubeObject } from './helm.ts';

interface Container {
  env: { name: string; value?: string }[];
  livenessProbe: { httpGet: { scheme?: string } };
  readinessProbe: { httpGet: { scheme?: string } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
type Deployment = KubeObject & { spec: { template: { spec: { containers: Container[]; volumes: { name: string; secret?: { secretName: string } }[] } } } };

const pod = (objs: KubeObject[]) => (one(objs, 'Deployment') as Deployment).spec.template.spec;
const envOf = (objs: KubeObject[]) => Object.fromEntries(pod(objs).containers[0].env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));

t.test('by default the default connections are offered to nobody and port 8080 is plain HTTP', async (t) => {
  const objs = await render({ values: { jira: { existingSecret: 'd' }, git: { existingSecret: 'd' } } });
  const env = envOf(objs);
  for (const n of ['JIRASYNC_DEFAULT_JIRA_NAMESPACES', 'JIRASYNC_DEFAULT_GIT_NAMESPACES', 'JIRASYNC_DEFAULT_GIT_URL_PREFIXES', 'HTTP_TLS_CERT_FILE']) t.notOk(n in env, `${n} is not set`);
  t.same(defaultsScopeFromEnv(env), { jiraNamespaces: [], gitNamespaces: [], gitUrlPrefixes: [] }, 'the controller reads an empty scope');
  t.equal(env.METRICS_AUTH, 'false');
  t.equal(ofKind(objs, 'ClusterRole').filter((r) => r.metadata.name.endsWith('-metrics-reader')).length, 0, 'no metrics-reader role');
});

t.test('the named namespaces and prefixes reach the controller as the scope it parses', async (t) => {
  const objs = await render({
    values: {
      jira: { defaultFor: { namespaces: ['team-a', 'platform'] } },
      git: { defaultFor: { namespaces: ['*'], urlPrefixes: ['https://git.example.com/platform/', 'https://git.example.org'] } },
      httpServer: { audiences: ['jirasync', 'other'], listLimit: 50 },
    },
  });
  const env = envOf(objs);
  t.same(defaultsScopeFromEnv(env), {
    jiraNamespaces: ['team-a', 'platform'], gitNamespaces: ['*'], gitUrlPrefixes: ['https://git.example.com/platform/', 'https://git.example.org'],
  });
  const http = loadConfig(env).http;
  t.same(http.audiences, ['jirasync', 'other']);
  t.equal(http.listLimit, 50);
});

t.test('TLS from a Secret: mounted read-only, named by HTTP_TLS_*, probes and ServiceMonitor speak HTTPS', async (t) => {
  const objs = await render({ release: 'r', values: { httpServer: { tls: { secretName: 'serving-cert' }, metricsAuth: true }, serviceMonitor: { enabled: true } } });
  const spec = pod(objs);
  const c = spec.containers[0];
  const env = envOf(objs);
  t.equal(env.HTTP_TLS_CERT_FILE, '/etc/jirasync/tls/tls.crt');
  t.equal(env.HTTP_TLS_KEY_FILE, '/etc/jirasync/tls/tls.key');
  const mount = c.volumeMounts.find((m) => m.mountPath === '/etc/jirasync/tls');
  t.equal(mount?.readOnly, true, 'mounted read-only');
  t.equal(spec.volumes.find((v) => v.name === mount?.name)?.secret?.secretName, 'serving-cert');
  t.equal(c.livenessProbe.httpGet.scheme, 'HTTPS');
  t.equal(c.readinessProbe.httpGet.scheme, 'HTTPS');
  const sm = one(objs, 'ServiceMonitor') as KubeObject & { spec: { endpoints: { scheme?: string; bearerTokenFile?: string }[] } };
  t.equal(sm.spec.endpoints[0].scheme, 'https');
  t.ok(sm.spec.endpoints[0].bearerTokenFile, 'Prometheus sends its token when /metrics is protected');
  const reader = ofKind(objs, 'ClusterRole').find((r) => r.metadata.name.endsWith('-metrics-reader')) as KubeObject & { rules: unknown[] } | undefined;
  t.same(reader?.rules, [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
  t.equal(env.METRICS_AUTH, 'true');
});

const rejected: [string, Record<string, unknown>][] = [
  ['a look-alike prefix with userinfo', { git: { defaultFor: { urlPrefixes: ['https://git.example.com@evil.io/'] } } }],
  ['an http prefix', { git: { defaultFor: { urlPrefixes: ['http://git.example.com/'] } } }],
  ['a namespace that is not a DNS label', { jira: { defaultFor: { namespaces: ['Team_A'] } } }],
  ['an unknown key under defaultFor', { git: { defaultFor: { namespace: ['team-a'] } } }],
  ['an unknown key under httpServer', { httpServer: { tls: { secret: 'x' } } }],
  ['a list limit of 0', { httpServer: { listLimit: 0 } }],
];
for (const [name, values] of rejected) {
  t.test(`the schema rejects ${name}`, async (t) => {
    const res = await helm(templateArgs({ values }));
    t.not(res.code, 0, 'helm template fails');
    t.match(res.stderr, /schema/);
  });
}
