/**
 * "jirasync / Fleet overview": every JIRASync at a glance (phases, the ones in trouble with links to
 * their drill-down, retries, throughput, durations, freshness) and the shared dependencies (Jira,
 * git, leader election).
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  annotation, datasourceVariable, jirasyncDashboard, JOB, PHASE_COLORS, PHASES, quantile, query, RECORDED_SYNCS, statPanel, SYNCS, syncVariables,
  tablePanel, tableQuery, thresholds, timeSeries, tracesVariable, UIDS,
  finish,
} from './common.ts';

/**
 * The syncs that need a look: Failed, retrying, or Running without progress for 5 minutes (the
 * JIRASyncStalled condition before its `for:`). Series labelled (namespace, name).
 */
const IN_TROUBLE = `(
    max by (namespace, name) (jirasync_phase_info{${SYNCS}, phase="Failed"})
  or
    (max by (namespace, name) (jirasync_retry_count{${SYNCS}}) > 0)
  or
    (
      (time() - max by (namespace, name) (jirasync_last_progress_timestamp_seconds{${SYNCS}}) > 300)
      and on(namespace, name)
      max by (namespace, name) (jirasync_phase_info{${SYNCS}, phase="Running"})
    )
)`;

/** Drill-down URL for a table row: Grafana fills the row's namespace and name. */
const DRILL_DOWN_URL = `/d/${UIDS.sync}/jirasync-sync-drill-down?\${datasource:queryparam}&var-namespace=\${__data.fields.namespace}&var-jirasync=\${__data.fields.name}&\${__url_time_range}`;

function troubleTable() {
  const p = tablePanel(
    'Failing and stalled syncs',
    'JIRASyncs that are Failed, retrying, or Running without progress for 5 minutes. Click a name for its drill-down.',
    [
      tableQuery(`max by (namespace, name, phase) (jirasync_phase_info{${SYNCS}}) and on(namespace, name) ${IN_TROUBLE}`, 'A'),
      tableQuery(`max by (namespace, name) (jirasync_retry_count{${SYNCS}}) and on(namespace, name) ${IN_TROUBLE}`, 'B'),
      tableQuery(`time() - max by (namespace, name) (jirasync_last_progress_timestamp_seconds{${SYNCS}}) and on(namespace, name) ${IN_TROUBLE}`, 'C'),
      tableQuery(`time() - max by (namespace, name) (jirasync_last_success_timestamp_seconds{${SYNCS}} > 0) and on(namespace, name) ${IN_TROUBLE}`, 'D'),
    ],
    { height: 8, width: 24 },
  );
  // One row per sync: merge the four queries on their shared label columns, then name the values.
  p.withTransformation({ id: 'merge', options: {} });
  p.withTransformation({
    id: 'organize',
    options: {
      excludeByName: { Time: true, 'Value #A': true },
      indexByName: { namespace: 0, name: 1, phase: 2, 'Value #B': 3, 'Value #C': 4, 'Value #D': 5 },
      renameByName: { 'Value #B': 'Retries', 'Value #C': 'No progress for', 'Value #D': 'Last success' },
    },
  });
  p.overrideByName('name', [{ id: 'links', value: [{ title: 'Open the drill-down for ${__data.fields.namespace}/${__data.fields.name}', url: DRILL_DOWN_URL }] }]);
  p.overrideByName('No progress for', [{ id: 'unit', value: 's' }]);
  p.overrideByName('Last success', [{ id: 'unit', value: 's' }, { id: 'noValue', value: 'never' }]);
  p.overrideByName('Retries', [{ id: 'custom.cellOptions', value: { type: 'color-background' } }, { id: 'thresholds', value: thresholds('green', [[1, 'orange'], [4, 'red']]).build() }]);
  p.overrideByName('phase', [{ id: 'mappings', value: [{ type: 'value', options: Object.fromEntries(PHASES.map((ph) => [ph, { color: PHASE_COLORS[ph] }])) }] }, { id: 'custom.cellOptions', value: { type: 'color-text' } }]);
  return p;
}

