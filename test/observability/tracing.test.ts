/**
 * Traces and logs of the real controller, with tracing turned on by the standard OTEL_* variables
 * and exported as OTLP/HTTP JSON to a receiver in the test: one trace per sync run, rooted at
 * `jirasync.reconcile` with the run's attributes, a child span per engine operation, per Jira HTTP
 * call, per git operation and per Kubernetes API call; the resource names the service and the pod.
 * Every line the controller prints is JSON, and the lines of a run carry its namespace/name and
 * the trace and span ids of that run.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { REQUESTED_AT_ANNOTATION } from '../../controller/api/jirasync.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { startController } from '../fixtures/controller.ts';
import { scrape, select } from '../fixtures/exposition.ts';
import { startOtlpReceiver, tracingEnv, type ReceivedSpan } from '../fixtures/otlp-receiver.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 3, projects: [{ key: 'PROJ', issues: 8 }] });
const otlp = await startOtlpReceiver();
t.teardown(() => otlp.close());
const ctl = await startController({
  kubeconfigPath: world.cluster.kubeconfigPath, namespace: world.namespace, watchNamespaces: [world.namespace],
  env: { ...world.controllerEnv(), ...tracingEnv(otlp.url), LOG_LEVEL: 'info' },
});
t.teardown(() => ctl.stop());
const ns = world.namespace;
const apiServer = new URL(world.cluster.kc.getCurrentCluster()!.server);

const url = await world.git.createRepo('traced', { seed: { 'README.md': 'mirror\n' } });
await world.apply('traced', specFor(url, { syncType: 'project', target: { projectKey: 'PROJ' } }));
await world.waitFor('traced', 'Completed', (o) => o.status?.phase === 'Completed');
// A second run, on request, after an issue changed.
world.jira.state.updateIssue('PROJ-2', { summary: 'changed for the second run' });
await world.annotate('traced', { [REQUESTED_AT_ANNOTATION]: 'second' });
await world.waitFor('traced', 'second run Completed', (o) => o.status?.lastHandledRequestedAt === 'second' && o.status?.phase === 'Completed');
// A run that fails: the repository does not exist.
await world.apply('broken', specFor(`${world.git.baseUrl}/missing.git`, {
  syncType: 'single', target: { issueKeys: ['PROJ-1'] }, retryPolicy: { maxRetries: 0, initialDelay: 1, backoffMultiplier: 1 },
}));
await world.waitFor('broken', 'Failed', (o) => o.status?.phase === 'Failed');

const isRoot = (s: ReceivedSpan, name: string) => s.name === 'jirasync.reconcile' && s.attributes['jirasync.name'] === name;
await otlp.waitFor((spans) => spans.filter((s) => isRoot(s, 'traced')).length === 2 && spans.some((s) => isRoot(s, 'broken')), 30_000, 'three root spans');
// Children end before their root, but come in other batches: let the exporter drain.
await new Promise((r) => setTimeout(r, 1500));
const spans = otlp.spans;
const roots = spans.filter((s) => isRoot(s, 'traced')).sort((a, b) => Number(a.startNs - b.startNs));
const traceOf = (root: ReceivedSpan) => spans.filter((s) => s.traceId === root.traceId);

t.test('each run is one trace rooted at jirasync.reconcile with the run\'s attributes', async (t) => {
  t.equal(roots.length, 2, 'two runs of "traced", two root spans');
  t.not(roots[0].traceId, roots[1].traceId, 'each run has its own trace');
  for (const [i, root] of roots.entries()) {
    t.equal(root.parentSpanId, '', `run ${i + 1}: the root has no parent`);
    t.same(traceOf(root).filter((s) => s.parentSpanId === ''), [root], `run ${i + 1}: one root in its trace`);
    const ids = new Set(traceOf(root).map((s) => s.spanId));
    t.ok(traceOf(root).every((s) => s === root || ids.has(s.parentSpanId)), `run ${i + 1}: every span's parent is in the same trace`);
    t.match(root.attributes, {
      'jirasync.namespace': ns, 'jirasync.name': 'traced', 'jirasync.sync_type': 'project', 'jirasync.generation': 1,
      'jirasync.result': 'success', 'jirasync.issues.total': 8, 'jirasync.issues.failed': 0,
    }, `run ${i + 1}: root attributes`);
    t.not(root.status.code, 2, 'a successful run is not marked as an error');
  }
  t.match(roots[0].attributes['jirasync.commit'], /^[0-9a-f]{40}$/, 'the root names the commit it pushed');
});

t.test('the root\'s children: engine operations, Jira calls with pages, git operations, Kubernetes API calls', async (t) => {
  const [first, second] = roots.map(traceOf);
  const children = (trace: ReceivedSpan[], root: ReceivedSpan) => trace.filter((s) => s.parentSpanId === root.spanId);
  const names = (list: ReceivedSpan[]) => list.map((s) => s.name);
  const ops = names(children(first, roots[0]).filter((s) => s.name.startsWith('jirasync.'))).sort();
  t.same(ops, ['jirasync.commit', 'jirasync.fetch-issues', 'jirasync.push', 'jirasync.resolve-target', 'jirasync.write-files'], 'one span per engine operation');
  for (const s of children(first, roots[0]).filter((x) => x.name.startsWith('jirasync.'))) t.equal(s.attributes['jirasync.operation'], s.name.slice('jirasync.'.length));

  const jira = children(first, roots[0]).filter((s) => s.name.startsWith('jira '));
  t.ok(jira.some((s) => s.name === 'jira POST search/jql' && s.attributes['jira.page'] === 1), 'the search span carries its page number');
  t.ok(jira.some((s) => s.name === 'jira POST issue/bulkfetch'), 'the bulk fetch has a span');
  t.ok(jira.every((s) => s.attributes['http.request.method'] === 'POST' || s.attributes['http.request.method'] === 'GET'), 'Jira spans carry the method');

  const git = names(children(first, roots[0]).filter((s) => s.name.startsWith('git.')));
  t.ok(git.includes('git.open'), 'opening the checkout has a span');
  const clone = first.filter((s) => s.name === 'git.clone');
  t.equal(clone.length, 1, 'the first run clones the repository');
  t.equal(first.find((s) => s.spanId === clone[0]?.parentSpanId)?.name, 'git.open', 'inside git.open');
  for (const op of ['git.build-tree', 'git.commit', 'git.push']) t.ok(git.includes(op), `${op} span`);
  const again = names(second.filter((s) => s.name.startsWith('git.')));
  t.notOk(again.includes('git.clone'), 'the second run reuses its cache: no clone');
  t.ok(again.includes('git.push'), 'the second run pushes its change');

  // HTTP client spans (fetch/undici): the Kubernetes API calls of the run, and Jira's own requests.
  const http = first.filter((s) => s.kind === 3 && typeof s.attributes['url.full'] === 'string');
  const kube = http.filter((s) => new URL(String(s.attributes['url.full'])).host === apiServer.host);
  t.ok(kube.some((s) => /\/jirasyncs\/traced\/status$/.test(new URL(String(s.attributes['url.full'])).pathname)), 'status writes are traced');
  t.ok(kube.some((s) => /\/secrets\/jira$/.test(new URL(String(s.attributes['url.full'])).pathname)), 'the Secret read is traced');
  t.ok(kube.some((s) => /\/events$/.test(new URL(String(s.attributes['url.full'])).pathname)), 'Event writes are traced');
  t.ok(kube.every((s) => typeof s.attributes['http.response.status_code'] === 'number'), 'with their response codes');
  const jiraHttp = http.filter((s) => String(s.attributes['url.full']).startsWith(world.jira.url));
  t.equal(jiraHttp.length, first.filter((s) => s.name.startsWith('jira ')).length, 'one HTTP client span under each Jira call span');
  t.ok(jiraHttp.every((s) => first.find((p) => p.spanId === s.parentSpanId)?.name.startsWith('jira ')), 'nested in the Jira call span');

  const exp = await scrape(`${ctl.url}/metrics`);
  const requests = select(exp, 'jirasync_jira_requests_total').reduce((n, s) => n + s.value, 0);
  const jiraSpans = spans.filter((s) => s.name.startsWith('jira '));
  t.equal(jiraSpans.length, requests, `one span per Jira HTTP request (${requests} requests)`);
});

t.test('a failed run is a trace whose root and failing span are errors with a redacted message', async (t) => {
  const root = spans.find((s) => isRoot(s, 'broken'))!;
  t.equal(root.attributes['jirasync.result'], 'failure');
  t.equal(root.status.code, 2, 'the root span is an error');
  t.match(root.status.message, /not found|does not exist|404/i);
  t.ok(root.events.some((e) => e.name === 'exception' && typeof e.attributes['exception.message'] === 'string'), 'the exception is recorded');
  const failing = traceOf(root).filter((s) => s !== root && s.status.code === 2).map((s) => s.name);
  t.same(failing, ['git.open'], 'the git span that failed is marked too');
});

t.test('the resource names the service, its version and the pod', async (t) => {
  const resource = roots[0].resource;
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  t.match(resource, { 'service.name': 'jirasync', 'service.version': version, 'k8s.pod.name': ctl.name, 'k8s.namespace.name': ns });
  t.ok(spans.every((s) => s.resource['k8s.pod.name'] === ctl.name), 'on every span');
});

t.test('every line printed is JSON; the lines of a run name the JIRASync and carry its trace and span ids', async (t) => {
  const notJson = ctl.output.filter((line) => {
    try {
      return typeof JSON.parse(line) !== 'object';
    } catch {
      return true;
    }
  });
  t.same(notJson, [], 'stdout and stderr are JSON lines only');
  t.ok(ctl.logs.every((l) => typeof l.level === 'string' && typeof l.msg === 'string' && !Number.isNaN(Date.parse(String(l.time)))), 'each line has level, time and msg');

  const traceIds = new Set(spans.map((s) => s.traceId));
  const spanIds = new Set(spans.map((s) => s.spanId));
  const ofRun = (root: ReceivedSpan) => ctl.logs.filter((l) => l.trace_id === root.traceId);
  for (const [i, root] of roots.entries()) {
    const lines = ofRun(root);
    t.ok(lines.some((l) => l.msg === 'sync started') && lines.some((l) => l.msg === 'sync completed'), `run ${i + 1}: its start and end lines carry its trace id`);
    t.ok(lines.every((l) => l.namespace === ns && l.name === 'traced'), `run ${i + 1}: and name the JIRASync`);
    t.ok(lines.every((l) => typeof l.span_id === 'string' && spanIds.has(String(l.span_id))), `run ${i + 1}: span ids are spans that were exported`);
  }
  const failed = ctl.logs.find((l) => l.msg === 'sync failed' && l.name === 'broken');
  t.match(failed, { namespace: ns, name: 'broken', level: 'warn' }, 'the failure is logged with the JIRASync');
  t.ok(failed && traceIds.has(String(failed.trace_id)), 'with the failed run\'s trace id');
  const traced = ctl.logs.filter((l) => l.trace_id !== undefined);
  t.ok(traced.every((l) => traceIds.has(String(l.trace_id))), 'every trace id in the logs is a trace that was exported');
  const started = ctl.logs.filter((l) => l.msg === 'sync started');
  t.equal(started.length, 3, 'three runs started');
});
