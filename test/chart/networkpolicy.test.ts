import t from 'tap';
import { basename } from 'node:path';
import { stopTestCluster, testCluster } from '../env/cluster.ts';
import { ciValuesFiles, one, ofKind, render, valuesFile, type KubeObject, type RenderOptions } from './helm.ts';
import { kubectl } from './kubectl.ts';

// The chart's NetworkPolicy (on by default): what it lets in and out, rendered, and that the real
// API server accepts every policy the chart can render (strict field validation, server dry run).

interface Peer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
}
interface Port {
  port: number | string;
  protocol: string;
}
interface Rule {
  ports?: Port[];
  to?: Peer[];
  from?: Peer[];
}
interface NetworkPolicy extends KubeObject {
  spec: { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] };
}

const policyOf = async (opts: RenderOptions = {}) => one(await render(opts), 'NetworkPolicy') as NetworkPolicy;
const portsOf = (rule: Rule | undefined) => (rule?.ports ?? []).map((p) => `${p.port}/${p.protocol}`);
const cidrsOf = (rule: Rule | undefined) => (rule?.to ?? []).map((p) => p.ipBlock?.cidr);
/** The egress rule that opens a port. */
const ruleFor = (np: NetworkPolicy, port: string) => np.spec.egress?.find((r) => portsOf(r).includes(port));

t.test('by default both directions are closed: no source but the kubelet reaches the pods, egress only to DNS, the API server and Jira/git over 443', async (t) => {
  const objs = await render();
  const np = one(objs, 'NetworkPolicy') as NetworkPolicy;
  const deployment = one(objs, 'Deployment') as KubeObject & { spec: { selector: { matchLabels: Record<string, string> } } };
  t.same(np.spec.podSelector.matchLabels, deployment.spec.selector.matchLabels, 'it selects the controller pods');
  t.same(np.spec.policyTypes, ['Ingress', 'Egress']);
  t.equal(np.spec.ingress, undefined, 'no ingress rule: only the node (the kubelet probes) gets in');
  const egress = np.spec.egress ?? [];
  t.equal(egress.length, 3, 'three egress rules');
  t.same(portsOf(egress[0]), ['53/UDP', '53/TCP'], 'DNS');
  t.same(egress[0].to, [{
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
    podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
  }], 'DNS only to CoreDNS in kube-system');
  t.same(portsOf(egress[1]), ['443/TCP', '6443/TCP'], 'the API server endpoint ports');
  t.equal(egress[1].to, undefined, 'on any address until apiServer.cidrs names it');
  t.same(portsOf(egress[2]), ['443/TCP'], 'Jira and git over https only');
  t.same(cidrsOf(egress[2]), ['0.0.0.0/0', '::/0'], 'to any address until destinations.cidrs names them');
  t.notOk(egress.some((r) => portsOf(r).includes('80/TCP')), 'plain http is not allowed out');
});

t.test('the namespaces and peers the operator names may reach port 8080, and only that port', async (t) => {
  const peer = { namespaceSelector: { matchLabels: { team: 'sre' } }, podSelector: { matchLabels: { app: 'status-board' } } };
  const np = await policyOf({ values: { networkPolicy: { ingressNamespaces: ['monitoring', 'dashboards'], ingressFrom: [peer] } } });
  t.equal(np.spec.ingress?.length, 1, 'one ingress rule');
  t.same(portsOf(np.spec.ingress?.[0]), ['http-metrics/TCP'], 'port 8080 by its name: metrics, probes and the status API');
  t.same(np.spec.ingress?.[0].from, [
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dashboards' } } },
    peer,
  ]);
});

t.test('API server and Jira/git addresses and ports from values replace "any address"; clusterCidrs are cut out of the default', async (t) => {
  const named = await policyOf({
    values: { networkPolicy: { apiServer: { cidrs: ['10.0.0.10/32'], ports: [6443] }, destinations: { cidrs: ['203.0.113.0/24'], ports: [443, 8443] } } },
  });
  t.same(cidrsOf(ruleFor(named, '6443/TCP')), ['10.0.0.10/32'], 'the API server only at its endpoint');
  t.notOk(ruleFor(named, '443/TCP') === ruleFor(named, '6443/TCP'), '443 is no longer an API server port');
  t.same(portsOf(ruleFor(named, '8443/TCP')), ['443/TCP', '8443/TCP']);
  t.same(cidrsOf(ruleFor(named, '8443/TCP')), ['203.0.113.0/24'], 'Jira and git only at the named addresses');

  const cut = await policyOf({ values: { egress: { clusterCidrs: ['10.96.0.0/12', '10.244.0.0/16', 'fd00:10:96::/112'] } } });
  const destinations = cut.spec.egress?.[2];
  t.same(destinations?.to, [
    { ipBlock: { cidr: '0.0.0.0/0', except: ['10.96.0.0/12', '10.244.0.0/16'] } },
    { ipBlock: { cidr: '::/0', except: ['fd00:10:96::/112'] } },
  ], 'each cluster CIDR is excepted from its address family');
});