/** Builds the Fleet overview dashboard. */
export function fleetOverview(): dashboard.Dashboard {
  const phases = statPanel(
    'Syncs by phase',
    'How many JIRASyncs are in each phase now.',
    [query(`count by (phase) (max by (namespace, name, phase) (jirasync_phase_info{${SYNCS}}))`, '{{phase}}').instant()],
    { width: 12, height: 5, textMode: common.BigValueTextMode.ValueAndName },
  );
  for (const ph of PHASES) phases.overrideByName(ph, [{ id: 'color', value: { mode: 'fixed', fixedColor: PHASE_COLORS[ph] } }]);

  const phasesOverTime = timeSeries(
    'Syncs by phase over time',
    'How many JIRASyncs were in each phase.',
    [query(`count by (phase) (max by (namespace, name, phase) (jirasync_phase_info{${SYNCS}}))`, '{{phase}}')],
    { stack: true, width: 12, height: 5 },
  );
  for (const ph of PHASES) phasesOverTime.overrideByName(ph, [{ id: 'color', value: { mode: 'fixed', fixedColor: PHASE_COLORS[ph] } }]);

  return finish(jirasyncDashboard('jirasync / Fleet overview', UIDS.fleet, 'Every JIRASync at a glance, and the Jira, git and leader-election health they depend on.')
    .variables([datasourceVariable(), ...syncVariables(true), tracesVariable()])
    .annotation(annotation(
      'Sync failures',
      `sum by (namespace, name) (increase(jirasync_sync_runs_total{${SYNCS}, result="failure"}[$__rate_interval])) > 0`,
      'Sync run failed',
      '{{namespace}}/{{name}}',
      'namespace,name',
      'red',
    ))
    .withRow(new dashboard.RowBuilder('Syncs'))
    .withPanel(phases)
    .withPanel(phasesOverTime)
    .withPanel(troubleTable())
    .withPanel(timeSeries(
      'Retry count',
      'status.retryCount of the syncs that are retrying (consecutive failed runs). JIRASyncHighRetryCount fires above 3 for 10 minutes.',
      [query(`max by (namespace, name) (jirasync_retry_count{${SYNCS}}) > 0`, '{{namespace}}/{{name}}')],
      { threshold: 3, min: 0 },
    ))
    .withPanel(timeSeries(
      'Issues synced per second',
      'Issues processed by all selected syncs, by result.',
      [query(`sum by (result) (rate(jirasync_issues_synced_total{${SYNCS}}[$__rate_interval]))`, '{{result}}')],
      { unit: 'ops', stack: true },
    ))
    .withPanel(timeSeries(
      'Sync runs by result',
      'Finished runs of the selected syncs per interval, by result.',
      [query(`sum by (result) (increase(jirasync_sync_runs_total{${SYNCS}}[$__rate_interval]))`, '{{result}}')],
      { bars: true, stack: true },
    ))
    .withPanel(timeSeries(
      'Sync duration p50 / p95 by type',
      'Duration of whole runs by syncType, over all syncs (the histogram has no per-sync labels, so the namespace and JIRASync selections do not apply).',
      [
        query(quantile(0.5, 'jirasync_processing_duration_seconds', '', ['sync_type']), 'p50 {{sync_type}}', 'A'),
        query(quantile(0.95, 'jirasync_processing_duration_seconds', '', ['sync_type']), 'p95 {{sync_type}}', 'B'),
      ],
      { unit: 's' },
    ))
    .withRow(new dashboard.RowBuilder('Freshness SLO (99% of the time within twice the schedule)'))
    .withPanel(statPanel(
      'Stale syncs now',
      'Scheduled syncs whose staleness (lag, or time since the last success) exceeds twice their schedule interval (at least 15 minutes).',
      [query(`sum(jirasync:freshness_error{${RECORDED_SYNCS}})`, 'stale').instant()],
      { width: 6, height: 8, thresholds: thresholds('green', [[1, 'red']]), noValue: '0' },
    ))
    .withPanel(timeSeries(
      'Freshness budget burn rate (1h window)',
      'How fast each sync spends its 30-day error budget: 1 = exactly on budget. A page fires at 14.4 over 1h and 5m.',
      [query(`jirasync:freshness_error:ratio_avg1h{${RECORDED_SYNCS}} / 0.01 > 0`, '{{namespace}}/{{name}}')],
      { width: 9, threshold: 14.4, min: 0 },
    ))
    .withPanel(timeSeries(
      'Staleness vs allowed',
      'Staleness of each sync against its allowed bound (twice the schedule interval, at least 15 minutes).',
      [query(`jirasync:staleness_seconds{${RECORDED_SYNCS}} / on(namespace, name) jirasync:freshness_allowed_seconds{${RECORDED_SYNCS}}`, '{{namespace}}/{{name}}')],
      { width: 9, unit: 'percentunit', threshold: 1, min: 0 },
    ))
    .withRow(new dashboard.RowBuilder('Jira (all syncs)'))
    .withPanel(timeSeries(
      'Jira requests per second by code',
      'Every Jira HTTP request the controller made, by status code (0 = no answer: network error or timeout).',
      [query('sum by (code) (rate(jirasync_jira_requests_total[$__rate_interval]))', '{{code}}')],
      { unit: 'reqps', stack: true, width: 8 },
    ))
    .withPanel(timeSeries(
      'Jira request latency p50 / p95 by endpoint',
      'Jira HTTP request latency. The dots are exemplars: single requests with the trace id of their run; click one to open the trace.',
      [
        query(quantile(0.5, 'jirasync_jira_request_duration_seconds', '', ['endpoint']), 'p50 {{endpoint}}', 'A'),
        query(quantile(0.95, 'jirasync_jira_request_duration_seconds', '', ['endpoint']), 'p95 {{endpoint}}', 'B'),
      ],
      { unit: 's', width: 8, exemplars: true },
    ))
    .withPanel(timeSeries(
      'Jira 429s per second by endpoint',
      'Rate-limited answers (429). JiraRateLimited fires when more than 10% of an endpoint\'s requests get one for 15 minutes.',
      [query('sum by (endpoint) (rate(jirasync_jira_rate_limited_total[$__rate_interval]))', '{{endpoint}}')],
      { unit: 'reqps', width: 8 },
    ))
    .withRow(new dashboard.RowBuilder('git (all syncs)'))
    .withPanel(timeSeries(
      'git push latency p50 / p95',
      'Time of a git push to the destination repository. The dots are exemplars: single pushes with the trace id of their run; click one to open the trace.',
      [
        query(quantile(0.5, 'jirasync_git_push_duration_seconds', '', []), 'p50', 'A'),
        query(quantile(0.95, 'jirasync_git_push_duration_seconds', '', []), 'p95', 'B'),
      ],
      { unit: 's', exemplars: true },
    ))
    .withPanel(timeSeries(
      'git pushes by result',
      'Pushes per interval: success, rejected (the branch moved; replayed after a fetch) or error.',
      [query('sum by (result) (increase(jirasync_git_push_total[$__rate_interval]))', '{{result}}')],
      { bars: true, stack: true },
    ))
    .withRow(new dashboard.RowBuilder('Controller'))
    .withPanel(statPanel(
      'Shards without one leader',
      'Controller shards (docs/sharding.md; one without sharding) whose replicas hold their Lease zero or several times: 0 is healthy. JIRASyncNoLeader, JIRASyncShardNoLeader and JIRASyncMultipleLeaders fire after 5 minutes.',
      [query('count(sum by (shard) (jirasync_leader) != 1) or vector(0)', 'shards').instant()],
      { width: 6, thresholds: thresholds('green', [[1, 'red']]), noValue: '0' },
    ))
    .withPanel(statPanel(
      'Replicas up',
      'Controller replicas Prometheus scrapes successfully.',
      [query(`sum(up{${JOB}})`, 'up').instant()],
      { width: 6, thresholds: thresholds('red', [[1, 'green']]), noValue: '0' },
    ))
    .withPanel(timeSeries(
      'Leader by replica',
      '1 on the replica that leads, 0 on standbys.',
      [query('max by (identity) (jirasync_leader)', '{{identity}}')],
      { width: 12, height: 4, min: 0, max: 1 },
    ))
    .build());
}
