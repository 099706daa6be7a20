/**
 * A real Prometheus (Debian's `prometheus`) and Alertmanager for tests, on free 127.0.0.1 ports with
 * their data in a temp dir: Prometheus scrapes the given targets every second, evaluates the given
 * rule files (with test-time `for:`/threshold overrides, the shipped files untouched) every second,
 * and sends alerts to an Alertmanager whose only receiver is a webhook server inside the test.
 * With `exemplars: true` it also stores the exemplars of OpenMetrics scrapes (Prometheus asks for
 * OpenMetrics first in its Accept header), readable with `queryExemplars`.
 *
 *   const stack = await startPrometheusStack({
 *     targets: [{ job: 'jirasync', targets: ['127.0.0.1:8080'] }],
 *     ruleFiles: ['alerts/jirasync.rules.yaml'],
 *     ruleOverrides: { for: '2s' },
 *   });
 *   t.teardown(() => stack.stop());
 *   const alert = await stack.waitForAlert('JIRASyncFailed', { labels: { name: 'broken' } });
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { stringify } from 'yaml';
import { startAlertmanager, startWebhookReceiver, type AlertmanagerRoute, type WebhookAlert, type WebhookNotification, type WebhookReceiver } from './alertmanager.ts';
import { freePort } from './ports.ts';
import { startProcess, waitForHttp, type ManagedProcess } from './process.ts';
import { overrideRules, type RuleOverrides } from './rule-overrides.ts';
import { eventually } from '../fixtures/eventually.ts';

export type { AlertOverride, RuleOverrides } from './rule-overrides.ts';
export { overrideRules } from './rule-overrides.ts';
export type { WebhookAlert, WebhookNotification } from './alertmanager.ts';

/** One scrape job. */
export interface ScrapeTarget {
  /** The job label ("jirasync" is what the shipped rules select). */
  job: string;
  /** host:port of each target. */
  targets: string[];
  /** Default /metrics. */
  metricsPath?: string;
  /** Extra target labels, e.g. { namespace: 'jirasync-system' } as the Prometheus Operator adds. */
  labels?: Record<string, string>;
  /** Sent as "Authorization: Bearer ..." when set. */
  bearerToken?: string;
}

export interface PrometheusStackOptions {
  targets: ScrapeTarget[];
  /** Rule files to load (paths); each is rewritten with `ruleOverrides` into the temp dir. */
  ruleFiles?: string[];
  ruleOverrides?: RuleOverrides;
  /** Default 1s. */
  scrapeInterval?: string;
  /** Default 1s. */
  evaluationInterval?: string;
  /** Start Alertmanager and the webhook receiver; default true. */
  alertmanager?: boolean;
  alertmanagerRoute?: AlertmanagerRoute;
  /** How long each server may take to become ready; default 30 s. */
  startTimeoutMs?: number;
  /** Store exemplars (`--enable-feature=exemplar-storage`); default false. */
  exemplars?: boolean;
}

/** The exemplars of one series, as /api/v1/query_exemplars returns them. */
export interface PromExemplars {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: number; timestamp: number }[];
}

/** One element of an instant-query result (vector or scalar). */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
  timestamp: number;
}

export interface WaitForAlertOptions {
  /** Every one of these labels must match. */
  labels?: Record<string, string>;
  /** Default 'firing'. */
  status?: 'firing' | 'resolved';
  /** Default 60 s. */
  timeoutMs?: number;
}

