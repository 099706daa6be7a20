/**
 * The real controller's /metrics, scraped over HTTP and parsed the way Prometheus reads it, after
 * real syncs against the API server, the Jira emulator and the git server: each per-sync series
 * has the value the JIRASync's status says, the controller-health families are there, the exported
 * family names, types and labels equal the public contract (test/fixtures/metric-names.txt),
 * OpenMetrics scrapes carry exemplars with the run's trace id, and deleting a JIRASync removes
 * every series that names it.
 */
import t from 'tap';
import { GROUP, PLURAL, VERSION, type JIRASync } from '../../controller/api/jirasync.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { startController } from '../fixtures/controller.ts';
import { readContract } from '../fixtures/contract-exporter.ts';
import { familyOf, scrape, select, valueOf, type Exposition } from '../fixtures/exposition.ts';
import { startOtlpReceiver, tracingEnv } from '../fixtures/otlp-receiver.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';
import client from 'prom-client';

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 7, projects: [{ key: 'PROJ', issues: 12 }] });
await world.core.createNamespacedSecret({ namespace: world.namespace, body: { metadata: { name: 'jira-bad', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: world.jira.url, email: world.jira.email, apiToken: 'not-the-token-4711' } } });
const otlp = await startOtlpReceiver();
t.teardown(() => otlp.close());
const ctl = await startController({
  kubeconfigPath: world.cluster.kubeconfigPath, namespace: world.namespace, watchNamespaces: [world.namespace],
  env: { ...world.controllerEnv(), ...tracingEnv(otlp.url) },
});
t.teardown(() => ctl.stop());
const ns = world.namespace;
const metricsUrl = `${ctl.url}/metrics`;

// One successful project sync (into a repository with a commit, so the run clones) and one that
// fails for good on Jira credentials, both finished before the subtests look.
const started = Date.now() / 1000;
const goodUrl = await world.git.createRepo('good', { seed: { 'README.md': 'mirror\n' } });
await world.apply('good', specFor(goodUrl, { syncType: 'project', target: { projectKey: 'PROJ' } }));
const badUrl = await world.git.createRepo('bad');
await world.apply('bad', specFor(badUrl, {
  syncType: 'single', target: { issueKeys: ['PROJ-1'] }, jira: { secretRef: { name: 'jira-bad' } },
  retryPolicy: { maxRetries: 1, initialDelay: 1, backoffMultiplier: 1 },
}));
const good = await world.waitFor('good', 'Completed', (o) => o.status?.phase === 'Completed');
const bad = await world.waitFor('bad', 'Failed', (o) => o.status?.phase === 'Failed');
const finished = Date.now() / 1000;
const exp = await scrape(metricsUrl);

/** Every sample of a per-sync family for one JIRASync. */
const ofSync = (e: Exposition, name: string, sync: string) => select(e, name, { namespace: ns, name: sync });

