/**
 * No secret leaves the controller. Syncs fail with distinctive credentials that Jira and the git
 * server reject (so the tokens travel through error paths, retries and failure reports), with
 * tracing on and debug logging; then every log line, every Event, every status field, every
 * exported span, every metric line and every Jira comment is searched for each token and the
 * forms it travels in (base64, Basic auth, URL-encoded). The working credentials the controller
 * holds (its default Jira connection, the git Secret) are searched for too.
 *
 * Data Center too: a second emulator in Data Center mode, also echoing, gets a refused personal
 * access token (Bearer) and a working one whose invalid JQL comes back with the header in it.
 *
 * The servers are hostile: the Jira emulator echoes the Authorization header into its 401 and 400
 * bodies and the git server into the reason it refuses a push with, so credentials come back into
 * error messages (the controller drops a 401's body unread; the 400 of an invalid JQL is read). The test can fail: with JIRASYNC_UNSAFE_DISABLE_REDACTION=1 in this process's
 * environment the controller runs without redaction and the searches below find the tokens.
 */
import t from 'tap';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GROUP, PLURAL, VERSION } from '../../controller/api/jirasync.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { startController } from '../fixtures/controller.ts';
import { startOtlpReceiver, tracingEnv } from '../fixtures/otlp-receiver.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';
import { echoAuthorizationOnPush } from '../git-server/echo-auth.ts';
import { startGitServer } from '../git-server/server.ts';
import { startJiraEmulator } from '../jira-emulator/emulator.ts';

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 5, projects: [{ key: 'PROJ', issues: 6 }, { key: 'OPS', issues: 4 }], echoAuthorization: true });
// A second git server whose user name is not a multiple of three bytes with its ':', so the Basic
// value is not base64(user:) + base64(token) and only redaction of the pair can catch it.
const echoGit = await startGitServer({ username: 'echo-user', password: 'git-echo-Vn4cR8sLq2Wm7Tz1' });
t.teardown(() => echoGit.stop());
echoGit.intercept = echoAuthorizationOnPush('echo-repo');
const caFile = join(await mkdtemp(join(tmpdir(), 'jirasync-leak-ca-')), 'ca.pem');
await writeFile(caFile, `${world.git.caPem}\n${echoGit.caPem}`);
const ns = world.namespace;
const DC_PAT = 'dc-pat-working-Zr5tY1uIo3Pa9Sd2';
const DC_PAT_REJECTED = 'dc-pat-leak-Mk8jH4gFd6Sa2Qw0';
const dc = await startJiraEmulator({ mode: 'datacenter', seed: 5, projects: [{ key: 'PROJ', issues: 6 }, { key: 'DCX', issues: 3 }], pats: [DC_PAT], echoAuthorization: true });
t.teardown(() => dc.stop());
const JIRA_TOKEN = 'jira-leak-Qx7vK2mPz9Rt4Lw8';
const GIT_TOKEN = 'git-leak-Hs3nB8yWc5Jd1Fe6';
await world.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'jira-leak', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: world.jira.url, email: world.jira.email, apiToken: JIRA_TOKEN } } });
await world.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'git-leak', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { username: world.git.username, token: GIT_TOKEN } } });
await world.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'jira-dc-leak', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: dc.url, token: DC_PAT_REJECTED } } });
await world.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'jira-dc', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: dc.url, token: DC_PAT } } });
await world.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'git-echo', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { username: echoGit.username, token: echoGit.password } } });
const otlp = await startOtlpReceiver();
t.teardown(() => otlp.close());
const ctl = await startController({
  kubeconfigPath: world.cluster.kubeconfigPath, namespace: ns, watchNamespaces: [ns],
  env: {
    ...world.controllerEnv(), ...tracingEnv(otlp.url), LOG_LEVEL: 'debug', GIT_CA_FILE: caFile,
    // Forwarded only to prove the test fails without redaction (see above).
    ...(process.env.JIRASYNC_UNSAFE_DISABLE_REDACTION ? { JIRASYNC_UNSAFE_DISABLE_REDACTION: process.env.JIRASYNC_UNSAFE_DISABLE_REDACTION } : {}),
  },
});
t.teardown(() => ctl.stop());

