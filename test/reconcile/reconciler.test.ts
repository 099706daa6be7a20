/**
 * The reconciler in-process, against the real API server, the Jira emulator and the test git
 * server: one Reconciler constructed directly, each case driving `reconcile(key, signal)` and
 * reading back what a user sees — status, conditions and Events — and what the queue was asked
 * to do next. No controller process, no informer: each call is one reconcile.
 */
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, REQUESTED_AT_ANNOTATION, VERSION, type Condition, type JIRASync, type JIRASyncSpec } from '../../controller/api/jirasync.ts';
import { createGitDestination } from '../../controller/git/git.ts';
import { EventRecorder } from '../../controller/kube/events.ts';
import { WorkQueue } from '../../controller/kube/queue.ts';
import { StatusWriter } from '../../controller/kube/status-writer.ts';
import { createLogger } from '../../controller/observability/log.ts';
import { createMetrics } from '../../controller/observability/metrics.ts';
import { Reconciler } from '../../controller/reconcile/reconciler.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';
import { echoAuthorizationOnPush } from '../git-server/echo-auth.ts';

/** A work queue that records what the reconciler asks of it instead of scheduling. */
class RecordingQueue extends WorkQueue {
  readonly asked: { key: string; delayMs: number; retry: boolean }[] = [];
  override addAfter(key: string, delayMs: number): void {
    this.asked.push({ key, delayMs, retry: false });
  }
  override retryAfter(key: string, delayMs: number): void {
    this.asked.push({ key, delayMs, retry: true });
  }
}

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 5, projects: [{ key: 'PROJ', issues: 6 }] });
const { core, namespace } = world;
const cacheRoot = await mkdtemp(join(tmpdir(), 'jirasync-reconciler-'));
t.teardown(() => rm(cacheRoot, { recursive: true, force: true }));

await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'jira-wrong', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: world.jira.url, email: world.jira.email, apiToken: 'wrong-token-0123456789' } } });
await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'jira-no-keys', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: world.jira.url } } });
await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'git-wrong', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { username: world.git.username, token: 'not-the-password' } } });

const queue = new RecordingQueue();
// The clock the reconciler sees: moved forward to make a scheduled retry due without waiting.
let offsetMs = 0;
const deps: ConstructorParameters<typeof Reconciler>[0] = {
  kc: world.cluster.kc,
  async get(ns, name) {
    try {
      return await world.get(name);
    } catch {
      return undefined;
    }
  },
  queue,
  status: new StatusWriter(world.cluster.kc),
  events: new EventRecorder(world.cluster.kc, 'reconciler-test', createLogger({ level: 'silent' })),
  metrics: createMetrics(),
  log: createLogger({ level: 'silent' }),
  git: createGitDestination(),
  cacheRoot,
  gitCaCertificates: await readFile(world.git.caFile, 'utf8'),
  author: { name: 'jirasync', email: 'jirasync@example.com' },
  defaults: {},
  // No waiting inside the Jira layer: a 429 or 5xx reaches the reconciler at once.
  jiraOptions: { retry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1, maxRateLimitRetries: 0, rateLimitDefaultMs: 1, rateLimitJitterMs: 0 } },
  now: () => new Date(Date.now() + offsetMs),
};
const reconciler = new Reconciler(deps);

const reconcile = (name: string) => reconciler.reconcile(`${namespace}/${name}`, new AbortController().signal);
const cond = (o: JIRASync, type: string): Condition | undefined => o.status?.conditions?.find((c) => c.type === type);
/** The Events of a JIRASync, oldest first (their names carry the creation time in ms). */
const reasons = async (name: string) =>
  (await world.events(name)).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1)).map((e) => `${e.type} ${e.reason}`);
const askedFor = (name: string) => queue.asked.filter((a) => a.key === `${namespace}/${name}`);

async function create(name: string, spec: Partial<JIRASyncSpec>): Promise<void> {
  const repo = await world.git.createRepo(name);
  await world.apply(name, specFor(repo, { syncType: 'single', target: { issueKeys: ['PROJ-1'] }, ...spec }));
}

