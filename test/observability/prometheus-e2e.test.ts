/**
 * The whole monitoring path, all real: the controller reconciles JIRASyncs against the API
 * server, the Jira emulator and the git server; a real Prometheus scrapes its /metrics and
 * evaluates the shipped alerts/ (with `for:` and the stall threshold shortened in memory); a real
 * Alertmanager delivers to a webhook receiver in the test. One sync fails for good after many
 * retries (JIRASyncFailed, JIRASyncHighRetryCount), one stalls on a Jira rate limit while Running
 * (JIRASyncStalled), one stays healthy and scheduled (no alert, freshness data). Then every PromQL
 * expression of every dashboard runs against that Prometheus and must return data, except an
 * explicit list of panels that may be empty in such a run, each with its reason. The controller
 * traces to an OTLP receiver in the test and Prometheus stores exemplars: the run-duration and the
 * Jira and git latency histograms link to traces the controller exported, and nothing else rides
 * along in an exemplar.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REQUESTED_AT_ANNOTATION } from '../../controller/api/jirasync.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { startPrometheusStack } from '../env/prometheus.ts';
import { dashboardQueries, ruleQueries, substituteVariables } from '../dashboards/promql.ts';
import { startController } from '../fixtures/controller.ts';
import { scrape, select } from '../fixtures/exposition.ts';
import { startOtlpReceiver, tracingEnv } from '../fixtures/otlp-receiver.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';

const root = resolve(import.meta.dirname, '../..');
const rulesFile = resolve(root, 'alerts/jirasync.rules.yaml');

/** Dashboard expressions that may return nothing in this run, by the start of their source, and why. */
const MAY_BE_EMPTY: Record<string, string> = {
  'jirasync-controller-internals.json: panel "Status write errors by sync"': 'no status write fails against a healthy API server',
  'jirasync-controller-internals.json: panel "Watch restarts by reason"': 'the watch is not restarted in a short healthy run (the counter has no series until it is)',
  'jirasync-controller-internals.json: panel "Garbage collection"': 'prom-client adds a GC kind\'s series at its first collection; this short run may allocate less than one young generation',
  'jirasync-controller-internals.json: annotation "Leader changes"': 'leadership does not change: the controller leads before Prometheus starts',
  'jirasync-fleet-overview.json: panel "Freshness budget burn rate (1h window)"': 'shows only syncs burning budget (> 0); the one scheduled sync is fresh',
};

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 13, projects: [{ key: 'PROJ', issues: 20 }, { key: 'OPS', issues: 5 }] });
const ns = world.namespace;
await world.core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'jira-flip', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: world.jira.url, email: world.jira.email, apiToken: world.jira.apiToken } } });
const otlp = await startOtlpReceiver();
t.teardown(() => otlp.close());
const ctl = await startController({ kubeconfigPath: world.cluster.kubeconfigPath, namespace: ns, watchNamespaces: [ns], env: { ...world.controllerEnv(), ...tracingEnv(otlp.url) } });
t.teardown(() => ctl.stop());

// Lead before Prometheus looks, so that no leader alert can see a replica still starting.
for (const deadline = Date.now() + 60_000; ;) {
  if (select(await scrape(`${ctl.url}/metrics`), 'jirasync_leader').some((s) => s.value === 1)) break;
  if (Date.now() > deadline) throw new Error('the controller did not become leader');
  await new Promise((r) => setTimeout(r, 250));
}
const stack = await startPrometheusStack({
  targets: [{ job: 'jirasync', targets: [`127.0.0.1:${ctl.port}`] }],
  exemplars: true,
  ruleFiles: [rulesFile],
  ruleOverrides: {
    for: '2s',
    alerts: {
      // 5 minutes without progress (then 5 more for `for:`) become 5 seconds (then 2).
      JIRASyncStalled: { expr: (e) => e.replace('> 300', '> 5') },
      // A slow first scrape on a loaded machine must not count as a controller that is down.
      JIRASyncControllerDown: { for: '30s' },
    },
  },
});
t.teardown(() => stack.stop());
await stack.waitForTargetsUp(60_000);

// healthy: scheduled daily, succeeds. broken: succeeds, then its Jira token is revoked and a
// requested run fails five times (maxRetries 4). stuck: succeeds, then a requested run meets a
// Jira rate limit with a long Retry-After on the bulk fetch and sits Running without progress.
const completed = (o: { status?: { phase?: string } }) => o.status?.phase === 'Completed';
await world.apply('healthy', specFor(await world.git.createRepo('healthy'), { syncType: 'project', target: { projectKey: 'PROJ' }, schedule: '17 3 * * *' }));
await world.apply('broken', specFor(await world.git.createRepo('broken'), {
  syncType: 'single', target: { issueKeys: ['PROJ-1'] }, jira: { secretRef: { name: 'jira-flip' } },
  retryPolicy: { maxRetries: 4, initialDelay: 1, backoffMultiplier: 1 },
}));
await world.apply('stuck', specFor(await world.git.createRepo('stuck'), { syncType: 'project', target: { projectKey: 'OPS' } }));
for (const name of ['healthy', 'broken', 'stuck']) await world.waitFor(name, 'Completed', completed);