const retries = { maxRetries: 1, initialDelay: 1, backoffMultiplier: 1 };
const syncs = [
  { name: 'jira-rejects', report: 'OPS-1', spec: { jira: { secretRef: { name: 'jira-leak' } } } },
  { name: 'git-rejects', report: 'OPS-2', spec: { destination: { repository: await world.git.createRepo('leak'), branch: 'main', secretRef: { name: 'git-leak' } } } },
  // Working (default) Jira credentials; Jira refuses the JQL with messages that echo them.
  { name: 'jira-echoes', report: 'OPS-4', spec: { syncType: 'jql' as const, target: { jqlQuery: 'project = PROJ AND nosuchfield = 1' } } },
  // Working credentials; the server refuses the push with a reason that echoes them.
  { name: 'git-echoes', report: 'OPS-3', spec: { destination: { repository: await echoGit.createRepo('echo-repo'), branch: 'main', secretRef: { name: 'git-echo' } } } },
  // Data Center: a refused PAT, and a working one whose invalid JQL is echoed back with the header.
  { name: 'dc-rejects', report: 'DCX-1', spec: { jira: { secretRef: { name: 'jira-dc-leak' } } } },
  { name: 'dc-echoes', report: 'DCX-2', spec: { syncType: 'jql' as const, target: { jqlQuery: 'project = PROJ AND nosuchfield = 1' }, jira: { secretRef: { name: 'jira-dc' } } } },
];
for (const s of syncs) {
  await world.apply(s.name, specFor(await world.git.createRepo(`${s.name}-repo`), {
    syncType: 'project', target: { projectKey: 'PROJ' }, retryPolicy: retries,
    failurePolicy: { issueKey: s.report, transitionTo: ['Failed', 'Blocked'] }, ...s.spec,
  }));
}
// A sync whose own Jira token is rejected cannot report either (reports never fall back to the
// default identity): its report is Skipped, after one more trip of the token through an error.
const reportState = (name: string) => (name === 'jira-rejects' || name === 'dc-rejects' ? 'Skipped' : 'Reported');
const stalls = (name: string) => name === 'jira-echoes' || name === 'dc-echoes';
for (const s of syncs) await world.waitFor(s.name, 'Failed and reported', (o) => o.status?.phase === 'Failed' && o.status?.jiraReport?.state === reportState(s.name));
await otlp.waitFor((spans) => syncs.every((s) => spans.filter((x) => x.name === 'jirasync.reconcile' && x.attributes['jirasync.name'] === s.name).length === (stalls(s.name) ? 1 : 2)), 30_000, 'every run of each sync');
await new Promise((r) => setTimeout(r, 1500));

/** A secret and every form it may travel in. */
function forms(label: string, secret: string, user?: string): { label: string; needle: string }[] {
  const out = [
    { label, needle: secret },
    { label: `${label} (base64)`, needle: Buffer.from(secret).toString('base64') },
    { label: `${label} (URL-encoded)`, needle: encodeURIComponent(secret) },
    // A truncated or re-wrapped token still gives itself away by its middle.
    { label: `${label} (middle)`, needle: secret.slice(4, -4) },
  ];
  if (user) out.push({ label: `${label} (Basic)`, needle: Buffer.from(`${user}:${secret}`).toString('base64') });
  return out;
}
const needles = [
  ...forms('rejected Jira token', JIRA_TOKEN, world.jira.email),
  ...forms('rejected git token', GIT_TOKEN, world.git.username),
  ...forms('working Jira token', world.jira.apiToken, world.jira.email),
  ...forms('working git token', world.git.password, world.git.username),
  ...forms('echoed git token', echoGit.password, echoGit.username),
  ...forms('rejected Data Center PAT', DC_PAT_REJECTED),
  ...forms('working Data Center PAT', DC_PAT),
];

function leaks(where: string, texts: string[]): string[] {
  const found: string[] = [];
  for (const [i, text] of texts.entries()) {
    for (const n of needles) if (text.includes(n.needle)) found.push(`${where}[${i}]: ${n.label}`);
  }
  return found;
}