t.test('a successful run is Completed with Ready=True, a SyncCompleted Event, and the next scheduled run queued', async (t) => {
  await create('ok', { schedule: '*/5 * * * *' });
  await reconcile('ok');
  const o = await world.get('ok');
  t.equal(o.status?.phase, 'Completed');
  t.match(cond(o, 'Ready'), { status: 'True', reason: 'Succeeded' });
  t.match(cond(o, 'Stalled'), { status: 'False', reason: 'NotStalled' });
  t.match(o.status?.syncState?.lastCommit, /^[0-9a-f]{40}$/, 'a commit was pushed');
  t.equal(o.status?.syncState?.successfulIssues, 1);
  t.ok(o.status?.nextRunTime, 'the next run time is in the status');
  t.same(await reasons('ok'), ['Normal SyncStarted', 'Normal SyncCompleted']);
  const asked = askedFor('ok');
  t.equal(asked.length, 1, 'queued once');
  t.ok(!asked[0].retry && asked[0].delayMs > 0 && asked[0].delayMs <= 5 * 60_000, `the next run within 5 min (${asked[0].delayMs} ms)`);
});

t.test('an impossible schedule is Failed at once with InvalidSpec, and nothing is queued', async (t) => {
  await create('bad-schedule', { schedule: '0 0 31 2 *' });
  await reconcile('bad-schedule');
  const o = await world.get('bad-schedule');
  t.equal(o.status?.phase, 'Failed');
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'InvalidSpec' });
  t.match(cond(o, 'Stalled'), { status: 'True', reason: 'InvalidSpec' });
  t.same(await reasons('bad-schedule'), ['Warning InvalidSpec']);
  t.same(askedFor('bad-schedule'), []);
});

const retried: { name: string; spec: Partial<JIRASyncSpec>; reason: string; error: RegExp }[] = [
  { name: 'no-secret', spec: { jira: { secretRef: { name: 'does-not-exist' } } }, reason: 'SecretNotFound', error: /does-not-exist not found/ },
  { name: 'secret-no-keys', spec: { jira: { secretRef: { name: 'jira-no-keys' } } }, reason: 'SecretInvalid', error: /needs keys email and apiToken/ },
  { name: 'wrong-token', spec: { jira: { secretRef: { name: 'jira-wrong' } } }, reason: 'AuthenticationFailed', error: /401|credentials/ },
  { name: 'git-wrong', spec: { destination: { repository: '', branch: 'main', secretRef: { name: 'git-wrong' } } }, reason: 'GitAuthFailed', error: /401|403|auth/i },
];
for (const c of retried) {
  t.test(`${c.reason}: Pending with a counted retry, the cause on Ready and on the Warning Event`, async (t) => {
    const repo = await world.git.createRepo(c.name);
    const base = specFor(repo, { syncType: 'single', target: { issueKeys: ['PROJ-1'] }, retryPolicy: { maxRetries: 2, initialDelay: 30, backoffMultiplier: 1 } });
    const spec = { ...base, ...c.spec, destination: { ...base.destination, ...c.spec.destination, repository: repo } };
    await world.apply(c.name, spec);
    await reconcile(c.name);
    const o = await world.get(c.name);
    t.equal(o.status?.phase, 'Pending');
    t.equal(o.status?.retryCount, 1);
    t.match(o.status?.lastError, c.error);
    t.match(cond(o, 'Ready'), { status: 'False', reason: c.reason });
    t.match(cond(o, 'Stalled'), { status: 'False', reason: 'RetryScheduled' });
    t.same(await reasons(c.name), ['Normal SyncStarted', `Warning ${c.reason}`, 'Normal RetryScheduled']);
    t.same(askedFor(c.name).map((a) => [a.retry, a.delayMs]), [[true, 30_000]], 'a retry after initialDelay');
  });
}

t.test('CredentialsMissing (no secretRef, no default connection) is Failed at once', async (t) => {
  const repo = await world.git.createRepo('no-creds');
  const { jira: _, ...spec } = specFor(repo, { syncType: 'single', target: { issueKeys: ['PROJ-1'] } });
  await world.apply('no-creds', spec);
  await reconcile('no-creds');
  const o = await world.get('no-creds');
  t.equal(o.status?.phase, 'Failed');
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'CredentialsMissing' });
  t.match(cond(o, 'Stalled'), { status: 'True', reason: 'CredentialsMissing' });
  t.same(await reasons('no-creds'), ['Normal SyncStarted', 'Warning CredentialsMissing']);
  t.same(askedFor('no-creds'), [], 'no retry');
});

