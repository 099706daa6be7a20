/**
 * Prometheus and Alertmanager for the sandbox, through the test harness (test/env/prometheus.ts):
 * job "jirasync" scrapes both replicas, the shipped alerts/jirasync.rules.yaml is loaded — by
 * default with every `for:` shortened in memory so an alert shows within a minute or two instead of
 * after 5–15 minutes — and Alertmanager notifies a webhook inside the sandbox, which prints each
 * notification as it arrives. Prometheus stores exemplars (the trace ids on the run-duration and
 * latency histograms).
 */
import { fileURLToPath } from 'node:url';
import { startPrometheusStack, type PrometheusStack } from '../env/prometheus.ts';

export const RULES_FILE = fileURLToPath(new URL('../../alerts/jirasync.rules.yaml', import.meta.url));
/** The `for:` every alert gets unless --real-alert-timing is given. */
export const SHORT_FOR = '30s';

export interface Monitoring {
  prometheusUrl: string;
  alertmanagerUrl: string;
  ports: number[];
  /** How the rules' `for:` durations are run, for the guide. */
  alertTiming: string;
  stack: PrometheusStack;
  stop(): Promise<void>;
}

/** Starts Prometheus (scraping `targets`, host:port) and Alertmanager. */
export async function startMonitoring(opts: { targets: string[]; fastAlerts: boolean }): Promise<Monitoring> {
  const stack = await startPrometheusStack({
    targets: [{ job: 'jirasync', targets: opts.targets }],
    ruleFiles: [RULES_FILE],
    exemplars: true,
    ...(opts.fastAlerts ? { ruleOverrides: { for: SHORT_FOR } } : {}),
    // Gentler than the harness' 1 s, still quick enough to watch a sync move; the scrape timeout
    // equals the interval, and a busy small machine can take seconds to answer /metrics.
    scrapeInterval: '10s',
    evaluationInterval: '5s',
    alertmanagerRoute: { groupWait: '5s', groupInterval: '30s', repeatInterval: '4h' },
    startTimeoutMs: 60_000,
  });
  if (!stack.alertmanagerUrl) throw new Error('the Prometheus harness started no Alertmanager');
  return {
    prometheusUrl: stack.prometheusUrl,
    alertmanagerUrl: stack.alertmanagerUrl,
    ports: [Number(new URL(stack.prometheusUrl).port), Number(new URL(stack.alertmanagerUrl).port)],
    alertTiming: opts.fastAlerts
      ? `every alert's 'for:' is shortened to ${SHORT_FOR} in memory (the file, unchanged, says 2m to 15m); --real-alert-timing keeps the real ones`
      : "the rules' real 'for:' durations (2m to 15m), as in alerts/jirasync.rules.yaml",
    stack,
    stop: () => stack.stop(),
  };
}

/** Prints one line per alert Alertmanager delivers to the sandbox's webhook, until `done()`. */
export function watchAlerts(m: Monitoring, print: (line: string) => void, done: () => boolean): void {
  let seen = 0;
  const timer = setInterval(() => {
    if (done()) return clearInterval(timer);
    const notes = m.stack.notifications;
    for (; seen < notes.length; seen++) {
      for (const a of notes[seen].alerts) {
        const who = a.labels.namespace && a.labels.name ? ` for ${a.labels.namespace}/${a.labels.name}` : '';
        print(`Alertmanager: ${a.labels.alertname} ${a.status}${who} (${a.labels.severity ?? 'no severity'}) — ${a.annotations.summary ?? ''}`);
      }
    }
  }, 1000);
  timer.unref();
}
