import t, { type Test } from 'tap';
import * as k8s from '@kubernetes/client-node';
import { stopTestCluster, testCluster } from '../env/cluster.ts';
import { installChartRbac, serviceAccountKubeconfig, type ChartRbac } from './install.ts';
import { canI, type AccessCheck } from './kubectl.ts';

// The chart's RBAC is sufficient for the controller and not more, proven against the real API
// server: kubectl auth can-i impersonating the chart's ServiceAccount, the API server's own list of
// the rules that apply to it (SelfSubjectRulesReview), and real requests with a TokenRequest token.

const cluster = await testCluster();
// Stops the control plane only when this file started its own (run alone, not under npm test).
t.teardown(stopTestCluster);
const admin = cluster.kc;
const JS = { group: 'sync.jira.io', version: 'v1alpha1', plural: 'jirasyncs' } as const;
const LEASE = 'jirasync-leader';

/** "group|resource|verb|resourceName" for every rule the API server says applies in the namespace. */
async function rulesIn(kc: k8s.KubeConfig, namespace: string): Promise<Set<string>> {
  const review = await kc.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectRulesReview({ body: { spec: { namespace } } });
  const out = new Set<string>();
  for (const r of review.status?.resourceRules ?? []) {
    for (const g of r.apiGroups ?? ['']) for (const res of r.resources ?? []) for (const v of r.verbs) {
      for (const n of r.resourceNames?.length ? r.resourceNames : ['*']) out.add(`${g}|${res}|${v}|${n}`);
    }
  }
  return out;
}

/** What any ServiceAccount may do without the chart (self-reviews granted to every authenticated user). */
async function baselineRules(namespace: string): Promise<Set<string>> {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'nobody' } } });
  const nobody = await serviceAccountKubeconfig(admin, namespace, 'nobody');
  try {
    return await rulesIn(nobody.kc, namespace);
  } finally {
    nobody.remove();
  }
}

const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

/** The rules the chart grants in every watched namespace. */
const watchedRules = [
  'sync.jira.io|jirasyncs|get|*', 'sync.jira.io|jirasyncs|list|*', 'sync.jira.io|jirasyncs|watch|*',
  'sync.jira.io|jirasyncs/status|patch|*', 'sync.jira.io|jirasyncs/status|update|*',
  '|secrets|get|*', '|events|create|*', '|events|patch|*',
];
const clusterReviews = ['authentication.k8s.io|tokenreviews|create|*', 'authorization.k8s.io|subjectaccessreviews|create|*'];
const leaseRules = [
  'coordination.k8s.io|leases|create|*',
  `coordination.k8s.io|leases|get|${LEASE}`, `coordination.k8s.io|leases|update|${LEASE}`, `coordination.k8s.io|leases|watch|${LEASE}`,
];

/** The checks every installation must grant, in a watched namespace and the release namespace. */
function needed(watched: string, releaseNs: string): AccessCheck[] {
  return [
    { verb: 'get', resource: 'jirasyncs.sync.jira.io', namespace: watched },
    { verb: 'list', resource: 'jirasyncs.sync.jira.io', namespace: watched },
    { verb: 'watch', resource: 'jirasyncs.sync.jira.io', namespace: watched },
    { verb: 'patch', resource: 'jirasyncs.sync.jira.io', subresource: 'status', namespace: watched },
    { verb: 'update', resource: 'jirasyncs.sync.jira.io', subresource: 'status', namespace: watched },
    { verb: 'get', resource: 'secrets', namespace: watched },
    { verb: 'create', resource: 'events', namespace: watched },
    { verb: 'patch', resource: 'events', namespace: watched },
    { verb: 'create', resource: 'leases.coordination.k8s.io', namespace: releaseNs },
    { verb: 'get', resource: `leases.coordination.k8s.io/${LEASE}`, namespace: releaseNs },
    { verb: 'update', resource: `leases.coordination.k8s.io/${LEASE}`, namespace: releaseNs },
    { verb: 'watch', resource: `leases.coordination.k8s.io/${LEASE}`, namespace: releaseNs },
    { verb: 'create', resource: 'tokenreviews.authentication.k8s.io' },
    { verb: 'create', resource: 'subjectaccessreviews.authorization.k8s.io' },
  ];
}