t.test('OwnershipConflict: a second JIRASync writing the same path is Failed at once', async (t) => {
  const repo = await world.git.createRepo('shared');
  await world.apply('owner', specFor(repo, { syncType: 'single', target: { issueKeys: ['PROJ-1'] } }));
  await reconcile('owner');
  t.equal((await world.get('owner')).status?.phase, 'Completed');
  await world.apply('intruder', specFor(repo, { syncType: 'single', target: { issueKeys: ['PROJ-2'] } }));
  await reconcile('intruder');
  const o = await world.get('intruder');
  t.equal(o.status?.phase, 'Failed');
  t.match(o.status?.lastError, new RegExp(`${namespace}/owner`));
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'OwnershipConflict' });
  t.match(cond(o, 'Stalled'), { status: 'True', reason: 'OwnershipConflict' });
  t.same(await reasons('intruder'), ['Normal SyncStarted', 'Warning OwnershipConflict', 'Normal JiraUpdated'], 'the failure is reported to Jira');
  t.equal(o.status?.jiraReport?.state, 'Reported');
  t.equal(world.jira.state.comments('PROJ-2').length, 1, 'one failure comment on the synced issue');
});

t.test('RateLimited waits for Retry-After without counting a retry', async (t) => {
  world.jira.state.rateLimit({ retryAfter: 7, enforceWindow: false });
  t.teardown(() => world.jira.state.clearFaults());
  await create('limited', {});
  await reconcile('limited');
  const o = await world.get('limited');
  t.equal(o.status?.phase, 'Pending');
  t.equal(o.status?.retryCount ?? 0, 0, 'not counted as a retry');
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'RateLimited' });
  t.match(cond(o, 'Stalled'), { status: 'False', reason: 'Waiting' });
  t.same(await reasons('limited'), ['Normal SyncStarted', 'Warning RateLimited', 'Normal RetryScheduled']);
  t.same(askedFor('limited').map((a) => a.delayMs), [7_000], 'the next run after Retry-After');
});

t.test('RetriesExhausted: after maxRetries the sync is Failed, Stalled says RetriesExhausted and Ready the cause', async (t) => {
  const repo = await world.git.createRepo('exhausted');
  await world.apply('exhausted', specFor(repo, {
    syncType: 'single', target: { issueKeys: ['PROJ-1'] }, jira: { secretRef: { name: 'jira-wrong' } },
    retryPolicy: { maxRetries: 1, initialDelay: 60, backoffMultiplier: 1 },
  }));
  await reconcile('exhausted');
  t.equal((await world.get('exhausted')).status?.retryCount, 1, 'first failure: retry 1/1 scheduled');
  offsetMs += 61_000; // the retry is due
  await reconcile('exhausted');
  const o = await world.get('exhausted');
  t.equal(o.status?.phase, 'Failed');
  t.equal(o.status?.retryCount, 2);
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'AuthenticationFailed' });
  t.match(cond(o, 'Stalled'), { status: 'True', reason: 'RetriesExhausted' });
  t.match(cond(o, 'Progressing')?.message, /Retries exhausted \(AuthenticationFailed\)/);
  t.same(await reasons('exhausted'), [
    'Normal SyncStarted', 'Warning AuthenticationFailed', 'Normal RetryScheduled', 'Normal SyncStarted', 'Warning AuthenticationFailed',
  ]);
  // The same wrong token cannot comment on Jira either, and no other identity is used.
  t.equal(o.status?.jiraReport?.state, 'Skipped', 'the failure is not reported');
  t.same(askedFor('exhausted').filter((a) => a.retry).map((a) => a.delayMs), [60_000], 'only the first failure was retried');
});

t.test('JiraRequestRejected: a JQL Jira refuses as invalid is Failed at once, with Jira\'s message', async (t) => {
  await create('bad-jql', { syncType: 'jql', target: { jqlQuery: 'project = PROJ AND nosuchfield = 1' } });
  await reconcile('bad-jql');
  const o = await world.get('bad-jql');
  t.equal(o.status?.phase, 'Failed');
  t.match(o.status?.lastError, /400: Field 'nosuchfield' does not exist/);
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'JiraRequestRejected' });
  t.match(cond(o, 'Stalled'), { status: 'True', reason: 'JiraRequestRejected' });
  t.same(await reasons('bad-jql'), ['Normal SyncStarted', 'Warning JiraRequestRejected']);
  t.same(askedFor('bad-jql'), [], 'no retry');
});