t.test('a completed sync exports the phase, counts and times its status shows', async (t) => {
  const phases = ofSync(exp, 'jirasync_phase_info', 'good');
  t.same(phases.map((s) => [s.labels.phase, s.labels.sync_type, s.value]), [['Completed', 'project', 1]], 'exactly one phase series: Completed = 1');
  t.equal(good.status?.syncState?.processedIssues, 12);
  t.equal(valueOf(exp, 'jirasync_issues_synced_total', { namespace: ns, name: 'good', result: 'success' }), 12, 'issues_synced_total equals the issues synced');
  t.same(ofSync(exp, 'jirasync_issues_synced_total', 'good').map((s) => s.labels.result), ['success'], 'no failed issues counted');
  t.same(ofSync(exp, 'jirasync_sync_runs_total', 'good').map((s) => [s.labels.result, s.value]), [['success', 1]], 'one successful run, nothing else');
  t.equal(valueOf(exp, 'jirasync_issues_processed', { namespace: ns, name: 'good' }), 12, 'processed issues of the last run');
  t.equal(valueOf(exp, 'jirasync_issues_total', { namespace: ns, name: 'good' }), 12, 'total issues of the last run');
  t.equal(valueOf(exp, 'jirasync_progress_percentage', { namespace: ns, name: 'good' }), 100);
  t.equal(valueOf(exp, 'jirasync_retry_count', { namespace: ns, name: 'good' }), 0);
  t.equal(valueOf(exp, 'jirasync_sync_lag_seconds', { namespace: ns, name: 'good' }), 0, 'up to date right after a success');
  t.same(ofSync(exp, 'jirasync_schedule_interval_seconds', 'good'), [], 'no schedule interval for an unscheduled sync');

  const updates = ofSync(exp, 'jirasync_status_updates_total', 'good');
  t.same(updates.map((s) => s.labels.status), ['success'], 'status writes all succeeded');
  t.ok(updates[0].value >= 2, `the running and the final status were written (${updates[0].value} writes)`);
  for (const ts of ['jirasync_last_success_timestamp_seconds', 'jirasync_last_progress_timestamp_seconds']) {
    const v = valueOf(exp, ts, { namespace: ns, name: 'good' });
    t.ok(v >= started - 1 && v <= finished + 1, `${ts} is the time of this run (${v})`);
  }
  const lastUpdate = valueOf(exp, 'jirasync_last_status_update_timestamp_seconds', { namespace: ns, name: 'good', sync_name: 'good' });
  t.ok(lastUpdate >= started - 1 && lastUpdate <= finished + 1, 'last status update is recent and carries sync_name');
  const lastSync = Date.parse(good.status!.syncState!.lastSyncTime!) / 1000;
  t.ok(Math.abs(valueOf(exp, 'jirasync_last_success_timestamp_seconds', { namespace: ns, name: 'good' }) - lastSync) < 5, 'last success matches status.syncState.lastSyncTime');
  t.equal(valueOf(exp, 'jirasync_condition_transitions_total', { namespace: ns, name: 'good', type: 'Ready', status: 'True', reason: 'Succeeded' }), 1, 'Ready became True once');

  const durations = select(exp, 'jirasync_processing_duration_seconds_count', { sync_type: 'project' });
  t.equal(durations[0]?.value, 1, 'one project run in the duration histogram');
  const sum = valueOf(exp, 'jirasync_processing_duration_seconds_sum', { sync_type: 'project' });
  t.ok(sum > 0 && sum <= finished - started + 1, `its duration is within the test's window (${sum} s)`);
  t.equal(valueOf(exp, 'jirasync_processing_duration_seconds_bucket', { sync_type: 'project', le: '+Inf' }), 1);
});

t.test('a sync that fails for good exports Failed, its retries and its failed runs', async (t) => {
  t.same(ofSync(exp, 'jirasync_phase_info', 'bad').map((s) => [s.labels.phase, s.value]), [['Failed', 1]], 'only the Failed phase series is left');
  t.equal(bad.status?.retryCount, 2);
  t.equal(valueOf(exp, 'jirasync_retry_count', { namespace: ns, name: 'bad' }), 2, 'retry_count equals status.retryCount');
  t.same(ofSync(exp, 'jirasync_sync_runs_total', 'bad').map((s) => [s.labels.result, s.value]), [['failure', 2]], 'two failed runs: the first and one retry');
  t.same(ofSync(exp, 'jirasync_last_success_timestamp_seconds', 'bad'), [], 'no last success for a sync that never succeeded');
  t.equal(valueOf(exp, 'jirasync_condition_transitions_total', { namespace: ns, name: 'bad', type: 'Stalled', status: 'True', reason: 'RetriesExhausted' }), 1);
  t.equal(select(exp, 'jirasync_processing_duration_seconds_count', { sync_type: 'single' })[0]?.value, 2, 'failed runs are timed too');
});

