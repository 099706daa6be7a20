/**
 * Tenant isolation against the real API server, with two tenant namespaces: tenant A is offered
 * the controller's default Jira and git connections (git only for the test git server's origin),
 * tenant B is not. What each tenant can make the controller send is checked where it arrives:
 * the Jira emulator's request log, the git server's and a hostile https server's.
 */
import t from 'tap';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JIRASync, JIRASyncSpec } from '../../controller/api/jirasync.ts';
import { GROUP, PLURAL, VERSION } from '../../controller/api/jirasync.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { startController } from '../fixtures/controller.ts';
import { startHostileServer } from '../fixtures/hostile-server.ts';
import { makeWorld } from '../fixtures/world.ts';

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 12, projects: [{ key: 'PROJ', issues: 5 }] });
const tenantA = world.namespace;
const tenantB = await world.cluster.newNamespace('tenant-b');
const hostile = await startHostileServer({ mode: { kind: 'ask-credentials' } });
t.teardown(() => hostile.stop());
const caFile = join(await mkdtemp(join(tmpdir(), 'jirasync-tenancy-')), 'ca.pem');
await writeFile(caFile, `${world.git.caPem}\n${hostile.caPem}`);

const ctl = await startController({
  kubeconfigPath: world.cluster.kubeconfigPath, namespace: tenantA, watchNamespaces: [tenantA, tenantB],
  env: {
    ...world.controllerEnv(),
    GIT_CA_FILE: caFile,
    GIT_USERNAME: world.git.username,
    GIT_TOKEN: world.git.password,
    JIRASYNC_DEFAULT_JIRA_NAMESPACES: tenantA,
    JIRASYNC_DEFAULT_GIT_NAMESPACES: tenantA,
    JIRASYNC_DEFAULT_GIT_URL_PREFIXES: world.git.baseUrl,
  },
});
t.teardown(() => ctl.stop());