t.test('JiraUnavailable: Jira answering 503 is a counted retry', async (t) => {
  world.jira.state.fail5xx({ probability: 1, status: 503 });
  t.teardown(() => world.jira.state.clearFaults());
  await create('jira-down', { retryPolicy: { maxRetries: 3, initialDelay: 10, backoffMultiplier: 2 } });
  await reconcile('jira-down');
  const o = await world.get('jira-down');
  t.equal(o.status?.phase, 'Pending');
  t.equal(o.status?.retryCount, 1);
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'JiraUnavailable' });
  t.same(await reasons('jira-down'), ['Normal SyncStarted', 'Warning JiraUnavailable', 'Normal RetryScheduled']);
  t.same(askedFor('jira-down').map((a) => [a.retry, a.delayMs]), [[true, 10_000]]);
});

t.test('an issue the user may not see (403) is a failed issue of a Completed run, named in the Warning Event', async (t) => {
  world.jira.state.setHidden('PROJ-3', true, 403);
  t.teardown(() => world.jira.state.setHidden('PROJ-3', false));
  await create('forbidden', { target: { issueKeys: ['PROJ-3'] } });
  await reconcile('forbidden');
  const o = await world.get('forbidden');
  t.equal(o.status?.phase, 'Completed');
  t.match(o.status?.syncState, { totalIssues: 1, successfulIssues: 0, failedIssues: 1 });
  t.match(cond(o, 'Ready')?.message, /1 issues could not be written/);
  const events = await world.events('forbidden');
  t.ok(events.some((e) => e.type === 'Warning' && e.reason === 'SyncCompleted' && /PROJ-3/.test(e.message ?? '')), 'the Warning names the issue');
});

t.test('GitTlsFailed: a git server whose certificate the controller does not trust', async (t) => {
  const untrusting = new Reconciler({ ...deps, gitCaCertificates: undefined });
  await create('tls', {});
  await untrusting.reconcile(`${namespace}/tls`, new AbortController().signal);
  const o = await world.get('tls');
  t.equal(o.status?.phase, 'Pending');
  t.match(o.status?.lastError, /certificate/i);
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'GitTlsFailed' });
  t.same(await reasons('tls'), ['Normal SyncStarted', 'Warning GitTlsFailed', 'Normal RetryScheduled']);
});

t.test('GitPushRejected: a push the server\'s hook declines is a counted retry, the reason redacted', async (t) => {
  world.git.intercept = echoAuthorizationOnPush('push-declined');
  t.teardown(() => { world.git.intercept = undefined; });
  await create('push-declined', {});
  await reconcile('push-declined');
  const o = await world.get('push-declined');
  t.equal(o.status?.phase, 'Pending');
  t.match(o.status?.lastError, /rejected by the server: hook declined/);
  t.notOk(o.status?.lastError?.includes(world.git.password), 'the echoed token is redacted');
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'GitPushRejected' });
});

t.test('a recovery comment Jira fails to take is retried on the next successful run, and posted once', async (t) => {
  const repo = await world.git.createRepo('recovers');
  await world.apply('recovers', specFor(repo, {
    syncType: 'single', target: { issueKeys: ['PROJ-4'] }, retryPolicy: { maxRetries: 0, initialDelay: 1, backoffMultiplier: 1 },
    failurePolicy: { issueKey: 'PROJ-5', commentOnRecovery: true },
  }));
  // A failure Jira can be told about: a push the server's hook declines.
  world.git.intercept = echoAuthorizationOnPush('recovers');
  await reconcile('recovers');
  world.git.intercept = undefined;
  let o = await world.get('recovers');
  t.equal(o.status?.phase, 'Failed');
  t.equal(o.status?.jiraReport?.state, 'Reported', 'the failure was reported');
  const comments = () => world.jira.state.comments('PROJ-5').map((c) => JSON.stringify(c.body));
  t.equal(comments().length, 1);

  // The next run succeeds, but Jira fails every comment POST.
  world.jira.state.fail5xx({ probability: 1, status: 502, path: '/comment', method: 'POST' });
  await world.annotate('recovers', { [REQUESTED_AT_ANNOTATION]: 'retry-1' });
  await reconcile('recovers');
  world.jira.state.clearFaults();
  o = await world.get('recovers');
  t.equal(o.status?.phase, 'Completed');
  t.equal(o.status?.jiraReport?.state, 'Reported', 'not marked recovered while the comment is missing');
  t.match(o.status?.jiraReport?.message, /retried on the next run/);
  t.equal(comments().length, 1, 'no recovery comment yet');

  await world.annotate('recovers', { [REQUESTED_AT_ANNOTATION]: 'retry-2' });
  await reconcile('recovers');
  o = await world.get('recovers');
  t.equal(o.status?.jiraReport?.state, 'Recovered');
  t.equal(comments().filter((c) => c.includes('healthy again')).length, 1, 'one recovery comment');
  t.equal(comments().length, 2);
});

