/**
 * Reconciles one JIRASync end to end, as a short script: read it → suspended? → invalid? → due?
 * → run the steps in ./steps/ (credentials → open the git checkout → run the engine → record the
 * success → schedule the next run), or on a failure write status, retry or stall, report to Jira.
 * This is the only place that joins Kubernetes to the engine; status/ decides phases and
 * conditions, this file only says what happened.
 */
import * as k8s from '@kubernetes/client-node';
import { configHash } from '../api/fingerprint.ts';
import { REQUESTED_AT_ANNOTATION, type JIRASync, type JIRASyncStatus } from '../api/jirasync.ts';
import type { GitDestination } from '../git/destination.ts';
import type { JiraClientOptions } from '../jira/jira.ts';
import type { JiraConnection } from '../jira/source.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { WorkQueue } from '../kube/queue.ts';
import type { StatusWriter } from '../kube/status-writer.ts';
import { withLogFields, type Logger } from '../observability/log.ts';
import { forgetSync, type Metrics } from '../observability/metrics.ts';
import { errorMessage } from '../observability/redact.ts';
import { markFailed, OperationSpans, traceExemplar, withSpan } from '../observability/tracing.ts';
import { conditionTransitions } from '../status/conditions.ts';
import { nextStatus, type Outcome } from '../status/status.ts';
import { percentage } from '../status/progress.ts';
import { classifyError, isAbortError, SyncError } from '../sync/errors.ts';
import { parseDuration } from '../sync/scope.ts';
import type { SyncProgress } from '../sync/engine.ts';
import { CredentialsError, jiraConnection, type Defaults } from './credentials.ts';
import { decide } from './decide.ts';
import { reportFailureEpisode } from './jira-report.ts';
import { resolvedRetryPolicy, retryDelaySeconds } from './retry.ts';
import { exportSyncGauges } from './sync-metrics.ts';
import { ProgressWriter } from './progress-writer.ts';
import { resolveCredentials } from './steps/credentials.ts';
import { runEngine } from './steps/engine.ts';
import { openCheckout } from './steps/open.ts';
import { recordSuccess } from './steps/record.ts';
import type { Run } from './steps/run.ts';
import { nextRun, scheduleNext } from './steps/schedule.ts';

/** How long to wait before retrying a Jira failure report that could not be sent. */
const REPORT_RETRY_MS = 60_000;

export interface ReconcilerDeps {
  kc: k8s.KubeConfig;
  /** The object as it is now (not a cache that may lag our own status writes); undefined when gone. */
  get(namespace: string, name: string): Promise<JIRASync | undefined>;
  queue: WorkQueue;
  status: StatusWriter;
  events: EventRecorder;
  metrics: Metrics;
  log: Logger;
  git: GitDestination;
  /** Root of the per-JIRASync clone caches. */
  cacheRoot: string;
  gitCaCertificates?: string;
  author: { name: string; email: string };
  defaults: Defaults;
  jiraOptions?: JiraClientOptions;
  /** Deadline of a run without spec.timeout (default 1 h). */
  runTimeoutSeconds?: number;
  now?: () => Date;
}

export class Reconciler {
  readonly #d: ReconcilerDeps;
  readonly #core: k8s.CoreV1Api;

  constructor(deps: ReconcilerDeps) {
    this.#d = deps;
    this.#core = deps.kc.makeApiClient(k8s.CoreV1Api);
  }