/** Checks no installation may grant. */
function forbidden(watched: string, releaseNs: string): AccessCheck[] {
  return [
    { verb: 'create', resource: 'jirasyncs.sync.jira.io', namespace: watched },
    { verb: 'update', resource: 'jirasyncs.sync.jira.io', namespace: watched },
    { verb: 'patch', resource: 'jirasyncs.sync.jira.io', namespace: watched },
    { verb: 'delete', resource: 'jirasyncs.sync.jira.io', namespace: watched },
    { verb: 'list', resource: 'secrets', namespace: watched },
    { verb: 'watch', resource: 'secrets', namespace: watched },
    { verb: 'create', resource: 'secrets', namespace: watched },
    { verb: 'update', resource: 'secrets', namespace: watched },
    { verb: 'delete', resource: 'events', namespace: watched },
    { verb: 'create', resource: 'events.events.k8s.io', namespace: watched },
    { verb: 'get', resource: 'configmaps', namespace: watched },
    { verb: 'create', resource: 'pods', namespace: releaseNs },
    { verb: 'update', resource: 'deployments.apps', namespace: releaseNs },
    { verb: 'list', resource: 'namespaces' },
    { verb: 'delete', resource: `leases.coordination.k8s.io/${LEASE}`, namespace: releaseNs },
    { verb: 'update', resource: 'leases.coordination.k8s.io/some-other-lease', namespace: releaseNs },
    { verb: 'list', resource: 'leases.coordination.k8s.io', namespace: releaseNs },
    { verb: 'watch', resource: 'leases.coordination.k8s.io', namespace: releaseNs },
    { verb: 'create', resource: 'leases.coordination.k8s.io', namespace: watched },
    { verb: 'create', resource: 'clusterrolebindings.rbac.authorization.k8s.io' },
    { verb: 'impersonate', resource: 'serviceaccounts', namespace: releaseNs },
  ];
}

async function checkAll(t: Test, user: string, checks: AccessCheck[], want: boolean): Promise<void> {
  // A few kubectl processes at a time: the machine is shared.
  for (let i = 0; i < checks.length; i += 4) {
    const batch = checks.slice(i, i + 4);
    const answers = await Promise.all(batch.map((c) => canI(cluster.kubeconfigPath, user, c)));
    batch.forEach((c, j) => {
      const where = c.namespace ? `in ${c.namespace}` : 'cluster-wide';
      t.equal(answers[j], want, `${want ? 'may' : 'may not'} ${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''} ${where}`);
    });
  }
}

t.test('watching all namespaces (default values)', async (t) => {
  const releaseNs = await cluster.newNamespace('rbac');
  const team = await cluster.newNamespace('rbac-team');
  const rbac = await installChartRbac({ cluster, namespace: releaseNs });
  t.teardown(() => rbac.uninstall());

  t.test('kubectl auth can-i: every verb the controller needs is granted', (t) => checkAll(t, rbac.user, needed(team, releaseNs), true));
  t.test('kubectl auth can-i: verbs the controller does not need are denied', (t) => checkAll(t, rbac.user, forbidden(team, releaseNs), false));

  t.test('the API server lists exactly the chart\'s rules for the ServiceAccount, nothing else', async (t) => {
    const baseline = await baselineRules(releaseNs);
    t.same(minus(await rulesIn(rbac.kc, team), baseline), [...watchedRules, ...clusterReviews].sort(), `in a watched namespace (${team})`);
    t.same(minus(await rulesIn(rbac.kc, releaseNs), baseline), [...watchedRules, ...clusterReviews, ...leaseRules].sort(), 'in the release namespace');
  });

  t.test('real requests with a TokenRequest token succeed for what the controller does', (t) => realRequests(t, rbac, team));
});