t.test('controller-wide series: Jira requests by endpoint and code, git pushes, leader, queue and reconciles', async (t) => {
  const jira = select(exp, 'jirasync_jira_requests_total');
  const ok = (endpoint: string) => select(exp, 'jirasync_jira_requests_total', { endpoint, code: '200' })[0]?.value ?? 0;
  t.ok(ok('search/jql') >= 1, 'search/jql answered 200');
  t.ok(ok('issue/bulkfetch') >= 1, 'issue/bulkfetch answered 200');
  t.ok(jira.some((s) => s.labels.code === '401' && s.value >= 2), `the bad credentials were answered 401 (${JSON.stringify(jira.map((s) => s.labels))})`);
  for (const endpoint of new Set(jira.map((s) => s.labels.endpoint))) {
    const requests = jira.filter((s) => s.labels.endpoint === endpoint).reduce((n, s) => n + s.value, 0);
    t.equal(valueOf(exp, 'jirasync_jira_request_duration_seconds_count', { endpoint }), requests, `every ${endpoint} request is timed`);
  }
  t.equal(valueOf(exp, 'jirasync_git_push_total', { result: 'success' }), 1, 'one push: the good sync\'s');
  t.equal(valueOf(exp, 'jirasync_git_push_duration_seconds_count'), 1);
  t.same(select(exp, 'jirasync_jira_rate_limited_total'), [], 'nothing was rate limited');

  const leader = select(exp, 'jirasync_leader');
  t.same(leader.map((s) => s.value), [1], 'this replica is the leader');
  t.match(leader[0].labels.identity, new RegExp(`^${ctl.name}_`), 'identity names the pod');
  t.equal(valueOf(exp, 'leader_election_master_status', { name: 'jirasync-leader' }), 1);

  t.ok(valueOf(exp, 'workqueue_adds_total', { name: 'jirasync' }) >= 2, 'both syncs went through the queue');
  t.ok(valueOf(exp, 'workqueue_retries_total', { name: 'jirasync' }) >= 1, 'the failed run was retried through the queue');
  t.equal(valueOf(exp, 'workqueue_depth', { name: 'jirasync' }), 0);
  t.ok(valueOf(exp, 'workqueue_queue_duration_seconds_count', { name: 'jirasync' }) >= 3);
  t.equal(valueOf(exp, 'workqueue_work_duration_seconds_count', { name: 'jirasync' }), valueOf(exp, 'controller_runtime_reconcile_time_seconds_count', { controller: 'jirasync' }), 'one work item per reconcile');
  const reconciles = select(exp, 'controller_runtime_reconcile_total', { controller: 'jirasync' }).reduce((n, s) => n + s.value, 0);
  t.equal(valueOf(exp, 'controller_runtime_reconcile_time_seconds_count', { controller: 'jirasync' }), reconciles, 'every reconcile is timed');
  t.ok(valueOf(exp, 'controller_runtime_reconcile_total', { controller: 'jirasync', result: 'requeue_after' }) >= 1, 'the retry was a requeue_after');
  t.equal(valueOf(exp, 'controller_runtime_max_concurrent_reconciles', { controller: 'jirasync' }), 4);
  t.equal(valueOf(exp, 'controller_runtime_active_workers', { controller: 'jirasync' }), 0, 'nothing running now');
  t.ok(select(exp, 'process_resident_memory_bytes').length === 1 && select(exp, 'nodejs_eventloop_lag_seconds').length === 1, 'default process metrics');
});

t.test('the exported family names, types and labels equal the contract list, plus the default process metrics', async (t) => {
  const defaults = new client.Registry();
  client.collectDefaultMetrics({ register: defaults });
  const defaultNames = new Set((await defaults.getMetricsAsJSON()).map((m) => m.name));
  const contract = readContract();
  const exported = [...exp.types.keys()].filter((n) => !defaultNames.has(n)).sort();
  t.same(exported, contract.map((f) => f.name).sort(), 'exported names = test/fixtures/metric-names.txt');
  t.same([...defaultNames].filter((n) => !exp.types.has(n)), [], 'every default process_/nodejs_ metric is exported');
  for (const f of contract) {
    t.equal(exp.types.get(f.name), f.type, `${f.name} is a ${f.type}`);
    const samples = exp.samples.filter((s) => familyOf(s.name, exp.types) === f.name);
    for (const s of samples) {
      // Every series carries the instance's shard (a default label, docs/sharding.md); the contract lists the others.
      if (s.labels.shard !== 'default') t.fail(`${s.name} lacks shard="default" (${JSON.stringify(s.labels)})`);
      const labels = Object.keys(s.labels).filter((l) => l !== 'le' && l !== 'shard').sort();
      if (JSON.stringify(labels) !== JSON.stringify([...f.labels].sort())) t.fail(`${s.name} has labels ${labels.join(',')}, the contract says ${f.labels.join(',')}`);
    }
  }
  const perSyncValues = exp.samples.filter((s) => s.labels.namespace !== undefined);
  t.ok(perSyncValues.every((s) => /^[a-z0-9-]+$/.test(s.labels.name) && !('issue' in s.labels) && !('error' in s.labels)), 'per-sync labels are names, never issue keys or error text');
});

