/**
 * The Jira and git layers' hooks, wired to metrics and spans. Those layers know nothing of
 * Prometheus or OpenTelemetry; they call these hooks once per HTTP request or git operation.
 * This adapter lives beside main.ts, which wires it, because it joins jira/ and git/ to
 * observability/ — and observability/ is a leaf that imports nothing of ours.
 */
import type { GitHooks } from './git/destination.ts';
import type { JiraRequestHooks } from './jira/source.ts';
import type { Metrics } from './observability/metrics.ts';
import { traceExemplar as exemplar, withSpan } from './observability/tracing.ts';

export function jiraHooks(m: Metrics): JiraRequestHooks {
  return {
    onResponse({ endpoint, code, seconds }) {
      m.jiraRequests.inc({ endpoint, code: String(code) });
      m.jiraDuration.observe({ labels: { endpoint }, value: seconds, exemplarLabels: exemplar() });
    },
    onRateLimited({ endpoint }) {
      m.jiraRateLimited.inc({ endpoint });
    },
    wrap(info, call) {
      return withSpan(`jira ${info.method} ${info.endpoint}`, {
        'http.request.method': info.method, 'jira.endpoint': info.endpoint, ...(info.page !== undefined ? { 'jira.page': info.page } : {}),
      }, () => call());
    },
  };
}

export function gitHooks(m: Metrics): GitHooks {
  return {
    onPush({ result, seconds }) {
      m.gitPushes.inc({ result });
      m.gitPushDuration.observe({ value: seconds, exemplarLabels: exemplar() });
    },
    wrap(info, call) {
      return withSpan(`git.${info.operation}`, { 'git.operation': info.operation }, () => call());
    },
  };
}