t.test('watching only some namespaces (values.watchNamespaces)', async (t) => {
  const releaseNs = await cluster.newNamespace('rbac-r');
  const teamA = await cluster.newNamespace('rbac-a');
  const teamB = await cluster.newNamespace('rbac-b');
  const outside = await cluster.newNamespace('rbac-out');
  const rbac = await installChartRbac({ cluster, namespace: releaseNs, watchNamespaces: [teamA, teamB] });
  t.teardown(() => rbac.uninstall());

  t.test('kubectl auth can-i: every needed verb is granted in each watched namespace', async (t) => {
    await checkAll(t, rbac.user, needed(teamA, releaseNs), true);
    await checkAll(t, rbac.user, needed(teamB, releaseNs), true);
  });
  t.test('kubectl auth can-i: nothing on JIRASyncs, Secrets or Events outside the watched namespaces, nor cluster-wide', async (t) => {
    const outsideChecks = needed(outside, releaseNs).filter((c) => c.namespace === outside);
    await checkAll(t, rbac.user, outsideChecks, false);
    await checkAll(t, rbac.user, [
      { verb: 'list', resource: 'jirasyncs.sync.jira.io' },
      { verb: 'get', resource: 'secrets' },
    ], false);
    await checkAll(t, rbac.user, forbidden(teamA, releaseNs), false);
  });
  t.test('the API server lists no rule in an unwatched namespace beyond the cluster-wide reviews', async (t) => {
    const baseline = await baselineRules(releaseNs);
    t.same(minus(await rulesIn(rbac.kc, outside), baseline), [...clusterReviews].sort());
    t.same(minus(await rulesIn(rbac.kc, teamB), baseline), [...watchedRules, ...clusterReviews].sort());
  });
  t.test('real requests with a TokenRequest token succeed in a watched namespace', (t) => realRequests(t, rbac, teamA));
  t.test('real requests are refused outside the watched namespaces', async (t) => {
    const secret = await adminSecret(outside);
    const core = rbac.kc.makeApiClient(k8s.CoreV1Api);
    await t.rejects(core.readNamespacedSecret({ name: secret, namespace: outside }), { code: 403 }, 'get a Secret');
    await t.rejects(
      rbac.kc.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject(JS),
      { code: 403 },
      'list JIRASyncs in all namespaces',
    );
  });
});

async function adminSecret(namespace: string): Promise<string> {
  await admin.makeApiClient(k8s.CoreV1Api).createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'jira-credentials', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: 'https://jira.example', token: 'x' } },
  });
  return 'jira-credentials';
}