t.test('PermissionDenied: a site whose IP allowlist refuses the controller (403 on every call) is a counted retry', async (t) => {
  world.jira.state.ipAllowlistDenies(true);
  t.teardown(() => world.jira.state.ipAllowlistDenies(false));
  await create('ip-denied', { retryPolicy: { maxRetries: 3, initialDelay: 10, backoffMultiplier: 2 } });
  await reconcile('ip-denied');
  const o = await world.get('ip-denied');
  t.equal(o.status?.phase, 'Pending');
  t.match(o.status?.lastError, /403/);
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'PermissionDenied' });
  t.same(await reasons('ip-denied'), ['Normal SyncStarted', 'Warning PermissionDenied', 'Normal RetryScheduled']);
});

t.test('SecretNotAllowed: a Secret without the opt-in label is not read for credentials', async (t) => {
  await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'jira-unlabelled' }, stringData: { baseUrl: world.jira.url, email: world.jira.email, apiToken: world.jira.apiToken } } });
  const before = world.jira.state.requestLog.length;
  await create('not-opted-in', { jira: { secretRef: { name: 'jira-unlabelled' } } });
  await reconcile('not-opted-in');
  const o = await world.get('not-opted-in');
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'SecretNotAllowed' });
  t.match(o.status?.lastError, /sync\.jira\.io\/credentials/);
  t.equal(world.jira.state.requestLog.length, before, 'nothing was sent to Jira');
});

t.test('GitRepositoryNotFound and GitUnavailable: a missing repository and a git server answering 503', async (t) => {
  const repo = await world.git.createRepo('git-503');
  await world.apply('no-repo', specFor(repo.replace('git-503', 'no-such-repo'), { syncType: 'single', target: { issueKeys: ['PROJ-1'] } }));
  await reconcile('no-repo');
  t.match(cond(await world.get('no-repo'), 'Ready'), { status: 'False', reason: 'GitRepositoryNotFound' });

  world.git.intercept = (req, res) => {
    if (!req.url?.includes('git-503')) return false;
    res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance');
    return true;
  };
  t.teardown(() => { world.git.intercept = undefined; });
  await world.apply('git-503', specFor(repo, { syncType: 'single', target: { issueKeys: ['PROJ-1'] } }));
  await reconcile('git-503');
  const o = await world.get('git-503');
  t.equal(o.status?.phase, 'Pending');
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'GitUnavailable' });
});

t.test('DeadlineExceeded: a run slower than spec.timeout stops and pushes nothing', async (t) => {
  world.jira.state.latency(3000, '/issue/bulkfetch');
  t.teardown(() => world.jira.state.latency(0, '/issue/bulkfetch'));
  await create('deadline', { timeout: '1s' });
  await reconcile('deadline');
  const o = await world.get('deadline');
  t.equal(o.status?.phase, 'Pending');
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'DeadlineExceeded' });
  t.notOk(o.status?.syncState?.lastCommit, 'no commit');
});

t.test('DeletionRefused: a search that stops before its first issue is refused without a commit, Failed at once', async (t) => {
  await create('guarded', { syncType: 'project', target: { projectKey: 'PROJ' } });
  await reconcile('guarded');
  const done = await world.get('guarded');
  t.equal(done.status?.phase, 'Completed');
  // Six stored issues are below the share rule's floor (docs/deletion-guard.md); losing all is refused.
  world.jira.state.truncatePaging(0);
  t.teardown(() => world.jira.state.truncatePaging(Number.MAX_SAFE_INTEGER));
  await world.annotate('guarded', { [REQUESTED_AT_ANNOTATION]: 'again' });
  await reconcile('guarded');
  const o = await world.get('guarded');
  t.equal(o.status?.phase, 'Failed');
  t.match(cond(o, 'Stalled'), { status: 'True', reason: 'DeletionRefused' });
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'DeletionRefused' });
  t.equal(o.status?.syncState?.lastCommit, done.status?.syncState?.lastCommit, 'the branch is where the last good run left it');
});

