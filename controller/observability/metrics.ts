/**
 * Every metric the controller exports, declared in one place with its help text. Names and labels
 * are a public contract (test/fixtures/metric-names.txt); controller-health metrics reuse
 * controller-runtime's and client-go's names and buckets so existing dashboards work unchanged.
 * Labels stay low-cardinality: namespace/name/sync_type/phase-like values only.
 */
import client from 'prom-client';

const { Counter, Gauge, Histogram, Registry } = client;

/** controller-runtime's reconcile-time buckets. */
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60];
/** client-go workqueue buckets: 1 ns × 10^n. */
const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000];
const SYNC_BUCKETS = [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];
const HTTP_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const CONTROLLER_NAME = 'jirasync';
export const QUEUE_NAME = 'jirasync';

/** `shard` labels every series the instance exports, so one Prometheus tells shards apart. */
export function createMetrics(opts: { shard?: string } = {}) {
  // Exemplars need an OpenMetrics registry; renderMetrics switches to Prometheus text per scrape.
  const registry = new Registry<client.RegistryContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  if (opts.shard) registry.setDefaultLabels({ shard: opts.shard });
  const reg = [registry];
  const perSync = ['namespace', 'name'] as const;
  const m = {
    registry,
    /** The phase and failure-reason series each sync has now (key namespace/name). */
    current: { phase: new Map<string, { sync_type: string; phase: string }>(), reason: new Map<string, string>() },
    statusUpdates: new Counter({ name: 'jirasync_status_updates_total', help: 'Status writes to the API server; status=success|error.', labelNames: [...perSync, 'status'], registers: reg }),
    progress: new Gauge({ name: 'jirasync_progress_percentage', help: 'status.progress.percentage of the current or last run.', labelNames: perSync, registers: reg }),
    issuesProcessed: new Gauge({ name: 'jirasync_issues_processed', help: 'status.syncState.processedIssues of the current or last run.', labelNames: perSync, registers: reg }),
    issuesTotal: new Gauge({ name: 'jirasync_issues_total', help: 'status.syncState.totalIssues of the current or last run.', labelNames: perSync, registers: reg }),
    retryCount: new Gauge({ name: 'jirasync_retry_count', help: 'status.retryCount: consecutive failed runs.', labelNames: perSync, registers: reg }),
    processingDuration: new Histogram({ name: 'jirasync_processing_duration_seconds', help: 'Duration of whole sync runs.', labelNames: ['sync_type'], buckets: SYNC_BUCKETS, enableExemplars: true, registers: reg }),
    conditionTransitions: new Counter({ name: 'jirasync_condition_transitions_total', help: 'Condition status or reason changes.', labelNames: [...perSync, 'type', 'status', 'reason'], registers: reg }),
    phaseInfo: new Gauge({ name: 'jirasync_phase_info', help: '1 for the current phase of each JIRASync.', labelNames: [...perSync, 'sync_type', 'phase'], registers: reg }),
    lastStatusUpdate: new Gauge({ name: 'jirasync_last_status_update_timestamp_seconds', help: 'Unix time of the last status write (sync_name = name).', labelNames: [...perSync, 'sync_name'], registers: reg }),
    lastSuccess: new Gauge({ name: 'jirasync_last_success_timestamp_seconds', help: 'Unix time the last successful run finished.', labelNames: perSync, registers: reg }),
    lastProgress: new Gauge({ name: 'jirasync_last_progress_timestamp_seconds', help: 'Unix time processed issues last moved (or a run started or finished).', labelNames: perSync, registers: reg }),
    issuesSynced: new Counter({ name: 'jirasync_issues_synced_total', help: 'Issues processed; result=success|failed.', labelNames: [...perSync, 'result'], registers: reg }),
    failureInfo: new Gauge({ name: 'jirasync_failure_info', help: '1 with the failure reason of the last run while the sync has not succeeded since (docs/reasons.md).', labelNames: [...perSync, 'reason'], registers: reg }),
    syncFailures: new Counter({ name: 'jirasync_sync_failures_total', help: 'Failed runs by failure reason (docs/reasons.md).', labelNames: [...perSync, 'reason'], registers: reg }),
    syncRuns: new Counter({ name: 'jirasync_sync_runs_total', help: 'Finished runs; result=success|failure|cancelled.', labelNames: [...perSync, 'result'], registers: reg }),
    syncLag: new Gauge({ name: 'jirasync_sync_lag_seconds', help: 'Age of the newest Jira change not yet in git, as far as the controller knows.', labelNames: perSync, registers: reg }),
    scheduleInterval: new Gauge({ name: 'jirasync_schedule_interval_seconds', help: 'Seconds between scheduled runs (absent for unscheduled syncs).', labelNames: perSync, registers: reg }),
    jiraRequests: new Counter({ name: 'jirasync_jira_requests_total', help: 'Jira HTTP requests by endpoint and status code (0 = network error).', labelNames: ['endpoint', 'code'], registers: reg }),
    jiraDuration: new Histogram({ name: 'jirasync_jira_request_duration_seconds', help: 'Jira HTTP request latency.', labelNames: ['endpoint'], buckets: HTTP_BUCKETS, enableExemplars: true, registers: reg }),
    jiraRateLimited: new Counter({ name: 'jirasync_jira_rate_limited_total', help: 'Jira answers of 429.', labelNames: ['endpoint'], registers: reg }),
    gitPushDuration: new Histogram({ name: 'jirasync_git_push_duration_seconds', help: 'git push latency.', buckets: HTTP_BUCKETS, enableExemplars: true, registers: reg }),
    gitPushes: new Counter({ name: 'jirasync_git_push_total', help: 'git pushes; result=success|rejected|error.', labelNames: ['result'], registers: reg }),
    leader: new Gauge({ name: 'jirasync_leader', help: '1 on the active replica, 0 on standbys.', labelNames: ['identity'], registers: reg }),
    watchSilence: new Gauge({ name: 'jirasync_watch_seconds_since_last_event', help: 'Seconds since the JIRASync watch last saw an event or bookmark.', registers: reg }),
    watchRestarts: new Counter({ name: 'jirasync_watch_restarts_total', help: 'Watch restarts; reason=closed|error|silent|gone|relist.', labelNames: ['reason'], registers: reg }),
    reconcileTotal: new Counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller.', labelNames: ['controller', 'result'], registers: reg }),
    reconcileErrors: new Counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller.', labelNames: ['controller'], registers: reg }),
    reconcileTime: new Histogram({ name: 'controller_runtime_reconcile_time_seconds', help: 'Length of time per reconciliation per controller.', labelNames: ['controller'], buckets: RECONCILE_BUCKETS, registers: reg }),
    activeWorkers: new Gauge({ name: 'controller_runtime_active_workers', help: 'Number of currently used workers per controller.', labelNames: ['controller'], registers: reg }),
    maxConcurrent: new Gauge({ name: 'controller_runtime_max_concurrent_reconciles', help: 'Maximum number of concurrent reconciles per controller.', labelNames: ['controller'], registers: reg }),
    queueDepth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue.', labelNames: ['name'], registers: reg }),
    queueAdds: new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue.', labelNames: ['name'], registers: reg }),
    queueLatency: new Histogram({ name: 'workqueue_queue_duration_seconds', help: 'How long in seconds an item stays in workqueue before being requested.', labelNames: ['name'], buckets: QUEUE_BUCKETS, registers: reg }),
    workDuration: new Histogram({ name: 'workqueue_work_duration_seconds', help: 'How long in seconds processing an item from workqueue takes.', labelNames: ['name'], buckets: QUEUE_BUCKETS, registers: reg }),
    queueRetries: new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue.', labelNames: ['name'], registers: reg }),
    longestRunning: new Gauge({ name: 'workqueue_longest_running_processor_seconds', help: 'How many seconds has the longest running processor for workqueue been running.', labelNames: ['name'], registers: reg }),
    unfinishedWork: new Gauge({ name: 'workqueue_unfinished_work_seconds', help: 'How many seconds of work has been done that is in progress and hasn\'t been observed by work_duration.', labelNames: ['name'], registers: reg }),
    masterStatus: new Gauge({ name: 'leader_election_master_status', help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.', labelNames: ['name'], registers: reg }),
  };
  // As controller-runtime does at start: the reconcile counters exist at 0, so rate() and error
  // ratios read 0 rather than "no data" until the first error.
  for (const result of ['success', 'error', 'requeue', 'requeue_after']) m.reconcileTotal.inc({ controller: CONTROLLER_NAME, result }, 0);
  m.reconcileErrors.inc({ controller: CONTROLLER_NAME }, 0);
  client.collectDefaultMetrics({ register: registry });
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The per-JIRASync families: their series are deleted with the JIRASync. */
function perSyncFamilies(m: Metrics) {
  return [m.statusUpdates, m.progress, m.issuesProcessed, m.issuesTotal, m.retryCount, m.conditionTransitions, m.phaseInfo, m.lastStatusUpdate, m.lastSuccess,
    m.lastProgress, m.issuesSynced, m.syncRuns, m.syncFailures, m.failureInfo, m.syncLag, m.scheduleInterval];
}

const syncKey = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * Sets the phase series of one JIRASync to 1 and removes its previous phase's series. The series
 * each sync has are remembered, so a status write costs a lookup, not a scan of every sync's.
 */
export function setPhase(m: Metrics, namespace: string, name: string, syncType: string, phase: string): void {
  const key = syncKey(namespace, name);
  const prev = m.current.phase.get(key);
  if (prev && prev.phase === phase && prev.sync_type === syncType) return;
  if (prev) m.phaseInfo.remove({ namespace, name, ...prev });
  m.phaseInfo.set({ namespace, name, sync_type: syncType, phase }, 1);
  m.current.phase.set(key, { sync_type: syncType, phase });
}

/** Sets the failure-reason series of one JIRASync (undefined: none, it is healthy or running). */
export function setFailureReason(m: Metrics, namespace: string, name: string, reason: string | undefined): void {
  const key = syncKey(namespace, name);
  const prev = m.current.reason.get(key);
  if (prev === reason) return;
  if (prev !== undefined) m.failureInfo.remove({ namespace, name, reason: prev });
  if (reason === undefined) m.current.reason.delete(key);
  else {
    m.failureInfo.set({ namespace, name, reason }, 1);
    m.current.reason.set(key, reason);
  }
}

/** Removes every series of deleted (or no longer served) JIRASyncs: one pass over each family. */
export async function forgetSyncs(m: Metrics, syncs: readonly { namespace: string; name: string }[]): Promise<void> {
  if (syncs.length === 0) return;
  const keys = new Set(syncs.map((s) => syncKey(s.namespace, s.name)));
  for (const key of keys) {
    m.current.phase.delete(key);
    m.current.reason.delete(key);
  }
  for (const family of perSyncFamilies(m)) {
    await removeWhere(family, (l) => keys.has(syncKey(String(l.namespace), String(l.name))));
  }
}

/** Removes every series of a deleted JIRASync. */
export function forgetSync(m: Metrics, namespace: string, name: string): Promise<void> {
  return forgetSyncs(m, [{ namespace, name }]);
}

type Labelled = { get(): Promise<{ values: { labels: Record<string, string | number | undefined> }[] }>; remove(labels: Record<string, string | number>): void };

async function removeWhere(metric: Labelled, match: (labels: Record<string, string | number | undefined>) => boolean): Promise<void> {
  const { values } = await metric.get();
  const seen = new Set<string>();
  for (const v of values) {
    if (!match(v.labels)) continue;
    // Histograms list one value per bucket; drop le/quantile to get the series' own labels.
    const { le: _le, quantile: _q, ...own } = v.labels;
    const key = JSON.stringify(own);
    if (seen.has(key)) continue;
    seen.add(key);
    metric.remove(own as Record<string, string | number>);
  }
}

let renderChain: Promise<unknown> = Promise.resolve();

/**
 * The exposition text for a scrape. OpenMetrics (with exemplars) when the scraper asks for it,
 * Prometheus text otherwise. Renders are serialised because the format is a registry setting.
 * prom-client's OpenMetrics render renames every counter in place (drops `_total`, for its TYPE
 * line) and never renames it back, so a later Prometheus-text scrape would export `foo` instead
 * of `foo_total`: the names are restored after each render.
 */
export function renderMetrics(m: Metrics, accept: string | undefined): Promise<{ contentType: string; body: string }> {
  const openMetrics = /application\/openmetrics-text/.test(accept ?? '');
  const job = renderChain.then(async () => {
    const type = openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE;
    const counterNames = m.registry.getMetricsAsArray().filter((x) => String(x.type) === 'counter').map((x) => [x, x.name] as const);
    m.registry.setContentType(type);
    try {
      return { contentType: type, body: await m.registry.metrics() };
    } finally {
      for (const [counter, name] of counterNames) counter.name = name;
      m.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    }
  });
  renderChain = job.catch(() => undefined);
  return job;
}
