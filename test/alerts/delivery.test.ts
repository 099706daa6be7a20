/**
 * The shipped rules work in a real Prometheus and reach a real Alertmanager: a small prom-client
 * exporter in the test serves controller-shaped series, Prometheus scrapes it and evaluates
 * alerts/jirasync.rules.yaml (with `for:` shortened in memory), and Alertmanager delivers the alerts
 * to a webhook server in the test. This also proves test/env/prometheus.ts for the end-to-end test.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import client from 'prom-client';
import { startPrometheusStack } from '../env/prometheus.ts';

const rulesFile = resolve(import.meta.dirname, '../../alerts/jirasync.rules.yaml');
const shippedRules = readFileSync(rulesFile, 'utf8');

/** A /metrics endpoint with the controller's metric names, whose values the test sets. */
async function startExporter() {
  const registry = new client.Registry();
  const phase = new client.Gauge({ name: 'jirasync_phase_info', help: 'phase', labelNames: ['namespace', 'name', 'sync_type', 'phase'], registers: [registry] });
  const retries = new client.Gauge({ name: 'jirasync_retry_count', help: 'retries', labelNames: ['namespace', 'name'], registers: [registry] });
  const progress = new client.Gauge({ name: 'jirasync_last_progress_timestamp_seconds', help: 'progress', labelNames: ['namespace', 'name'], registers: [registry] });
  const leader = new client.Gauge({ name: 'jirasync_leader', help: 'leader', labelNames: ['identity'], registers: [registry] });
  const server = createServer(async (req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    phase,
    retries,
    progress,
    leader,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

t.test('real Prometheus evaluates the shipped rules and real Alertmanager delivers them to the webhook', async (t) => {
  const exporter = await startExporter();
  t.teardown(() => exporter.close());
  const now = Date.now() / 1000;
  // team-a/broken: Failed with 5 consecutive failures. team-a/stuck: Running, no progress for an
  // hour. team-b/healthy: Completed, no retries: must never be alerted on.
  exporter.phase.set({ namespace: 'team-a', name: 'broken', sync_type: 'jql', phase: 'Failed' }, 1);
  exporter.retries.set({ namespace: 'team-a', name: 'broken' }, 5);
  exporter.phase.set({ namespace: 'team-a', name: 'stuck', sync_type: 'project', phase: 'Running' }, 1);
  exporter.progress.set({ namespace: 'team-a', name: 'stuck' }, now - 3600);
  exporter.retries.set({ namespace: 'team-a', name: 'stuck' }, 0);
  exporter.phase.set({ namespace: 'team-b', name: 'healthy', sync_type: 'single', phase: 'Completed' }, 1);
  exporter.retries.set({ namespace: 'team-b', name: 'healthy' }, 0);
  exporter.progress.set({ namespace: 'team-b', name: 'healthy' }, now);
  exporter.leader.set({ identity: 'test-replica' }, 1);

  const stack = await startPrometheusStack({
    targets: [{ job: 'jirasync', targets: [exporter.address] }],
    ruleFiles: [rulesFile],
    ruleOverrides: {
      for: '2s',
      // The stall threshold (5 minutes without progress) is in the expression: shorten it too.
      alerts: { JIRASyncStalled: { expr: (e) => e.replace('> 300', '> 30') } },
    },
  });
  t.teardown(() => stack.stop());
  await stack.waitForTargetsUp();
  t.equal(readFileSync(rulesFile, 'utf8'), shippedRules, 'the shipped rule file is untouched');

  const failed = await stack.waitForAlert('JIRASyncFailed', { labels: { namespace: 'team-a', name: 'broken' } });
  t.match(failed.labels, { alertname: 'JIRASyncFailed', severity: 'warning', namespace: 'team-a', name: 'broken', sync_type: 'jql' });
  t.notOk('instance' in failed.labels || 'job' in failed.labels, 'per-sync alerts do not depend on which replica exported them');
  t.equal(failed.annotations.summary, 'JIRASync team-a/broken has Failed.');
  t.equal(failed.annotations.runbook_url, 'https://github.com/jirasync/jirasync/blob/main/docs/runbooks.md#jirasyncfailed');

  const retries = await stack.waitForAlert('JIRASyncHighRetryCount', { labels: { namespace: 'team-a', name: 'broken' } });
  t.match(retries.labels, { severity: 'warning', namespace: 'team-a', name: 'broken' });
  t.equal(retries.annotations.summary, 'JIRASync team-a/broken has failed 5 runs in a row.');

  const stalled = await stack.waitForAlert('JIRASyncStalled', { labels: { namespace: 'team-a', name: 'stuck' } });
  t.match(stalled.annotations.description, /last moved 1h 0m \d+s ago/, 'the description carries the stall age');

  const about = (name: string) => stack.receivedAlerts().filter((a) => a.labels.name === name).map((a) => a.labels.alertname);
  t.same(about('healthy'), [], 'nothing about the healthy sync');
  // Before the first scrape `up` is absent, so with `for: 2s` a ControllerDown may fire and resolve at
  // start-up; once the target is scraped it must not be pending or firing.
  const down = (await stack.prometheusAlerts()).filter((a) => a.labels.alertname === 'JIRASyncControllerDown');
  t.same(down, [], 'the controller is scraped: ControllerDown is neither pending nor firing');

  // The sync recovers: both of its alerts resolve and Alertmanager says so.
  exporter.phase.remove({ namespace: 'team-a', name: 'broken', sync_type: 'jql', phase: 'Failed' });
  exporter.phase.set({ namespace: 'team-a', name: 'broken', sync_type: 'jql', phase: 'Completed' }, 1);
  exporter.retries.set({ namespace: 'team-a', name: 'broken' }, 0);
  await stack.waitForAlert('JIRASyncFailed', { labels: { name: 'broken' }, status: 'resolved' });
  await stack.waitForAlert('JIRASyncHighRetryCount', { labels: { name: 'broken' }, status: 'resolved' });
  t.pass('both alerts of the recovered sync were resolved');
});

t.test('JIRASyncControllerDown reaches the webhook when the scrape target disappears', async (t) => {
  const exporter = await startExporter();
  t.teardown(() => exporter.close());
  const stack = await startPrometheusStack({
    targets: [{ job: 'jirasync', targets: [exporter.address], labels: { namespace: 'jirasync-system' } }],
    ruleFiles: [rulesFile],
    ruleOverrides: { for: '2s' },
  });
  t.teardown(() => stack.stop());
  await stack.waitForTargetsUp();
  await stack.waitForSeries('up{job="jirasync"} == 1');
  await exporter.close();
  // The absent() branch may already have fired (without a namespace) before the first scrape; the
  // alert this test is about is the one for the install whose every target now fails.
  const down = await stack.waitForAlert('JIRASyncControllerDown', { labels: { namespace: 'jirasync-system' } });
  t.match(down.labels, { severity: 'critical', job: 'jirasync', namespace: 'jirasync-system' });
});