  #now(): Date {
    return this.#d.now?.() ?? new Date();
  }

  /** The work-queue handler for one namespace/name key; every log line it causes names the JIRASync. */
  reconcile(key: string, signal: AbortSignal): Promise<void> {
    const [namespace, name] = key.split('/');
    return withLogFields({ namespace, name }, () => this.#reconcileKey(namespace, name, key, signal));
  }

  async #reconcileKey(namespace: string, name: string, key: string, signal: AbortSignal): Promise<void> {
    const m = this.#d.metrics;
    const started = performance.now();
    let result: 'success' | 'error' | 'requeue_after' = 'success';
    try {
      const obj = await this.#d.get(namespace, name);
      if (!obj || obj.metadata.deletionTimestamp) {
        await forgetSync(m, namespace, name);
        return;
      }
      result = await this.#reconcileObject(obj, signal);
    } catch (err) {
      result = 'error';
      m.reconcileErrors.inc({ controller: 'jirasync' });
      this.#d.log.error({ namespace, name, err: errorMessage(err) }, 'reconcile failed');
      // An error writing status or reading the API: retry soon with the queue's backoff.
      if (!signal.aborted) this.#d.queue.retryAfter(key, 5_000);
    } finally {
      m.reconcileTotal.inc({ controller: 'jirasync', result });
      m.reconcileTime.observe({ controller: 'jirasync' }, (performance.now() - started) / 1000);
    }
  }

  async #reconcileObject(obj: JIRASync, signal: AbortSignal): Promise<'success' | 'requeue_after'> {
    const now = this.#now();
    const d = decide(obj, now);
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    await exportSyncGauges(this.#d.metrics, obj, obj.status, now);
    switch (d.action) {
      case 'suspend':
        if (obj.status?.phase !== 'Suspended') {
          await this.#write(obj, { kind: 'suspended' });
          await this.#d.events.record(obj, 'Normal', 'Suspended', 'Sync suspended; no new runs start until spec.suspend is false');
        }
        return 'success';
      case 'invalid':
        if (obj.status?.lastError !== d.message || obj.status?.phase !== 'Failed') {
          await this.#write(obj, { kind: 'failed', reason: 'InvalidSpec', error: d.message, retryCount: obj.status?.retryCount ?? 0 });
          await this.#d.events.record(obj, 'Warning', 'InvalidSpec', d.message);
        }
        return 'success';
      case 'report':
        await this.#report(obj, obj.status?.lastError ?? 'sync failed', obj.status?.retryCount ?? 0);
        return 'success';
      case 'wait':
        if (d.observe) await this.#d.status.write(obj, { ...obj.status, observedGeneration: obj.metadata.generation });
        if (d.until) {
          this.#d.queue.addAfter(key, d.until.getTime() - now.getTime());
          return 'requeue_after';
        }
        return 'success';
      case 'run':
        return this.#run(obj, d.fresh, signal);
    }
  }

  /** Writes the status for an outcome, and keeps the per-sync metrics in step with it. */
  async #write(obj: JIRASync, outcome: Outcome, extra?: (s: JIRASyncStatus) => void): Promise<JIRASync | undefined> {
    const status = nextStatus(obj.status, outcome, { generation: obj.metadata.generation, now: this.#now() });
    extra?.(status);
    const stored = await this.#d.status.write(obj, status);
    const labels = { namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name };
    const m = this.#d.metrics;
    for (const c of conditionTransitions(obj.status?.conditions, status.conditions)) {
      m.conditionTransitions.inc({ ...labels, type: c.type, status: c.status, reason: c.reason });
    }
    await exportSyncGauges(m, obj, status);
    return stored ?? undefined;
  }

  /**
   * One run, as a script over the steps in ./steps/: credentials → open → engine → record →
   * schedule. A failure at any step goes to #failed with what the run knew by then.
   */
  async #run(initial: JIRASync, fresh: boolean, signal: AbortSignal): Promise<'success' | 'requeue_after'> {
    const labels = { namespace: initial.metadata.namespace ?? 'default', name: initial.metadata.name };
    const m = this.#d.metrics;
    // A new config or an explicit request starts a new attempt; a retry keeps counting.
    const prevStatus: JIRASyncStatus = fresh ? { ...initial.status, retryCount: 0 } : { ...initial.status };
    const run: Run = {
      deps: this.#d, core: this.#core, initial, prevStatus, labels,
      key: `${labels.namespace}/${labels.name}`,
      startTime: this.#now(),
      hash: configHash(initial.spec),
      requestedAt: initial.metadata.annotations?.[REQUESTED_AT_ANNOTATION],
      obj: { ...initial, status: prevStatus },
      now: () => this.#now(),
      write: (obj, outcome, extra) => this.#write(obj, outcome, extra),
    };
    const { startTime, hash, requestedAt } = run;

    return withSpan('jirasync.reconcile', {
      'jirasync.namespace': labels.namespace, 'jirasync.name': labels.name, 'jirasync.sync_type': initial.spec.syncType,
      'jirasync.generation': initial.metadata.generation ?? 0,
    }, async (span) => {
      const firstProgress: SyncProgress = { operation: 'resolve-target', completedOperations: 0, totalOperations: 5, processedIssues: 0, successfulIssues: 0, failedIssues: 0 };
      run.obj = (await this.#write(run.obj, { kind: 'running', progress: firstProgress, startTime, configHash: hash, requestedAt })) ?? run.obj;
      m.lastProgress.set(labels, Date.now() / 1000);
      await this.#d.events.record(run.obj, 'Normal', 'SyncStarted', `Sync started (${initial.spec.syncType})`);
      this.#d.log.info({ ...labels, syncType: initial.spec.syncType, generation: initial.metadata.generation, retryCount: prevStatus.retryCount ?? 0 }, 'sync started');

      const ops = new OperationSpans(span);
      const progress = new ProgressWriter(async (p) => {
        run.obj = (await this.#write(run.obj, { kind: 'running', progress: p, startTime, configHash: hash, requestedAt })) ?? run.obj;
      }, (p, prev) => {
        ops.enter(p.operation);
        if (!prev || p.processedIssues > prev.processedIssues) m.lastProgress.set(labels, Date.now() / 1000);
        m.progress.set(labels, percentage(p));
      });

      // The run's deadline: a slow or endless server cannot hold a worker longer than this.
      const timeoutMs = parseDuration(initial.spec.timeout) ?? (this.#d.runTimeoutSeconds ?? 3600) * 1000;
      // Not AbortSignal.timeout: its timer cannot be cleared, and kept each finished run's async
      // context (span, log fields) alive for the whole timeout, an hour by default.
      const deadlineCtl = new AbortController();
      const deadline = deadlineCtl.signal;
      const deadlineTimer = setTimeout(() => deadlineCtl.abort(new DOMException('The run exceeded its deadline', 'TimeoutError')), timeoutMs);
      deadlineTimer.unref();
      const runSignal = AbortSignal.any([signal, deadline]);
      try {
        await resolveCredentials(run);
        await openCheckout(run, runSignal);
        try {
          await runEngine(run, progress, runSignal);
        } finally {
          // Gives the git cache back to the next run of the repository at once, whatever happened.
          await run.checkout?.close();
        }
        ops.end();
      } catch (err) {
        // A progress write still in flight would land after the failure status and put Running back.
        await progress.flushed();
        if (deadline.aborted && !signal.aborted) {
          err = new SyncError(`the run exceeded its deadline of ${Math.round(timeoutMs / 1000)}s (spec.timeout) and stopped; nothing was pushed`, { reason: 'DeadlineExceeded', cause: err });
        }
        ops.end(err);
        if (signal.aborted || (!deadline.aborted && isAbortError(err, signal))) {
          m.syncRuns.inc({ ...labels, result: 'cancelled' });
          span.setAttribute('jirasync.result', 'cancelled');
          this.#d.log.info({ ...labels, reason: errorMessage(signal.reason) }, 'sync cancelled');
          return 'success';
        }
        span.setAttribute('jirasync.result', 'failure');
        markFailed(span, err);
        return this.#failed(run.obj, err, run.jira, startTime, requestedAt);
      } finally {
        clearTimeout(deadlineTimer);
      }

      const nextRunTime = nextRun(run);
      await recordSuccess(run, span, nextRunTime);
      return scheduleNext(run, nextRunTime);
    });
  }

  /**
   * A run failed. Its reason decides what follows: a wait that is not counted (rate limited), a
   * retry per retryPolicy, or Failed (stalling reasons at once, others when retries run out) with
   * a report to Jira.
   */
  async #failed(obj: JIRASync, err: unknown, jira: JiraConnection | undefined, startTime: Date, requestedAt: string | undefined): Promise<'success' | 'requeue_after'> {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const labels = { namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name };
    const m = this.#d.metrics;
    const message = errorMessage(err);
    const { reason, kind, retryAfterSeconds } = classifyError(err);
    const policy = resolvedRetryPolicy(obj.spec.retryPolicy);
    const previousRetries = obj.status?.retryCount ?? 0;
    m.syncRuns.inc({ ...labels, result: 'failure' });
    m.syncFailures.inc({ ...labels, reason });
    m.processingDuration.observe({ labels: { sync_type: obj.spec.syncType }, value: (this.#now().getTime() - startTime.getTime()) / 1000, exemplarLabels: traceExemplar() });
    this.#d.log.warn({ ...labels, retryCount: previousRetries, reason, kind, err: message }, 'sync failed');
    await this.#d.events.record(obj, 'Warning', reason, message);

    if (kind === 'waiting') {
      const delay = Math.max(1, Math.ceil(retryAfterSeconds ?? policy.initialDelay));
      const nextRunTime = new Date(this.#now().getTime() + delay * 1000);
      await this.#write(obj, { kind: 'waiting', reason, error: message, nextRunTime, requestedAt });
      await this.#d.events.record(obj, 'Normal', 'RetryScheduled', `${reason}: next run in ${delay}s (not counted as a retry)`);
      this.#d.queue.retryAfter(key, delay * 1000);
      return 'requeue_after';
    }
    const retryCount = previousRetries + 1;
    if (kind === 'retryable' && retryCount <= policy.maxRetries) {
      const delay = retryDelaySeconds(policy, retryCount);
      const nextRunTime = new Date(this.#now().getTime() + delay * 1000);
      await this.#write(obj, { kind: 'retrying', reason, error: message, retryCount, maxRetries: policy.maxRetries, nextRunTime, requestedAt });
      await this.#d.events.record(obj, 'Normal', 'RetryScheduled', `Retry ${retryCount}/${policy.maxRetries} in ${delay}s`);
      this.#d.queue.retryAfter(key, delay * 1000);
      return 'requeue_after';
    }
    const exhausted = kind === 'retryable';
    const failed = (await this.#write(obj, { kind: 'failed', reason, exhausted, error: message, retryCount: exhausted ? retryCount : previousRetries, requestedAt })) ?? obj;
    await this.#report(failed, message, retryCount, jira);
    return 'success';
  }

  /** Sends (or retries) the failure report and stores its outcome in status.jiraReport. */
  async #report(obj: JIRASync, message: string, retryCount: number, own?: JiraConnection): Promise<void> {
    let conn = own;
    if (!conn) {
      try {
        conn = await jiraConnection(this.#core, obj, this.#d.defaults);
      } catch (err) {
        if (!(err instanceof CredentialsError)) throw err;
      }
    }
    const report = await reportFailureEpisode(obj, obj.status?.jiraReport, message, retryCount, { own: conn, options: this.#d.jiraOptions }, this.#now());
    if (JSON.stringify(report) === JSON.stringify(obj.status?.jiraReport)) return;
    await this.#d.status.write(obj, { ...obj.status, jiraReport: report });
    if (report.state === 'Reported') await this.#d.events.record(obj, 'Normal', 'JiraUpdated', report.message ?? 'Failure reported to Jira');
    if (report.state === 'Pending') {
      if (obj.status?.jiraReport?.state !== 'Pending') await this.#d.events.record(obj, 'Warning', 'JiraUpdateFailed', report.message ?? 'Jira update failed');
      this.#d.queue.addAfter(`${obj.metadata.namespace}/${obj.metadata.name}`, REPORT_RETRY_MS);
    }
  }
}