t.test('an OpenMetrics scrape ends in # EOF and its histograms carry exemplars with the run\'s trace id', async (t) => {
  const om = await scrape(metricsUrl, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
  t.match(om.contentType, /^application\/openmetrics-text; version=1\.0\.0/);
  t.ok(om.eof, 'ends with # EOF');
  t.equal(om.types.get('jirasync_sync_runs'), 'counter', 'counters are named without _total in TYPE, as OpenMetrics wants');
  const spans = await otlp.waitFor((s) => s.some((x) => x.name === 'jirasync.reconcile' && x.attributes['jirasync.name'] === 'good'), 30_000, 'the good run\'s root span');
  const goodTrace = spans.find((x) => x.name === 'jirasync.reconcile' && x.attributes['jirasync.name'] === 'good')!.traceId;
  const runExemplars = select(om, 'jirasync_processing_duration_seconds_bucket', { sync_type: 'project' }).filter((s) => s.exemplar);
  t.same(runExemplars.map((s) => s.exemplar!.labels), [{ trace_id: goodTrace }], 'the project run\'s duration links to its trace');
  const pushExemplar = select(om, 'jirasync_git_push_duration_seconds_bucket').find((s) => s.exemplar);
  t.equal(pushExemplar?.exemplar?.labels.trace_id, goodTrace, 'the push latency links to the same trace');
  const jiraExemplars = select(om, 'jirasync_jira_request_duration_seconds_bucket').filter((s) => s.exemplar);
  t.ok(jiraExemplars.length >= 2, 'Jira latency carries exemplars');
  // An exemplar can name a later run (the failing sync's retry) whose spans are still in the
  // exporter's batch: wait for them rather than read what has arrived so far.
  await otlp.waitFor((s) => {
    const traceIds = new Set(s.map((x) => x.traceId));
    return jiraExemplars.every((e) => traceIds.has(e.exemplar!.labels.trace_id));
  }, 30_000, 'the traces the Jira latency exemplars name');
  t.pass('Jira latency exemplars name received traces');
  const plain = await scrape(metricsUrl);
  t.match(plain.contentType, /^text\/plain; version=0\.0\.4/);
  t.notOk(plain.eof || plain.samples.some((s) => s.exemplar), 'the Prometheus text format has no exemplars and no # EOF');
  t.same([...plain.types.keys()].sort(), [...exp.types.keys()].sort(), 'a Prometheus-text scrape after an OpenMetrics one has the same family names');
  t.ok(select(plain, 'jirasync_sync_runs_total').length > 0 && select(plain, 'jirasync_sync_runs').length === 0, 'counters keep their _total');
});

t.test('deleting a JIRASync removes every series that names it', async (t) => {
  const ref = { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL };
  for (const name of ['good', 'bad']) await world.objects.deleteNamespacedCustomObject({ ...ref, name });
  const deadline = Date.now() + 30_000;
  let left: string[] = [];
  for (;;) {
    const after = await scrape(metricsUrl);
    left = after.samples.filter((s) => s.labels.namespace === ns || s.labels.sync_name !== undefined).map((s) => `${s.name}${JSON.stringify(s.labels)}`);
    if (left.length === 0 || Date.now() > deadline) {
      t.ok(after.types.has('jirasync_phase_info'), 'the families themselves stay');
      t.same(select(after, 'jirasync_git_push_total').map((s) => s.value), [1], 'controller-wide series stay');
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  t.same(left, [], 'no series names a deleted JIRASync');
  const gone = (await world.objects.listNamespacedCustomObject(ref)) as { items: JIRASync[] };
  t.same(gone.items, [], 'the objects are gone');
});
