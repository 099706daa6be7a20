/**
 * "jirasync / Sync drill-down": one JIRASync over time (phase timeline, progress, issues processed,
 * retries, last success and lag against its freshness bound, run durations, errors and condition
 * transitions). Opened from the Fleet overview's table with namespace and jirasync set.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as gauge from '@grafana/grafana-foundation-sdk/gauge';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import {
  annotation, datasourceVariable, jirasyncDashboard, DS, labelVariable, ONE_SYNC, phaseCode, phaseMappings, quantile, query, statPanel,
  syncVariables, tablePanel, tableQuery, thresholds, timeSeries, tracesVariable, UIDS,
  finish,
} from './common.ts';

function phasePanels(): { current: ReturnType<typeof statPanel>; timeline: statetimeline.PanelBuilder } {
  const current = statPanel('Phase', 'The current phase.', [query(phaseCode(ONE_SYNC), 'phase').instant()], { width: 4, noValue: 'unknown' })
    .mappings(phaseMappings())
    .colorMode(common.BigValueColorMode.Background);
  const timeline = new statetimeline.PanelBuilder()
    .title('Phase timeline')
    .description('The phase over time: Pending (yellow, waiting for a retry or the schedule), Running (blue), Completed (green), Failed (red), Suspended (purple).')
    .datasource(DS)
    .targets([query(phaseCode(ONE_SYNC), 'phase')])
    .unit('none')
    .mappings(phaseMappings())
    .thresholds(thresholds('text'))
    .showValue(common.VisibilityMode.Auto)
    .mergeValues(true)
    .rowHeight(0.8)
    .fillOpacity(80)
    .legend(new common.VizLegendOptionsBuilder().showLegend(false))
    .height(4)
    .span(24);
  return { current, timeline };
}

/** Builds the Sync drill-down dashboard. */
export function syncDrillDown(): dashboard.Dashboard {
  const { current, timeline } = phasePanels();
  const progress = new gauge.PanelBuilder()
    .title('Progress')
    .description('status.progress.percentage of the current or last run.')
    .datasource(DS)
    .targets([query(`max(jirasync_progress_percentage{${ONE_SYNC}})`, 'progress').instant()])
    .unit('percent')
    .min(0)
    .max(100)
    .thresholds(thresholds('blue', [[100, 'green']]))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .height(4)
    .span(4);

  return finish(jirasyncDashboard('jirasync / Sync drill-down', UIDS.sync, 'One JIRASync over time: phase, progress, retries, freshness, durations and errors.', 'now-24h')
    .variables([
      datasourceVariable(),
      ...syncVariables(false),
      // The run-duration histogram is labelled by syncType only; this hidden variable holds the
      // type of the selected sync so that its panel shows the right series.
      labelVariable('sync_type', 'syncType', 'label_values(jirasync_phase_info{namespace="$namespace", name="$jirasync"}, sync_type)', { multi: false, hide: true }),
      tracesVariable(),
    ])
    .annotation(annotation(
      'Failed runs',
      `sum(increase(jirasync_sync_runs_total{${ONE_SYNC}, result="failure"}[$__rate_interval])) > 0`,
      'Sync run failed',
      '$namespace/$jirasync',
      '',
      'red',
    ))
    .withRow(new dashboard.RowBuilder('Now'))
    .withPanel(current)
    .withPanel(progress)
    .withPanel(statPanel('Retries', 'status.retryCount: consecutive failed runs. JIRASyncHighRetryCount fires above 3 for 10 minutes.', [query(`max(jirasync_retry_count{${ONE_SYNC}})`, 'retries').instant()], { thresholds: thresholds('green', [[1, 'orange'], [4, 'red']]) }))
    .withPanel(statPanel('Last success', 'Time since the last successful run finished.', [query(`time() - max(jirasync_last_success_timestamp_seconds{${ONE_SYNC}} > 0)`, 'age').instant()], { unit: 's', noValue: 'never', thresholds: thresholds('green') }))
    .withPanel(statPanel('Lag', 'Age of the oldest Jira change the controller knows is not in git yet (0 = up to date).', [query(`max(jirasync_sync_lag_seconds{${ONE_SYNC}})`, 'lag').instant()], { unit: 's', thresholds: thresholds('green') }))
    .withPanel(statPanel('Schedule interval', 'Seconds between scheduled runs.', [query(`max(jirasync_schedule_interval_seconds{${ONE_SYNC}})`, 'interval').instant()], { unit: 's', noValue: 'unscheduled', thresholds: thresholds('text') }))
    .withPanel(timeline)
    .withRow(new dashboard.RowBuilder('Progress'))
    .withPanel(timeSeries('Progress %', 'status.progress.percentage over time.', [query(`max(jirasync_progress_percentage{${ONE_SYNC}})`, 'progress')], { unit: 'percent', min: 0, max: 100, width: 8 }))
    .withPanel(timeSeries(
      'Processed vs total',
      'status.syncState.processedIssues against totalIssues of the current or last run.',
      [
        query(`max(jirasync_issues_processed{${ONE_SYNC}})`, 'processed', 'A'),
        query(`max(jirasync_issues_total{${ONE_SYNC}})`, 'total', 'B'),
      ],
      { width: 8 },
    ))
    .withPanel(timeSeries(
      'Issues processed per second',
      'Issues this sync processed, by result.',
      [query(`sum by (result) (rate(jirasync_issues_synced_total{${ONE_SYNC}}[$__rate_interval]))`, '{{result}}')],
      { unit: 'ops', stack: true, width: 8 },
    ))
    .withPanel(timeSeries(
      'Time since progress',
      'Seconds since the processed-issue count last moved (or a run started or finished). While Running, above 300 s for 5 minutes fires JIRASyncStalled.',
      [query(`time() - max(jirasync_last_progress_timestamp_seconds{${ONE_SYNC}})`, 'since progress')],
      { unit: 's', threshold: 300, width: 8 },
    ))
    .withRow(new dashboard.RowBuilder('Freshness'))
    .withPanel(timeSeries(
      'Staleness vs allowed',
      'Staleness (the larger of lag and time since the last success) against the SLO bound (twice the schedule interval, at least 15 minutes).',
      [
        query(`max(jirasync:staleness_seconds{${ONE_SYNC}})`, 'staleness', 'A'),
        query(`max(jirasync:freshness_allowed_seconds{${ONE_SYNC}})`, 'allowed', 'B'),
        query(`max(jirasync_sync_lag_seconds{${ONE_SYNC}})`, 'lag', 'C'),
        query(`time() - max(jirasync_last_success_timestamp_seconds{${ONE_SYNC}} > 0)`, 'since last success', 'D'),
      ],
      { unit: 's' },
    ))
    .withPanel(timeSeries(
      'Freshness error budget burn rate',
      'Burn rate per window (1 = spending exactly the 30-day budget of 1%). Pages at 14.4 (1h and 5m) or 6 (6h and 30m); tickets at 3 (1d and 2h) or 1 (3d and 6h).',
      ['5m', '1h', '6h', '1d', '3d'].map((w, i) => query(`max(jirasync:freshness_error:ratio_avg${w}{${ONE_SYNC}}) / 0.01`, w, String.fromCharCode(65 + i))),
      { min: 0, threshold: 14.4 },
    ))
    .withRow(new dashboard.RowBuilder('Runs'))
    .withPanel(timeSeries(
      'Run duration p50 / p95 for syncType $sync_type',
      'Duration of whole runs of all syncs of this one\'s syncType (the controller exports run durations by syncType only, not per sync). The dots are exemplars: single runs with their trace id; click one to open its trace in the traces data source (variable Traces data source UID).',
      [
        query(quantile(0.5, 'jirasync_processing_duration_seconds', 'sync_type="$sync_type"', []), 'p50', 'A'),
        query(quantile(0.95, 'jirasync_processing_duration_seconds', 'sync_type="$sync_type"', []), 'p95', 'B'),
      ],
      { unit: 's', width: 8, exemplars: true },
    ))
    .withPanel(timeSeries('Runs by result', 'Finished runs per interval: success, failure or cancelled.', [query(`sum by (result) (increase(jirasync_sync_runs_total{${ONE_SYNC}}[$__rate_interval]))`, '{{result}}')], { bars: true, stack: true, width: 8 }))
    .withPanel(timeSeries('Retry count', 'status.retryCount over time.', [query(`max(jirasync_retry_count{${ONE_SYNC}})`, 'retries')], { threshold: 3, min: 0, width: 8 }))
    .withRow(new dashboard.RowBuilder('Errors'))
    .withPanel(timeSeries(
      'Status writes by result',
      'Writes of this sync\'s status to the API server; errors are conflicts or API server trouble (they are retried).',
      [query(`sum by (status) (rate(jirasync_status_updates_total{${ONE_SYNC}}[$__rate_interval]))`, '{{status}}')],
      { unit: 'ops', stack: true },
    ))
    .withPanel(timeSeries(
      'Condition transitions',
      'Changes of the Ready, Stalled, Processing and Progressing conditions, with their reason.',
      [query(`sum by (type, status, reason) (increase(jirasync_condition_transitions_total{${ONE_SYNC}}[$__rate_interval])) > 0`, '{{type}}={{status}} ({{reason}})')],
      { bars: true },
    ))
    .withPanel(tablePanel(
      'Condition transitions in the time range',
      'How often each condition changed to each status and reason in the selected time range.',
      [tableQuery(`sum by (type, status, reason) (increase(jirasync_condition_transitions_total{${ONE_SYNC}}[$__range])) > 0`, 'A')],
      { height: 7 },
    ).withTransformation({ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { Value: 'Transitions' } } }))
    .build());
}
