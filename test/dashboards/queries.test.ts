/**
 * Every dashboard query runs in a real Prometheus and returns data: Prometheus scrapes an exporter
 * serving every contract metric (with the label values the contract lists) and evaluates the
 * shipped recording rules; each panel, variable and annotation expression must then succeed and
 * return at least one series. This catches what parsing cannot: label values the controller never
 * exports, joins that match nothing, recording rules the dashboards expect but nobody records.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startContractExporter } from '../fixtures/contract-exporter.ts';
import { startPrometheusStack } from '../env/prometheus.ts';
import { dashboardQueries, substituteVariables } from './promql.ts';

const root = resolve(import.meta.dirname, '../..');

t.test('every dashboard query returns data from a Prometheus scraping controller-shaped series', async (t) => {
  const exporter = await startContractExporter([
    { namespace: 'team-a', name: 'nightly', syncType: 'jql', phase: 'Running' },
    { namespace: 'team-a', name: 'broken', syncType: 'project', phase: 'Failed' },
    { namespace: 'team-b', name: 'paused', syncType: 'single', phase: 'Suspended' },
  ]);
  t.teardown(() => exporter.close());
  const stack = await startPrometheusStack({
    targets: [{ job: 'jirasync', targets: [exporter.address] }],
    ruleFiles: [resolve(root, 'alerts/jirasync.rules.yaml')],
    alertmanager: false,
  });
  t.teardown(() => stack.stop());
  await stack.waitForTargetsUp();
  // Enough scrapes for rate(), changes() and increase() to see movement.
  await stack.waitForSeries('count_over_time(up{job="jirasync"}[1m]) >= 5', { timeoutMs: 60_000 });
  await stack.waitForSeries('jirasync:freshness_error:ratio_avg5m');

  const values = { shard: 'default', namespace: 'team-a', jirasync: 'nightly', sync_type: 'jql', instance: exporter.address, __rate_interval: '1m', __interval: '1m', __range: '1m' };
  const files = readdirSync(resolve(root, 'dashboards')).filter((f) => f.endsWith('.json'));
  const queries = files.flatMap((f) => dashboardQueries(JSON.parse(readFileSync(resolve(root, 'dashboards', f), 'utf8')), f));
  t.ok(queries.length > 80, `found ${queries.length} dashboard queries`);
  const empty: string[] = [];
  const failed: string[] = [];
  for (const q of queries) {
    const expr = substituteVariables(q.expr, values);
    try {
      const samples = await stack.query(expr);
      if (samples.length === 0) empty.push(`${q.source}: ${expr}`);
    } catch (err) {
      failed.push(`${q.source}: ${(err as Error).message}`);
    }
  }
  t.same(failed, [], 'every query runs');
  t.same(empty, [], 'every query returns data');
});