await world.core.patchNamespacedSecret({ namespace: ns, name: 'jira-flip', body: { stringData: { apiToken: 'revoked-token' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
await world.annotate('broken', { [REQUESTED_AT_ANNOTATION]: 'after-revoke' });
const broken = await world.waitFor('broken', 'Failed after five runs', (o) => o.status?.phase === 'Failed' && o.status?.lastHandledRequestedAt === 'after-revoke');

world.jira.state.rateLimit({ retryAfter: 100, path: 'bulkfetch' });
await world.annotate('stuck', { [REQUESTED_AT_ANNOTATION]: 'into-the-limit' });
await world.waitFor('stuck', 'Running the requested run', (o) => o.status?.phase === 'Running' && o.status?.lastHandledRequestedAt === 'into-the-limit');

t.test('the controller\'s own view: broken Failed after 5 runs, stuck Running with no progress', async (t) => {
  t.equal(broken.status?.retryCount, 5);
  t.ok(broken.status?.syncState?.lastSyncTime, 'broken had succeeded before');
  const stuck = await world.get('stuck');
  t.equal(stuck.status?.syncState?.processedIssues ?? 0, 0, 'the stuck run has processed nothing');
});

t.test('JIRASyncFailed and JIRASyncHighRetryCount reach the webhook for the broken sync', async (t) => {
  const failed = await stack.waitForAlert('JIRASyncFailed', { labels: { namespace: ns, name: 'broken' }, timeoutMs: 90_000 });
  t.match(failed.labels, { alertname: 'JIRASyncFailed', severity: 'warning', namespace: ns, name: 'broken', sync_type: 'single' });
  t.equal(failed.annotations.summary, `JIRASync ${ns}/broken has Failed.`);
  t.match(failed.annotations.runbook_url, /docs\/runbooks\.md#jirasyncfailed$/);
  const retries = await stack.waitForAlert('JIRASyncHighRetryCount', { labels: { namespace: ns, name: 'broken' }, timeoutMs: 90_000 });
  t.match(retries.labels, { alertname: 'JIRASyncHighRetryCount', severity: 'warning', namespace: ns, name: 'broken' });
  t.equal(retries.annotations.summary, `JIRASync ${ns}/broken has failed 5 runs in a row.`);
  t.notOk('instance' in failed.labels || 'job' in failed.labels, 'per-sync alerts do not name the replica');
});

t.test('JIRASyncStalled reaches the webhook for the sync that is Running without progress', async (t) => {
  const stalled = await stack.waitForAlert('JIRASyncStalled', { labels: { namespace: ns, name: 'stuck' }, timeoutMs: 90_000 });
  t.match(stalled.labels, { alertname: 'JIRASyncStalled', severity: 'warning', namespace: ns, name: 'stuck' });
  t.match(stalled.annotations.description, /count last moved [\d.]+s ago/, 'the description says how long ago progress last moved');
  const stuck = await world.get('stuck');
  t.equal(stuck.status?.phase, 'Running', 'still Running when the alert arrived');
  t.same(stack.receivedAlerts().filter((a) => a.labels.name === 'stuck' && a.labels.alertname !== 'JIRASyncStalled').map((a) => a.labels.alertname), [], 'nothing else about stuck');
});

t.test('Prometheus stores the run-duration, Jira and git latency exemplars, each naming a trace the controller exported and nothing else', async (t) => {
  const traceIds = () => new Set(otlp.spans.map((s) => s.traceId));
  const histograms = ['jirasync_processing_duration_seconds', 'jirasync_jira_request_duration_seconds', 'jirasync_git_push_duration_seconds'];
  for (const h of histograms) {
    let found: { series: Record<string, string>; labels: Record<string, string> }[] = [];
    await stack.waitForSeries(`count(${h}_bucket)`);
    for (const deadline = Date.now() + 30_000; ;) {
      found = (await stack.queryExemplars(`${h}_bucket{job="jirasync"}`)).flatMap((s) => s.exemplars.map((e) => ({ series: s.seriesLabels, labels: e.labels })));
      if (found.length > 0 && found.every((e) => traceIds().has(e.labels.trace_id ?? ''))) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    t.ok(found.length > 0, `${h}: Prometheus has exemplars`, { logs: found.length ? undefined : stack.logs().slice(-2000) });
    t.same([...new Set(found.map((e) => Object.keys(e.labels).sort().join(',')))], ['trace_id'], `${h}: an exemplar carries trace_id only`);
    const unknown = found.filter((e) => !traceIds().has(e.labels.trace_id ?? ''));
    t.same(unknown.map((e) => e.labels.trace_id), [], `${h}: every exemplar's trace was exported to the OTLP receiver`);
    t.ok(found.every((e) => e.series.__name__ === `${h}_bucket` && e.series.job === 'jirasync'), `${h}: on the histogram's buckets of the scraped controller`);
  }
  // The drill-down's run-duration query, as Grafana sends it with exemplars on, finds the runs of
  // every sync type that ran, and the failing sync's runs link to traces of jirasync.reconcile.
  const runs = await stack.queryExemplars('histogram_quantile(0.95, sum by (le) (rate(jirasync_processing_duration_seconds_bucket{sync_type="single"}[1m])))');
  const runTraces = runs.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id));
  t.ok(runTraces.length > 0, 'the drill-down query for syncType single has exemplars');
  const roots = new Set(otlp.spans.filter((s) => s.name === 'jirasync.reconcile').map((s) => s.traceId));
  t.ok(runTraces.every((id) => roots.has(id)), 'each is the trace of a whole run (root span jirasync.reconcile)');
});

t.test('exactly the expected alerts are active: every other shipped alert is silent', async (t) => {
  const loaded = Object.entries(stack.loadedRules).flatMap(([file, text]) => ruleQueries(text, file).queries);
  const active: string[] = [];
  for (const q of loaded.filter((x) => x.source.includes(': alert '))) {
    if ((await stack.query(q.expr)).length > 0) active.push(q.source.replace(/^.*: alert /, ''));
  }
  t.same(active.sort(), ['JIRASyncAuthenticationFailed', 'JIRASyncFailed', 'JIRASyncHighRetryCount', 'JIRASyncStalled'], 'the alert expressions that hold now');
  const delivered = [...new Set(stack.receivedAlerts().map((a) => `${a.labels.alertname} ${a.labels.name ?? ''}`.trim()))].sort();
  t.same(delivered, ['JIRASyncAuthenticationFailed broken', 'JIRASyncFailed broken', 'JIRASyncHighRetryCount broken', 'JIRASyncStalled stuck'], 'and the webhook got those, nothing else');
  for (const q of loaded.filter((x) => x.source.includes(': record '))) {
    t.ok((await stack.query(q.expr)).length > 0, `${q.source} records data`);
  }
});

t.test('every dashboard query returns data in this run, but for the listed panels that may be empty', async (t) => {
  await stack.waitForSeries('count_over_time(up{job="jirasync"}[1m]) >= 5', { timeoutMs: 30_000 });
  const names = ['healthy', 'broken', 'stuck'];
  const types: Record<string, string> = { healthy: 'project', broken: 'single', stuck: 'project' };
  const fleet = { shard: 'default', namespace: ns, jirasync: names.join('|'), instance: `127.0.0.1:${ctl.port}`, __rate_interval: '1m', __interval: '1m', __range: '10m' };
  const files = readdirSync(resolve(root, 'dashboards')).filter((f) => f.endsWith('.json'));
  const queries = files.flatMap((f) => dashboardQueries(JSON.parse(readFileSync(resolve(root, 'dashboards', f), 'utf8')), f));
  t.ok(queries.length > 80, `${queries.length} dashboard queries`);
  const empty: string[] = [];
  const failed: string[] = [];
  for (const q of queries) {
    // The drill-down shows one sync: it has data when it has data for some sync of the run.
    const perSync = q.source.startsWith('jirasync-sync-drill-down.json');
    const valueSets = perSync ? names.map((n) => ({ ...fleet, jirasync: n, sync_type: types[n] })) : [fleet];
    let found = false;
    for (const values of valueSets) {
      try {
        if ((await stack.query(substituteVariables(q.expr, values))).length > 0) found = true;
      } catch (err) {
        failed.push(`${q.source}: ${(err as Error).message}`);
      }
      if (found) break;
    }
    if (!found) empty.push(q.source);
  }
  t.same(failed, [], 'every query runs');
  const unexpected = empty.filter((s) => !Object.keys(MAY_BE_EMPTY).some((k) => s.startsWith(k)));
  t.same(unexpected, [], 'every query outside the allow-list returns data');
  for (const [k, why] of Object.entries(MAY_BE_EMPTY)) {
    t.ok(queries.some((q) => q.source.startsWith(k)), `the allow-list names a real query: ${k} (${why})`);
  }
});