t.test('the tracing endpoint\'s port is open only while tracing is on; extra rules are appended; disabled renders no policy', async (t) => {
  t.equal(ruleFor(await policyOf({ values: { otel: { endpoint: 'http://collector:4318' } } }), '4318/TCP'), undefined, 'tracing off: no rule');
  const on = await policyOf({ values: { otel: { enabled: true, endpoint: 'http://collector.observability:4318' } } });
  t.same(portsOf(ruleFor(on, '4318/TCP')), ['4318/TCP'], 'the port of otel.endpoint');
  const https = await policyOf({ values: { otel: { enabled: true, endpoint: 'https://otlp.example.com' } } });
  t.equal(https.spec.egress?.length, 4, 'an https endpoint without a port adds a rule');
  t.same(portsOf(https.spec.egress?.[3]), ['443/TCP'], 'for port 443');

  const proxy = { to: [{ ipBlock: { cidr: '10.0.0.5/32' } }], ports: [{ port: 3128, protocol: 'TCP' }] };
  const extra = await policyOf({ values: { networkPolicy: { egress: [proxy] } } });
  t.same(extra.spec.egress?.at(-1), proxy, 'networkPolicy.egress comes last');
  t.equal(ofKind(await render({ values: { networkPolicy: { enabled: false } } }), 'NetworkPolicy').length, 0);
});

t.test('the policy covers the pods of every shard', async (t) => {
  const np = await policyOf({ values: { shards: ['big'] } }) as NetworkPolicy & {
    spec: { podSelector: { matchExpressions?: { key: string; values: string[] }[] } };
  };
  t.same(np.spec.podSelector.matchExpressions, [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['controller', 'controller-big'] }]);
});

t.test('the API server accepts every NetworkPolicy the chart renders (strict field validation, server-side dry run)', async (t) => {
  const cluster = await testCluster();
  t.teardown(stopTestCluster);
  const ns = await cluster.newNamespace('netpol');
  const cases: { name: string; opts: RenderOptions }[] = [
    { name: 'default values', opts: {} },
    ...ciValuesFiles().map((f) => ({ name: basename(f), opts: { valuesFiles: [f] } })),
    {
      name: 'cluster CIDRs of both families, named ingress namespaces, shards and https tracing',
      opts: {
        values: {
          egress: { clusterCidrs: ['10.96.0.0/12', 'fd00:10:96::/112'] },
          networkPolicy: { ingressNamespaces: ['monitoring'] },
          shards: ['big'],
          otel: { enabled: true, endpoint: 'https://otlp.example.com' },
        },
      },
    },
  ];
  const items: KubeObject[] = [];
  for (const [i, c] of cases.entries()) {
    const np = await policyOf(c.opts);
    items.push({ ...np, metadata: { ...np.metadata, name: `policy-${i}`, namespace: ns } });
  }
  const list = valuesFile({ apiVersion: 'v1', kind: 'List', items });
  const res = await kubectl(cluster.kubeconfigPath, ['create', '--dry-run=server', '--validate=strict', '-f', list, '-o', 'name']);
  t.equal(res.code, 0, 'kubectl create --dry-run=server exits 0', { stderr: res.stderr });
  t.equal(res.stderr.trim(), '', 'no warnings');
  const created = res.stdout.trim().split('\n');
  t.equal(created.length, cases.length, 'one policy per case');
  for (const [i, c] of cases.entries()) {
    t.ok(created.includes(`networkpolicy.networking.k8s.io/policy-${i}`), `${c.name}: accepted`);
  }

  // The check can fail: a policy the API server must reject (an except outside its CIDR) is reported.
  const bad = valuesFile({ ...items[0], metadata: { name: 'bad', namespace: ns }, spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['fd00::/108'] } }] }] } });
  const rejected = await kubectl(cluster.kubeconfigPath, ['create', '--dry-run=server', '--validate=strict', '-f', bad]);
  t.not(rejected.code, 0, 'an invalid policy is refused');
  t.match(rejected.stderr, /except/, 'naming the field');
});
