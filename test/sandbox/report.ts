/**
 * What the sandbox prints once it is up: where everything is and commands to try, each one
 * copy-pasteable as shown. Secrets stay in files under the data directory and the commands read
 * them from there, so nothing secret is printed. The same facts go to --ready-file as JSON.
 */
import { relative } from 'node:path';
import { repoRoot } from './args.ts';

/** Everything a person or a script needs to use a running sandbox (the --ready-file content). */
export interface SandboxInfo {
  pid: number;
  dir: string;
  keep: boolean;
  startedInMs: number;
  kubeconfigPath: string;
  apiServer: string;
  namespace: string;
  leaseNamespace: string;
  leaseName: string;
  jira: { url: string; email: string; apiToken: string; project: string; issues: number; failureIssue: string };
  git: { baseUrl: string; repoUrl: string; caFile: string; credentialsFile: string; username: string };
  /** Undefined when Prometheus and Alertmanager could not be started (see `monitoringNote`). */
  prometheusUrl?: string;
  alertmanagerUrl?: string;
  /** The rules' `for:` durations as the sandbox runs them, e.g. "shortened to 30s" (or "as in the file"). */
  alertTiming: string;
  monitoringNote?: string;
  /** The OTLP receiver the controllers trace to, and the file listing the latest runs' trace ids. */
  traces: { url: string; idsFile: string };
  controllers: { name: string; url: string; pid: number; leader: boolean; logFile: string }[];
  statusTokenFile: string;
  samples: { name: string; syncType: string; path: string; expect: string; phase: string; about: string }[];
  /** Every TCP port the sandbox listens on (the guide shows them). */
  ports: number[];
}