/** What the controller does, done as the ServiceAccount: each must succeed; the neighbours must fail. */
async function realRequests(t: Test, rbac: ChartRbac, team: string): Promise<void> {
  const objs = rbac.kc.makeApiClient(k8s.CustomObjectsApi);
  const core = rbac.kc.makeApiClient(k8s.CoreV1Api);
  const coord = rbac.kc.makeApiClient(k8s.CoordinationV1Api);
  await admin.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
    ...JS,
    namespace: team,
    body: {
      apiVersion: 'sync.jira.io/v1alpha1',
      kind: 'JIRASync',
      metadata: { name: 'probe' },
      spec: { syncType: 'single', target: { issueKeys: ['PROJ-1'] }, destination: { repository: 'https://git.example/r.git' } },
    },
  });
  const secret = await adminSecret(team);

  const listed = (await objs.listNamespacedCustomObject({ ...JS, namespace: team })) as { items: { metadata: { name: string } }[] };
  t.same(listed.items.map((i) => i.metadata.name), ['probe'], 'lists JIRASyncs');
  const got = (await objs.getNamespacedCustomObject({ ...JS, namespace: team, name: 'probe' })) as { spec: unknown };
  t.ok(got.spec, 'gets a JIRASync');
  const patched = (await objs.patchNamespacedCustomObjectStatus({
    ...JS, namespace: team, name: 'probe', body: [{ op: 'add', path: '/status', value: { phase: 'Pending' } }],
  })) as { status?: { phase?: string } };
  t.equal(patched.status?.phase, 'Pending', 'patches status');
  await t.rejects(
    objs.patchNamespacedCustomObject({ ...JS, namespace: team, name: 'probe', body: [{ op: 'replace', path: '/spec/suspend', value: true }] }),
    { code: 403 },
    'cannot change the spec',
  );
  await t.rejects(objs.deleteNamespacedCustomObject({ ...JS, namespace: team, name: 'probe' }), { code: 403 }, 'cannot delete a JIRASync');

  const s = await core.readNamespacedSecret({ name: secret, namespace: team });
  t.ok(s.data?.baseUrl, 'reads a referenced Secret');
  await t.rejects(core.listNamespacedSecret({ namespace: team }), { code: 403 }, 'cannot list Secrets');

  const ev = await core.createNamespacedEvent({
    namespace: team,
    body: {
      metadata: { generateName: 'probe.' },
      involvedObject: { apiVersion: 'sync.jira.io/v1alpha1', kind: 'JIRASync', name: 'probe', namespace: team },
      reason: 'SyncStarted', message: 'probe', type: 'Normal', count: 1,
      source: { component: 'jirasync' },
    },
  });
  t.ok(ev.metadata?.name, 'creates an Event');
  const evPatched = await core.patchNamespacedEvent({
    namespace: team, name: ev.metadata!.name!, body: [{ op: 'replace', path: '/count', value: 2 }],
  });
  t.equal(evPatched.count, 2, 'patches an Event (a repeat)');

  const ns = rbac.namespace;
  const lease = await coord.createNamespacedLease({
    namespace: ns,
    body: { metadata: { name: LEASE }, spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15 } },
  });
  t.equal(lease.spec?.holderIdentity, 'pod-a', 'creates the Lease in the release namespace');
  const read = await coord.readNamespacedLease({ namespace: ns, name: LEASE });
  read.spec!.holderIdentity = 'pod-b';
  const updated = await coord.replaceNamespacedLease({ namespace: ns, name: LEASE, body: read });
  t.equal(updated.spec?.holderIdentity, 'pod-b', 'gets and updates its Lease');
  const leases = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
  t.equal(await watchOutcome(rbac.kc, leases, `metadata.name=${LEASE}`), 'ok', 'watches its Lease (by name)');
  t.equal(await watchOutcome(rbac.kc, leases, undefined), 403, 'cannot watch every Lease');
  await t.rejects(coord.deleteNamespacedLease({ namespace: ns, name: LEASE }), { code: 403 }, 'cannot delete the Lease');
  await t.rejects(
    coord.createNamespacedLease({ namespace: team, body: { metadata: { name: LEASE }, spec: {} } }),
    { code: 403 },
    'cannot create a Lease outside the release namespace',
  );

  const tr = await rbac.kc.makeApiClient(k8s.AuthenticationV1Api).createTokenReview({ body: { spec: { token: rbac.token } } });
  t.equal(tr.status?.user?.username, rbac.user, 'creates a TokenReview');
  const sar = await rbac.kc.makeApiClient(k8s.AuthorizationV1Api).createSubjectAccessReview({
    body: { spec: { user: rbac.user, resourceAttributes: { namespace: team, verb: 'get', group: 'sync.jira.io', resource: 'jirasyncs' } } },
  });
  t.equal(sar.status?.allowed, true, 'creates a SubjectAccessReview');

  await t.rejects(
    rbac.kc.makeApiClient(k8s.AppsV1Api).patchNamespacedDeployment({
      namespace: ns, name: `${rbac.release}-jirasync`, body: [{ op: 'replace', path: '/spec/replicas', value: 5 }],
    }),
    { code: 403 },
    'cannot update the Deployment',
  );
}

/** Opens a short watch: 'ok' when the server accepted it, else the HTTP status that refused it. */
function watchOutcome(kc: k8s.KubeConfig, path: string, fieldSelector: string | undefined): Promise<'ok' | number | string> {
  return new Promise((resolve) => {
    const query: Record<string, string | number> = { timeoutSeconds: 1 };
    if (fieldSelector) query.fieldSelector = fieldSelector;
    const failed = (err: unknown) => resolve((err as { statusCode?: number } | null)?.statusCode ?? String(err));
    new k8s.Watch(kc).watch(path, query, () => {}, (err: unknown) => (err ? failed(err) : resolve('ok'))).then(
      (ctl) => setTimeout(() => { ctl.abort(); resolve('ok'); }, 1500),
      failed,
    );
  });
}