t.test('GitTargetInvalid: an object stored before the CRD checked its URL is refused by the controller\'s own check', async (t) => {
  // The API server does not re-validate stored objects when a CRD's schema tightens, so the
  // controller checks the destination itself; here the stored URL is swapped as an old object's would be.
  const repo = await world.git.createRepo('legacy-url');
  await world.apply('legacy-url', specFor(repo, { syncType: 'single', target: { issueKeys: ['PROJ-1'] } }));
  const legacy = new Reconciler({
    ...deps,
    async get(ns, name) {
      const o = await deps.get(ns, name);
      return o && { ...o, spec: { ...o.spec, destination: { ...o.spec.destination, repository: repo.replace('https://', 'http://') } } };
    },
  });
  await legacy.reconcile(`${namespace}/legacy-url`, new AbortController().signal);
  const o = await world.get('legacy-url');
  t.equal(o.status?.phase, 'Failed');
  t.match(o.status?.lastError, /must use https/);
  t.match(cond(o, 'Stalled'), { status: 'True', reason: 'GitTargetInvalid' });
  t.equal(world.git.requests.filter((r) => r.path.includes('legacy-url')).length, 0, 'nothing was sent to the git server');
});

t.test('SyncFailed: a failure of no known kind (the cache volume is not a directory) is a counted retry', async (t) => {
  const notADir = join(cacheRoot, 'not-a-directory');
  await writeFile(notADir, 'x');
  const broken = new Reconciler({ ...deps, cacheRoot: notADir });
  await create('cache-broken', {});
  await broken.reconcile(`${namespace}/cache-broken`, new AbortController().signal);
  const o = await world.get('cache-broken');
  t.equal(o.status?.phase, 'Pending');
  t.match(o.status?.lastError, /ENOTDIR|not a directory/);
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'SyncFailed' });
});

t.test('ResponseTooLarge: a git answer over the controller\'s byte cap stops the run without writing', async (t) => {
  const repo = await world.git.createRepo('too-large', { seed: { 'big.bin': randomBytes(256 * 1024).toString('base64') } });
  const capped = new Reconciler({ ...deps, git: createGitDestination(undefined, { maxResponseBytes: 64 * 1024 }) });
  await world.apply('too-large', specFor(repo, { syncType: 'single', target: { issueKeys: ['PROJ-1'] } }));
  await capped.reconcile(`${namespace}/too-large`, new AbortController().signal);
  const o = await world.get('too-large');
  t.equal(o.status?.phase, 'Pending');
  t.match(o.status?.lastError, /size cap/);
  t.match(cond(o, 'Ready'), { status: 'False', reason: 'ResponseTooLarge' });
  t.equal(world.git.requests.filter((r) => r.path.includes('too-large') && r.method === 'POST' && r.path.endsWith('git-receive-pack')).length, 0, 'nothing pushed');
});

t.test('after a takeover the run that finds its content already pushed records the branch head as lastCommit', async (t) => {
  await create('takeover', {});
  await reconcile('takeover');
  const pushed = (await world.get('takeover')).status?.syncState?.lastCommit;
  t.match(pushed, /^[0-9a-f]{40}$/);
  // The state an old leader leaves when it dies right after its first push: Running, no commit recorded.
  await world.objects.patchNamespacedCustomObjectStatus({
    group: GROUP, version: VERSION, plural: PLURAL, namespace, name: 'takeover',
    body: [{ op: 'replace', path: '/status/phase', value: 'Running' }, { op: 'remove', path: '/status/syncState/lastCommit' }],
  }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch));
  t.notOk((await world.get('takeover')).status?.syncState?.lastCommit, 'the old leader recorded nothing');
  await reconcile('takeover');
  const o = await world.get('takeover');
  t.equal(o.status?.phase, 'Completed');
  t.match(cond(o, 'Ready')?.message, /no changes/, 'nothing left to push');
  t.equal(o.status?.syncState?.lastCommit, pushed, 'the commit that holds the content, the branch head');
});