const ref = (namespace: string) => ({ group: GROUP, version: VERSION, namespace, plural: PLURAL });
async function apply(namespace: string, name: string, spec: JIRASyncSpec): Promise<void> {
  await world.objects.createNamespacedCustomObject({ ...ref(namespace), body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'JIRASync', metadata: { name }, spec } });
}
async function waitFailed(namespace: string, name: string): Promise<JIRASync> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const o = (await world.objects.getNamespacedCustomObject({ ...ref(namespace), name })) as JIRASync;
    if (o.status?.phase === 'Failed') return o;
    if (o.status?.phase === 'Completed') throw new Error(`${namespace}/${name} completed: ${JSON.stringify(o.status)}`);
    if (Date.now() > deadline) throw new Error(`${namespace}/${name} not Failed: ${JSON.stringify(o.status)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
async function waitReport(namespace: string, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const o = (await world.objects.getNamespacedCustomObject({ ...ref(namespace), name })) as JIRASync;
    // Absent until the report has been attempted; then Reported, Skipped or Pending (to retry).
    const state = o.status?.jiraReport?.state;
    if (state) return;
    if (Date.now() > deadline) throw new Error(`${namespace}/${name}: failure report still ${state ?? 'absent'}: ${JSON.stringify(o.status)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
async function eventReasons(namespace: string, name: string): Promise<string[]> {
  const list = await world.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items.filter((e) => e.type === 'Warning').map((e) => e.reason ?? '');
}
const reason = (o: JIRASync, type: string) => o.status?.conditions?.find((c) => c.type === type)?.reason;
const spec = (repository: string, extra: Partial<JIRASyncSpec> = {}): JIRASyncSpec => ({
  syncType: 'single', target: { issueKeys: ['PROJ-1'] },
  destination: { repository, branch: 'main' },
  retryPolicy: { maxRetries: 0, initialDelay: 1, backoffMultiplier: 1 },
  ...extra,
});

t.test('tenant B without Secrets gets CredentialsMissing and nothing is sent anywhere', async (t) => {
  const jiraSeq = world.jira.state.requestLog.at(-1)?.seq ?? 0;
  const gitBefore = world.git.requests.length;
  const repo = await world.git.createRepo('tenant-b');
  await apply(tenantB, 'no-secret', spec(repo));
  await apply(tenantB, 'no-secret-hostile', spec(`${hostile.url}/steal.git`));
  for (const name of ['no-secret', 'no-secret-hostile']) {
    const o = await waitFailed(tenantB, name);
    t.equal(reason(o, 'Ready'), 'CredentialsMissing', `${name}: Ready reason`);
    t.equal(reason(o, 'Stalled'), 'CredentialsMissing', `${name}: Stalled reason (no retry)`);
    t.match(o.status?.lastError ?? '', new RegExp(`not offered to namespace ${tenantB}`), `${name}: the message says why`);
    t.ok((await eventReasons(tenantB, name)).includes('CredentialsMissing'), `${name}: a Warning Event with reason CredentialsMissing`);
  }
  t.same(world.jira.state.requestsSince(jiraSeq).filter((r) => r.auth !== 'none'), [], 'Jira received no authenticated request');
  t.same(world.git.requests.slice(gitBefore), [], 'the git server received nothing');
  t.same(hostile.received, [], 'the hostile server received nothing');
});

t.test('tenant A uses the defaults for an allowed origin, and never sends the default git token elsewhere', async (t) => {
  const repo = await world.git.createRepo('tenant-a');
  await apply(tenantA, 'defaults', spec(repo));
  const deadline = Date.now() + 90_000;
  let o: JIRASync;
  for (;;) {
    o = (await world.objects.getNamespacedCustomObject({ ...ref(tenantA), name: 'defaults' })) as JIRASync;
    if (o.status?.phase === 'Completed' || o.status?.phase === 'Failed' || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  t.equal(o.status?.phase, 'Completed', 'synced with the default connections', { status: o.status });

  await apply(tenantA, 'hostile', spec(`${hostile.url}/steal.git`));
  const failed = await waitFailed(tenantA, 'hostile');
  t.equal(reason(failed, 'Ready'), 'GitAuthFailed', 'the hostile server refused the anonymous clone');
  // The failure is reported to Jira with tenant A's default identity after the phase is written;
  // wait for it, so the next test's "no authenticated request to Jira" sees only its own sync.
  await waitReport(tenantA, 'hostile');
  t.ok(hostile.received.length > 0, 'the hostile server was reached (so the next check means something)');
  t.same(hostile.received.filter((r) => r.authorization), [], 'no request carried an Authorization header');
  // A look-alike host and a sibling path are outside the prefix too (see the unit tests); the
  // default token never appears in what the hostile server got.
  t.notMatch(JSON.stringify(hostile.received), new RegExp(Buffer.from(`${world.git.username}:${world.git.password}`).toString('base64')));
});

t.test('a Secret without the opt-in label is refused with SecretNotAllowed', async (t) => {
  await world.core.createNamespacedSecret({ namespace: tenantB, body: { metadata: { name: 'jira-unlabelled' }, stringData: { baseUrl: world.jira.url, email: world.jira.email, apiToken: world.jira.apiToken } } });
  const jiraSeq = world.jira.state.requestLog.at(-1)?.seq ?? 0;
  await apply(tenantB, 'unlabelled', spec(await world.git.createRepo('unlabelled'), { jira: { secretRef: { name: 'jira-unlabelled' } } }));
  const o = await waitFailed(tenantB, 'unlabelled');
  t.equal(reason(o, 'Ready'), 'SecretNotAllowed');
  t.match(o.status?.lastError ?? '', /jira-unlabelled is not opted in: add the label sync\.jira\.io\/credentials=true/);
  t.ok((await eventReasons(tenantB, 'unlabelled')).includes('SecretNotAllowed'), 'a Warning Event with reason SecretNotAllowed');
  t.same(world.jira.state.requestsSince(jiraSeq).filter((r) => r.auth !== 'none'), [], 'the unlabelled Secret was not used');
});

t.test('a ServiceAccount token Secret is refused even when labelled', async (t) => {
  await world.core.createNamespacedSecret({
    namespace: tenantB,
    body: {
      metadata: { name: 'sa-token', labels: { 'sync.jira.io/credentials': 'true' }, annotations: { 'kubernetes.io/service-account.name': 'default' } },
      type: 'kubernetes.io/service-account-token',
      stringData: { token: 'sa-token-value-0123456789' },
    },
  });
  await world.core.createNamespacedSecret({ namespace: tenantB, body: { metadata: { name: 'jira-labelled', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: world.jira.url, email: world.jira.email, apiToken: world.jira.apiToken } } });
  const repo = await world.git.createRepo('sa-token');
  const gitBefore = world.git.requests.length;
  await apply(tenantB, 'sa-token', spec(repo, {
    destination: { repository: repo, branch: 'main', secretRef: { name: 'sa-token' } },
    jira: { secretRef: { name: 'jira-labelled' } },
  }));
  const o = await waitFailed(tenantB, 'sa-token');
  t.equal(reason(o, 'Ready'), 'SecretNotAllowed', 'refused', { status: o.status });
  t.match(o.status?.lastError ?? '', /sa-token is of type kubernetes\.io\/service-account-token; only Opaque Secrets/);
  t.same(world.git.requests.slice(gitBefore).filter((r) => r.path.includes('sa-token')), [], 'the git server received nothing for it');
  t.notMatch(JSON.stringify(o.status), /sa-token-value-0123456789/, 'the token is nowhere in the status');
});
