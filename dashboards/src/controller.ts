/**
 * "jirasync / Controller internals": the controller process itself (replicas and leadership,
 * reconcile loop, work queue, JIRASync watch, status writes, CPU, memory, event-loop lag).
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  annotation, datasourceVariable, jirasyncDashboard, JOB, labelVariable, quantile, query, statPanel, SYNCS, syncVariables,
  thresholds, timeSeries, UIDS,
  finish,
} from './common.ts';

/** Controller-wide series of the selected replicas. */
const INST = 'shard=~"$shard", instance=~"$instance"';
/** process_* and nodejs_* are exported by many jobs: pin them to the controller's. */
const PROC = `${JOB}, ${INST}`;

/** Builds the Controller internals dashboard. */
export function controllerInternals(): dashboard.Dashboard {
  return finish(jirasyncDashboard('jirasync / Controller internals', UIDS.controller, 'The jirasync controller process: leadership, reconcile loop, work queue, watch, status writes, CPU, memory and event loop.')
    .variables([
      datasourceVariable(),
      ...syncVariables(true),
      labelVariable('instance', 'Replica', `label_values(jirasync_leader{shard=~"$shard"}, instance)`, { multi: true }),
    ])
    .annotation(annotation(
      'Leader changes',
      `sum by (identity) (changes(jirasync_leader{${INST}}[$__rate_interval])) > 0`,
      'Leadership changed',
      '{{identity}}',
      'identity',
      'orange',
    ))
    .withRow(new dashboard.RowBuilder('Replicas'))
    .withPanel(statPanel('Replicas up', 'Replicas Prometheus scrapes successfully.', [query(`sum(up{${JOB}, instance=~"$instance"})`, 'up').instant()], { width: 4, thresholds: thresholds('red', [[1, 'green']]), noValue: '0' }))
    .withPanel(statPanel('Shards without one leader', 'Shards whose replicas hold their Lease zero or several times; each shard has exactly one leader when healthy (0 here).', [query(`count(sum by (shard) (jirasync_leader{${INST}}) != 1) or vector(0)`, 'shards').instant()], { width: 4, thresholds: thresholds('green', [[1, 'red']]), noValue: '0' }))
    .withPanel(timeSeries(
      'Leader by replica',
      'jirasync_leader (1 = active) and leader_election_master_status (client-go\'s name for the same) per replica.',
      [
        query(`max by (shard, identity) (jirasync_leader{${INST}})`, '{{shard}} {{identity}}', 'A'),
        query(`max by (instance, name) (leader_election_master_status{${INST}})`, '{{instance}} lease {{name}}', 'B'),
      ],
      { width: 8, height: 4, min: 0, max: 1 },
    ))
    .withPanel(timeSeries('Uptime', 'Time since each replica\'s process started; a drop is a restart.', [query(`time() - process_start_time_seconds{${PROC}}`, '{{instance}}')], { unit: 's', width: 8, height: 4 }))
    .withRow(new dashboard.RowBuilder('Reconcile'))
    .withPanel(timeSeries('Reconciles per second by result', 'Reconciles: success, error, requeue, requeue_after.', [query(`sum by (result) (rate(controller_runtime_reconcile_total{${INST}}[$__rate_interval]))`, '{{result}}')], { unit: 'ops', stack: true, width: 8 }))
    .withPanel(timeSeries('Reconcile errors per second', 'Reconciles that returned an error (retried with backoff).', [query(`sum by (controller) (rate(controller_runtime_reconcile_errors_total{${INST}}[$__rate_interval]))`, '{{controller}}')], { unit: 'ops', width: 8 }))
    .withPanel(timeSeries(
      'Reconcile duration p50 / p95 / p99',
      'Time per reconcile (a reconcile may run a whole sync).',
      [0.5, 0.95, 0.99].map((q, i) => query(quantile(q, 'controller_runtime_reconcile_time_seconds', INST, ['controller']), `p${Math.round(q * 100)} {{controller}}`, String.fromCharCode(65 + i))),
      { unit: 's', width: 8 },
    ))
    .withPanel(timeSeries(
      'Active workers vs limit',
      'Reconciles running now against CONCURRENCY. At the limit for long, queued syncs wait (see queue latency).',
      [
        query(`sum by (controller) (controller_runtime_active_workers{${INST}})`, 'active {{controller}}', 'A'),
        query(`max by (controller) (controller_runtime_max_concurrent_reconciles{${INST}})`, 'limit {{controller}}', 'B'),
      ],
      { min: 0, width: 24, height: 6 },
    ))
    .withRow(new dashboard.RowBuilder('Work queue'))
    .withPanel(timeSeries('Queue depth', 'Items waiting for a worker.', [query(`sum by (name) (workqueue_depth{${INST}})`, '{{name}}')], { min: 0, width: 8 }))
    .withPanel(timeSeries(
      'Adds and retries per second',
      'Items added to the queue, and re-queues with backoff.',
      [
        query(`sum by (name) (rate(workqueue_adds_total{${INST}}[$__rate_interval]))`, 'adds {{name}}', 'A'),
        query(`sum by (name) (rate(workqueue_retries_total{${INST}}[$__rate_interval]))`, 'retries {{name}}', 'B'),
      ],
      { unit: 'ops', width: 8 },
    ))
    .withPanel(timeSeries(
      'Longest running and unfinished work',
      'Age of the longest-running item, and the total age of all items being worked on. A steady climb is a stuck worker.',
      [
        query(`max by (name) (workqueue_longest_running_processor_seconds{${INST}})`, 'longest {{name}}', 'A'),
        query(`sum by (name) (workqueue_unfinished_work_seconds{${INST}})`, 'unfinished {{name}}', 'B'),
      ],
      { unit: 's', width: 8 },
    ))
    .withPanel(timeSeries(
      'Queue latency p50 / p95',
      'Time an item waits in the queue before a worker picks it up.',
      [0.5, 0.95].map((q, i) => query(quantile(q, 'workqueue_queue_duration_seconds', INST, ['name']), `p${Math.round(q * 100)} {{name}}`, String.fromCharCode(65 + i))),
      { unit: 's' },
    ))
    .withPanel(timeSeries(
      'Work duration p50 / p95',
      'Time a worker spends on an item.',
      [0.5, 0.95].map((q, i) => query(quantile(q, 'workqueue_work_duration_seconds', INST, ['name']), `p${Math.round(q * 100)} {{name}}`, String.fromCharCode(65 + i))),
      { unit: 's' },
    ))
    .withRow(new dashboard.RowBuilder('JIRASync watch'))
    .withPanel(timeSeries('Watch restarts by reason', 'Restarts of the JIRASync watch: closed, error, silent (no event for WATCH_SILENCE_SECONDS), gone (410), relist.', [query(`sum by (reason) (increase(jirasync_watch_restarts_total{${INST}}[$__rate_interval]))`, '{{reason}}')], { bars: true, stack: true }))
    .withPanel(timeSeries('Seconds since the last watch event', 'Silence of the JIRASync watch per replica; at WATCH_SILENCE_SECONDS (300 by default) the controller re-lists.', [query(`max by (instance) (jirasync_watch_seconds_since_last_event{${INST}})`, '{{instance}}')], { unit: 's', threshold: 300 }))
    .withRow(new dashboard.RowBuilder('Status writes (selected JIRASyncs)'))
    .withPanel(timeSeries('Status writes per second by result', 'Writes of JIRASync status to the API server.', [query(`sum by (status) (rate(jirasync_status_updates_total{${SYNCS}}[$__rate_interval]))`, '{{status}}')], { unit: 'ops', stack: true }))
    .withPanel(timeSeries('Status write errors by sync', 'Failed status writes (conflicts are retried).', [query(`sum by (namespace, name) (rate(jirasync_status_updates_total{${SYNCS}, status="error"}[$__rate_interval])) > 0`, '{{namespace}}/{{name}}')], { unit: 'ops' }))
    .withRow(new dashboard.RowBuilder('Process'))
    .withPanel(timeSeries('CPU', 'CPU used per replica, in cores.', [query(`rate(process_cpu_seconds_total{${PROC}}[$__rate_interval])`, '{{instance}}')], { width: 8 }))
    .withPanel(timeSeries(
      'Memory',
      'Resident memory and V8 heap per replica.',
      [
        query(`process_resident_memory_bytes{${PROC}}`, 'rss {{instance}}', 'A'),
        query(`nodejs_heap_size_used_bytes{${PROC}}`, 'heap used {{instance}}', 'B'),
        query(`nodejs_heap_size_total_bytes{${PROC}}`, 'heap total {{instance}}', 'C'),
        query(`nodejs_external_memory_bytes{${PROC}}`, 'external {{instance}}', 'D'),
      ],
      { unit: 'bytes', width: 8 },
    ))
    .withPanel(timeSeries(
      'Event-loop lag',
      'How late the event loop runs timers: the last sample and the p99 since the previous scrape. Long lags delay Lease renewals and probes.',
      [
        query(`nodejs_eventloop_lag_seconds{${PROC}}`, 'lag {{instance}}', 'A'),
        query(`nodejs_eventloop_lag_p99_seconds{${PROC}}`, 'p99 {{instance}}', 'B'),
      ],
      { unit: 's', width: 8 },
    ))
    .withPanel(timeSeries('Garbage collection', 'Time spent in GC per second, by kind.', [query(`sum by (instance, kind) (rate(nodejs_gc_duration_seconds_sum{${PROC}}[$__rate_interval]))`, '{{kind}} {{instance}}')], { unit: 'percentunit' }))
    .withPanel(timeSeries(
      'Open file descriptors and handles',
      'Open file descriptors and active libuv handles (sockets, timers); a steady climb is a leak.',
      [
        query(`process_open_fds{${PROC}}`, 'fds {{instance}}', 'A'),
        query(`nodejs_active_handles_total{${PROC}}`, 'handles {{instance}}', 'B'),
      ],
      {},
    ))
    .build());
}