export interface PrometheusStack {
  prometheusUrl: string;
  /** Undefined when started with `alertmanager: false`. */
  alertmanagerUrl?: string;
  /** Every webhook notification received, in order. */
  notifications: WebhookNotification[];
  /** The rule files as Prometheus loaded them (after overrides), by file name. */
  loadedRules: Record<string, string>;
  /** Instant query; throws on a query error. */
  query(expr: string, time?: Date): Promise<PromSample[]>;
  /** The exemplars stored for the series `expr` selects between `start` and `end` (default: the last hour). */
  queryExemplars(expr: string, start?: Date, end?: Date): Promise<PromExemplars[]>;
  /** Polls `expr` until `accept` holds for the result (default: not empty), at most `timeoutMs`. */
  waitForSeries(expr: string, opts?: { timeoutMs?: number; accept?: (samples: PromSample[]) => boolean }): Promise<PromSample[]>;
  /** Waits until every target of every job is up. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  /** Prometheus' view of its alerts (/api/v1/alerts): pending and firing. */
  prometheusAlerts(): Promise<{ labels: Record<string, string>; state: string; value: string }[]>;
  /** Waits until the webhook received `alertname` with `status` and `labels`; returns that alert. */
  waitForAlert(alertname: string, opts?: WaitForAlertOptions): Promise<WebhookAlert>;
  /** Every alert the webhook received, flattened, in order. */
  receivedAlerts(): WebhookAlert[];
  /** Recent output of Prometheus and Alertmanager, for failure messages. */
  logs(): string;
  /** Stops Alertmanager, Prometheus and the webhook server, and removes the temp dir. */
  stop(): Promise<void>;
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

async function api<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as ApiResponse<T>;
  if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? res.status}`);
  return body.data;
}

/** Starts Prometheus (and, by default, Alertmanager with a webhook receiver). */
export async function startPrometheusStack(opts: PrometheusStackOptions): Promise<PrometheusStack> {
  const dir = mkdtempSync(join(tmpdir(), 'jirasync-prometheus-'));
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const started: ManagedProcess[] = [];
  let webhook: WebhookReceiver | undefined;
  let alertmanagerUrl: string | undefined;

  let stopped = false;
  const cleanup = async () => {
    if (stopped) return;
    stopped = true;
    for (const p of [...started].reverse()) await p.stop();
    await webhook?.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    if (opts.alertmanager ?? true) {
      webhook = await startWebhookReceiver();
      const am = await startAlertmanager(dir, webhook.url, opts.alertmanagerRoute, timeoutMs);
      started.push(am.proc);
      alertmanagerUrl = am.url;
    }

    const loadedRules: Record<string, string> = {};
    const ruleFiles = (opts.ruleFiles ?? []).map((file, i) => {
      const name = `${i}-${basename(file)}`;
      loadedRules[name] = overrideRules(readFileSync(file, 'utf8'), opts.ruleOverrides);
      writeFileSync(join(dir, name), loadedRules[name]);
      return join(dir, name);
    });

    const interval = opts.scrapeInterval ?? '1s';
    const config = {
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: opts.evaluationInterval ?? '1s' },
      rule_files: ruleFiles,
      ...(alertmanagerUrl ? { alerting: { alertmanagers: [{ api_version: 'v2', static_configs: [{ targets: [new URL(alertmanagerUrl).host] }] }] } } : {}),
      scrape_configs: opts.targets.map((t) => ({
        job_name: t.job,
        metrics_path: t.metricsPath ?? '/metrics',
        ...(t.bearerToken ? { authorization: { type: 'Bearer', credentials: t.bearerToken } } : {}),
        static_configs: [{ targets: t.targets, ...(t.labels ? { labels: t.labels } : {}) }],
      })),
    };
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, stringify(config));

    const port = await freePort();
    const prometheusUrl = `http://127.0.0.1:${port}`;
    const prom = startProcess('prometheus', 'prometheus', [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Resend firing alerts every second (default 1m), so a restarted Alertmanager hears quickly.
      '--rules.alert.resend-delay=1s',
      ...(opts.exemplars ? ['--enable-feature=exemplar-storage'] : []),
    ]);
    started.push(prom);
    await waitForHttp(`${prometheusUrl}/-/ready`, prom, timeoutMs);

    const logs = () => started.map((p) => `--- ${p.name}\n${p.output()}`).join('\n');
    const receivedAlerts = () => (webhook?.notifications ?? []).flatMap((n) => n.alerts);

    const query = async (expr: string, time?: Date): Promise<PromSample[]> => {
      const params = new URLSearchParams({ query: expr });
      if (time) params.set('time', String(time.getTime() / 1000));
      const data = await api<{ resultType: string; result: unknown }>(prometheusUrl, `/api/v1/query?${params}`);
      if (data.resultType === 'scalar') {
        const [ts, v] = data.result as [number, string];
        return [{ metric: {}, value: Number(v), timestamp: ts }];
      }
      if (data.resultType !== 'vector') throw new Error(`query ${expr}: a ${data.resultType} result; use an instant vector`);
      return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({ metric: s.metric, value: Number(s.value[1]), timestamp: s.value[0] }));
    };

    const queryExemplars = async (expr: string, start?: Date, end?: Date): Promise<PromExemplars[]> => {
      const to = end ?? new Date();
      const from = start ?? new Date(to.getTime() - 3600_000);
      const params = new URLSearchParams({ query: expr, start: String(from.getTime() / 1000), end: String(to.getTime() / 1000) });
      const data = await api<{ seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[]>(
        prometheusUrl, `/api/v1/query_exemplars?${params}`);
      return data.map((d) => ({ seriesLabels: d.seriesLabels, exemplars: d.exemplars.map((e) => ({ labels: e.labels, value: Number(e.value), timestamp: e.timestamp })) }));
    };

    const prometheusAlerts = async () => (await api<{ alerts: { labels: Record<string, string>; state: string; value: string }[] }>(prometheusUrl, '/api/v1/alerts')).alerts;

    return {
      prometheusUrl,
      alertmanagerUrl,
      notifications: webhook?.notifications ?? [],
      loadedRules,
      query,
      queryExemplars,
      receivedAlerts,
      logs,
      prometheusAlerts,
      async waitForSeries(expr, o = {}) {
        const accept = o.accept ?? ((s: PromSample[]) => s.length > 0);
        let last: PromSample[] = [];
        return eventually(`${expr} to give the expected result`, async () => {
          last = await query(expr);
          return accept(last) && last;
        }, { timeoutMs: o.timeoutMs ?? 30_000, intervalMs: 250, detail: () => `last: ${JSON.stringify(last)}` });
      },
      async waitForTargetsUp(ms = 30_000) {
        let last = '';
        await eventually('every scrape target up', async () => {
          const data = await api<{ activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] }>(prometheusUrl, '/api/v1/targets?state=active');
          const expected = opts.targets.reduce((n, t) => n + t.targets.length, 0);
          const up = data.activeTargets.filter((t) => t.health === 'up').length;
          last = data.activeTargets.map((t) => `${t.labels.job}/${t.labels.instance}: ${t.health} ${t.lastError}`).join('; ');
          return data.activeTargets.length === expected && up === expected;
        }, { timeoutMs: ms, intervalMs: 250, detail: () => last });
      },
      async waitForAlert(alertname, o = {}) {
        if (!webhook) throw new Error('waitForAlert: started without Alertmanager');
        const status = o.status ?? 'firing';
        const matches = (a: WebhookAlert) =>
          a.labels.alertname === alertname && a.status === status && Object.entries(o.labels ?? {}).every(([k, v]) => a.labels[k] === v);
        const ms = o.timeoutMs ?? 60_000;
        const deadline = Date.now() + ms;
        let seen = 0;
        for (;;) {
          const found = webhook.notifications.slice(seen).flatMap((n) => n.alerts).find(matches);
          if (found) return found;
          seen = webhook.notifications.length;
          const left = deadline - Date.now();
          if (left <= 0) break;
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([webhook.next(seen), new Promise((r) => (timer = setTimeout(r, left)))]);
          clearTimeout(timer);
        }
        const inProm = (await prometheusAlerts().catch(() => [])).filter((a) => a.labels.alertname === alertname);
        throw new Error(
          `waitForAlert: no ${status} ${alertname} ${JSON.stringify(o.labels ?? {})} reached the webhook within ${ms} ms.\n` +
            `Prometheus has: ${JSON.stringify(inProm)}\nWebhook received: ${JSON.stringify(receivedAlerts().map((a) => ({ status: a.status, labels: a.labels })))}`,
        );
      },
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