t.test('the failures went through the paths a token could leak by', async (t) => {
  const jira = await world.get('jira-rejects');
  t.match(jira.status?.lastError, /401|auth|credentials/i, 'Jira rejected the token');
  const git = await world.get('git-rejects');
  t.match(git.status?.lastError, /401|auth|credentials/i, 'the git server rejected the token');
  t.ok(ctl.logs.some((l) => l.msg === 'sync failed' && l.name === 'jira-rejects'), 'the failures were logged');
  t.ok(otlp.spans.some((s) => s.status.code === 2 && s.name.startsWith('jira ')), 'a failed Jira call span was exported');
  t.ok(otlp.spans.some((s) => s.status.code === 2 && s.name === 'git.open'), 'a failed git span was exported');
  const failures = ctl.logs.filter((l) => l.msg === 'sync failed');
  // Two runs each for the retried reasons; an invalid JQL stalls at once.
  t.equal(failures.length, 10, 'ten failed runs logged');
  t.ok(failures.every((l) => /401|400|auth|credentials/i.test(String(l.err))), 'each with the error text the token could hide in');
});

t.test('the hostile servers echoed the credentials back into the error messages', async (t) => {
  const jira = await world.get('jira-rejects');
  t.notMatch(jira.status?.lastError, /you sent/, 'Jira\'s 401 body is not read at all');
  const jql = await world.get('jira-echoes');
  t.comment(`jira-echoes lastError: ${jql.status?.lastError}`);
  t.match(jql.status?.lastError, /400: you sent Authorization: Basic .*; credentials /, 'Jira\'s 400 body echoed the header');
  t.equal(jql.status?.conditions?.find((c) => c.type === 'Stalled')?.reason, 'JiraRequestRejected', 'an invalid JQL stalls as JiraRequestRejected');
  const dcJql = await world.get('dc-echoes');
  t.comment(`dc-echoes lastError: ${dcJql.status?.lastError}`);
  t.match(dcJql.status?.lastError, /400: you sent Authorization: Bearer .*; credentials /, 'Data Center\'s 400 body echoed the Bearer header');
  t.notMatch((await world.get('dc-rejects')).status?.lastError, /you sent/, 'Data Center\'s 401 body is not read at all');
  const git = await world.get('git-echoes');
  t.comment(`git-echoes lastError: ${git.status?.lastError}`);
  t.match(git.status?.lastError, /push to main rejected by the server: hook declined: you sent Authorization: Basic .*; credentials .*; value /, 'the push refusal echoed the header');
});

t.test('the search finds a token where one is: the Secrets themselves', async (t) => {
  const secrets = await Promise.all(['jira-leak', 'git-leak'].map((name) => world.core.readNamespacedSecret({ namespace: ns, name })));
  t.same(leaks('Secret', secrets.map((s) => JSON.stringify(s))), ['Secret[0]: rejected Jira token (base64)', 'Secret[1]: rejected git token (base64)']);
});

t.test('no token in any log line', async (t) => {
  t.same(leaks('log line', ctl.output), []);
});

t.test('no token in any Event', async (t) => {
  const events = await world.core.listNamespacedEvent({ namespace: ns });
  t.ok(events.items.some((e) => e.type === 'Warning' && e.reason === 'AuthenticationFailed'), 'Warning Events with the failure reason exist');
  t.same(leaks('event', events.items.map((e) => JSON.stringify(e))), []);
});

t.test('no token in any status field', async (t) => {
  const list = (await world.objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL })) as { items: unknown[] };
  t.equal(list.items.length, syncs.length);
  t.same(leaks('JIRASync', list.items.map((o) => JSON.stringify(o))), []);
});

t.test('no token in any exported span', async (t) => {
  t.ok(otlp.bodies.length > 0);
  t.same(leaks('OTLP export', otlp.bodies), []);
});

t.test('no token in any metric line, in either format', async (t) => {
  const plain = await (await fetch(`${ctl.url}/metrics`)).text();
  const om = await (await fetch(`${ctl.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })).text();
  t.same(leaks('metric line', [...plain.split('\n'), ...om.split('\n')]), []);
});

t.test('no token in the comments posted to Jira', async (t) => {
  const comments = syncs.flatMap((s) => (s.report.startsWith('DCX') ? dc : world.jira).state.comments(s.report));
  t.equal(comments.length, syncs.length - 2, 'one failure comment per sync that has working Jira credentials');
  t.same(leaks('Jira comment', comments.map((c) => JSON.stringify(c))), []);
});
