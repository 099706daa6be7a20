import t from 'tap';
import { helm, templateArgs } from './helm.ts';

// Each case: values that values.schema.json must reject, and a word the error must contain so the
// user sees which key is wrong.
const rejected: { name: string; values: Record<string, unknown>; mentions: string }[] = [
  { name: 'a misspelt top-level key', values: { replicaCont: 3 }, mentions: 'replicaCont' },
  { name: 'a misspelt nested key', values: { leaderElection: { leaseNme: 'x' } }, mentions: 'leaseNme' },
  { name: 'a misspelt key three levels deep', values: { podSecurityContext: { seccompProfile: { typ: 'RuntimeDefault' } } }, mentions: 'typ' },
  { name: 'a misspelt key inside a list item', values: { tolerations: [{ key: 'a', operatr: 'Exists' }] }, mentions: 'operatr' },
  { name: 'a misspelt key in a NetworkPolicy peer', values: { networkPolicy: { ingressFrom: [{ podSelectr: {} }] } }, mentions: 'podSelectr' },
  { name: 'a string where a number belongs', values: { replicaCount: 'two' }, mentions: 'replicaCount' },
  { name: 'a number where a list belongs', values: { watchNamespaces: 3 }, mentions: 'watchNamespaces' },
  { name: 'a string where a boolean belongs', values: { serviceMonitor: { enabled: 'yes' } }, mentions: 'enabled' },
  { name: 'an unknown log level', values: { logLevel: 'verbose' }, mentions: 'logLevel' },
  { name: 'zero concurrency', values: { concurrency: 0 }, mentions: 'concurrency' },
  { name: 'an invalid namespace name', values: { watchNamespaces: ['Team_A'] }, mentions: 'watchNamespaces' },
  { name: 'a malformed scrape interval', values: { serviceMonitor: { interval: '30 seconds' } }, mentions: 'interval' },
  { name: 'a root user id', values: { podSecurityContext: { runAsUser: 0 } }, mentions: 'runAsUser' },
  { name: 'a misspelt NetworkPolicy destination key', values: { networkPolicy: { destinations: { cidr: ['10.0.0.0/8'] } } }, mentions: 'cidr' },
  { name: 'a port out of range for the API server', values: { networkPolicy: { apiServer: { ports: [70000] } } }, mentions: 'ports' },
  { name: 'a destination that is not a CIDR', values: { networkPolicy: { destinations: { cidrs: ['jira.example.com'] } } }, mentions: 'cidrs' },
  { name: 'an image registry with a path or scheme', values: { image: { registry: 'https://registry.example.com/team' } }, mentions: 'registry' },
];

for (const c of rejected) {
  t.test(`values.schema.json rejects ${c.name}, and the error names it`, async (t) => {
    const res = await helm(templateArgs({ values: c.values }));
    t.not(res.code, 0, 'helm template fails');
    t.match(res.stderr, /schema/i, 'the failure is a schema failure');
    t.match(res.stderr, c.mentions, `the message mentions ${c.mentions}`);
  });
}

t.test('values.schema.json accepts the documented optional keys', async (t) => {
  const res = await helm(templateArgs({
    values: {
      podSecurityContext: { runAsUser: null, runAsGroup: null, fsGroup: null, fsGroupChangePolicy: 'OnRootMismatch' },
      podDisruptionBudget: { minAvailable: '50%' },
      otel: { samplerArg: 0.5 },
      global: { imageRegistry: 'x' },
    },
  }));
  t.equal(res.code, 0, res.stderr);
});

t.test('template checks the schema cannot express: no leader election with several replicas, Lease timing order, one git CA source', async (t) => {
  const noLeader = await helm(templateArgs({ values: { replicaCount: 2, leaderElection: { enabled: false } } }));
  t.not(noLeader.code, 0, 'two replicas without leader election fail');
  t.match(noLeader.stderr, 'leaderElection.enabled=false needs replicaCount=1');
  const timing = await helm(templateArgs({ values: { leaderElection: { leaseDurationSeconds: 10, renewDeadlineSeconds: 10 } } }));
  t.not(timing.code, 0, 'a renew deadline as long as the Lease fails');
  t.match(timing.stderr, 'leaseDurationSeconds > renewDeadlineSeconds > retryPeriodSeconds');
  const twoCa = await helm(templateArgs({ values: { git: { ca: { configMap: 'a', secret: 'b' } } } }));
  t.not(twoCa.code, 0, 'a CA from both a ConfigMap and a Secret fails');
  t.match(twoCa.stderr, 'git.ca: set configMap or secret, not both');
  const noSa = await helm(templateArgs({ values: { serviceAccount: { create: false } } }));
  t.not(noSa.code, 0, 'an unnamed existing ServiceAccount fails');
  t.match(noSa.stderr, 'serviceAccount.name is required');
});