/** The guide as lines of text. */
export function renderGuide(i: SandboxInfo): string[] {
  const rel = (p: string) => (p.startsWith(`${repoRoot}/`) ? relative(repoRoot, p) : p);
  const leader = i.controllers.find((c) => c.leader);
  const standby = i.controllers.find((c) => !c.leader);
  const w = Math.max(...i.samples.map((s) => s.name.length));
  const pw = Math.max(...i.samples.map((s) => s.path.length)) + 1;
  const lines: string[] = [];
  const h = (title: string) => lines.push('', title);
  const l = (text = '') => lines.push(text ? `  ${text}` : '');

  lines.push('', `jirasync sandbox is ready (${Math.round(i.startedInMs / 1000)} s). Everything listens on 127.0.0.1; Ctrl-C stops it all.`);
  lines.push(`Data directory: ${i.dir} (${i.keep ? 'kept on exit: --keep' : 'removed on exit; --keep keeps it'}). Commands below run from ${repoRoot}.`);

  h(`Sample JIRASyncs in namespace ${i.namespace}, all writing to ${i.git.repoUrl}:`);
  for (const s of i.samples) l(`${s.name.padEnd(w)}  ${s.syncType.padEnd(6)}  ${s.phase.padEnd(9)}  ${`${s.path}/`.padEnd(pw)}  ${s.about}`);

  h('Kubernetes (kube-apiserver + etcd; no nodes, no controller-manager):');
  l(`export KUBECONFIG=${i.kubeconfigPath}`);
  l(`kubectl get jirasync -n ${i.namespace} -w`);
  l(`kubectl describe jirasync -n ${i.namespace} bad-credentials`);
  l(`scripts/sync-now.sh -n ${i.namespace} epic --wait      # asks for a run now and follows it`);
  l(`scripts/monitor-sync.sh -n ${i.namespace} jql          # follows jql's run until it finishes (it re-runs every 2 minutes)`);
  l('scripts/health-check.sh -A');

  h(`Controllers: two replicas, one leads (Lease ${i.leaseNamespace}/${i.leaseName}):`);
  for (const c of i.controllers) l(`${c.name}  ${c.url}  pid ${c.pid}  ${c.leader ? 'leader ' : 'standby'}  log ${rel(c.logFile)}`);
  l(`kubectl get lease -n ${i.leaseNamespace} ${i.leaseName} -o jsonpath='{.spec.holderIdentity}{"\\n"}'`);
  if (leader && standby) l(`kill ${leader.pid}    # stops the leader: ${standby.name} takes the Lease over (the stopped replica stays down)`);

  h('The synced repository (HTTPS with a throwaway CA; credentials in a git credential file):');
  l('dest=$(mktemp -d)/demo');
  l(`GIT_SSL_CAINFO=${i.git.caFile} git -c credential.helper='store --file=${i.git.credentialsFile}' clone ${i.git.repoUrl} "$dest"`);
  l(`git -C "$dest" log --oneline; find "$dest" -path '*/issues/*.yaml' | sort | head -n 5`);

  h('Jira emulator (what the controllers talk to):');
  l(`${i.jira.url}  project ${i.jira.project} (${i.jira.issues} issues) and OPS; user ${i.jira.email}, API token ${i.jira.apiToken}`);
  l(`curl -s ${i.jira.url}/_emulator/issues/${i.jira.failureIssue}/comments | jq '.[].body'     # the failure comment`);
  l(`curl -s ${i.jira.url}/_emulator/issues/${i.jira.failureIssue} | jq .status                 # Blocked: OPS has no "Failed"`);

  h('Status API (a ServiceAccount that may only get/list jirasyncs in demo; its token is in a file):');
  l(`curl -s -H "Authorization: Bearer $(cat ${i.statusTokenFile})" ${i.controllers[0]?.url}/api/v1/namespaces/${i.namespace}/syncs/jql/status | jq .`);
  l(`curl -s -H "Authorization: Bearer $(cat ${i.statusTokenFile})" ${i.controllers[0]?.url}/api/v1/syncs | jq '.data[].name'`);

  h('Metrics and alerts:');
  if (i.prometheusUrl && i.alertmanagerUrl) {
    l(`Prometheus    ${i.prometheusUrl}   (job "jirasync" scrapes both controllers; rules alerts/jirasync.rules.yaml)`);
    l(`Alertmanager  ${i.alertmanagerUrl}`);
    l(`Alert timing: ${i.alertTiming}.`);
    l(`JIRASyncFailed for ${i.namespace}/bad-credentials reaches Alertmanager within a minute or two:`);
    l(`curl -s ${i.alertmanagerUrl}/api/v2/alerts | jq '.[] | {alert: .labels.alertname, name: .labels.name, state: .status.state}'`);
    l(`Exemplars: each run's duration carries its trace id (the controllers trace to ${i.traces.url}; the latest runs' ids are in ${rel(i.traces.idsFile)}):`);
    l(`curl -s '${i.prometheusUrl}/api/v1/query_exemplars?query=jirasync_processing_duration_seconds_bucket' | jq -r '.data[] | .seriesLabels.sync_type + " " + (.exemplars[] | .labels.trace_id + " " + .value)'`);
  } else {
    l(`Prometheus and Alertmanager are not running: ${i.monitoringNote ?? 'unknown reason'}`);
  }
  for (const c of i.controllers) l(`curl -s ${c.url}/metrics | grep '^jirasync_phase_info'`);
  if (leader) l(`curl -s -H 'Accept: application/openmetrics-text' ${leader.url}/metrics | grep -m 3 'trace_id'     # OpenMetrics, with exemplars (the leader ran the syncs)`);

  h('Dashboards (dashboards/*.json) in a Grafana of your own:');
  l('Dashboards → New → Import → upload the JSON file, then pick a Prometheus data source');
  l(`pointing at ${i.prometheusUrl ?? 'your Prometheus'} (Grafana in Docker: run it with --network host). Or with the HTTP API:`);
  l(`for f in dashboards/*.json; do jq '{dashboard: ., overwrite: true}' "$f" | curl -s -u admin:admin -H 'Content-Type: application/json' -d @- http://localhost:3000/api/dashboards/db; done`);

  h(`Ports in use: ${i.ports.join(', ')}. Press Ctrl-C to stop everything.`);
  return lines;
}
