/**
 * The controller process: read config, start the HTTP server (probes, metrics, status API), the
 * JIRASync informer, the Lease election and — while leading — the work queue; shut down cleanly
 * on SIGTERM/SIGINT within a bounded time, giving the Lease up so a standby takes over at once.
 */
import { configHash } from './api/fingerprint.ts';
import { REQUESTED_AT_ANNOTATION, type JIRASync } from './api/jirasync.ts';
import { servedBy, shardSelector } from './api/shard.ts';
import { loadConfig } from './config.ts';
import { installEgressDispatcher } from './egress/dispatcher.ts';
import { egressFromEnv } from './egress/policy.ts';
import { createGitDestination } from './git/git.ts';
import { EventRecorder } from './kube/events.ts';
import { JIRASyncInformer, keyOf } from './kube/informer.ts';
import { PooledKubeConfig } from './kube/kubeconfig.ts';
import { WorkQueue } from './kube/queue.ts';
import { StatusWriter } from './kube/status-writer.ts';
import { freshReader } from './kube/fresh-read.ts';
import { jiraHooks, gitHooks } from './instrumentation.ts';
import { LeaderElector, newIdentity } from './leader/leader.ts';
import { log } from './observability/log.ts';
import { createMetrics, forgetSync, renderMetrics } from './observability/metrics.ts';
import { startTelemetry } from './observability/otel.ts';
import { errorMessage } from './observability/redact.ts';
import { defaultsFromEnv } from './reconcile/credentials.ts';
import { Reconciler } from './reconcile/reconciler.ts';
import { exportSyncGauges, forgetAllSyncs } from './reconcile/sync-metrics.ts';
import { createServer } from './server/server.ts';

const cfg = loadConfig();
const shutdownHooks: (() => Promise<void>)[] = [];
const telemetry = await startTelemetry(log);
const identity = newIdentity(cfg.podName || undefined);
const kc = new PooledKubeConfig();
kc.loadFromDefault();
const metrics = createMetrics({ shard: cfg.shard.name });
const defaults = defaultsFromEnv();
const events = new EventRecorder(kc, identity, log);
/**
 * resourceVersions of this replica's own status writes that the informer has not shown yet. The
 * informer's copy can lag behind them, and a reconcile that started from that stale status would
 * redo a run it had just finished; until it catches up, reconciles read the object fresh.
 */
const ownWrites = new Map<string, string>();
const statusWriter = new StatusWriter(kc, metrics, (stored) => {
  if (stored.metadata.resourceVersion) ownWrites.set(keyOf(stored), stored.metadata.resourceVersion);
});
// The egress policy guards every Jira and git connection (docs/security.md).
const egress = egressFromEnv();
shutdownHooks.push(installEgressDispatcher(egress, { maxResponseBytes: cfg.jiraMaxResponseBytes }));
const git = createGitDestination(gitHooks(metrics), { egress, maxResponseBytes: cfg.gitMaxResponseBytes });

let role: 'starting' | 'leader' | 'standby' = 'starting';
let queue: WorkQueue | undefined;

/** Informer events → queue keys. Only spec (generation) and request changes matter, never our own status writes. */
function onEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: JIRASync, old: JIRASync | undefined): void {
  const key = keyOf(obj);
  if (type === 'DELETED' || ownWrites.get(key) === obj.metadata.resourceVersion) ownWrites.delete(key);
  if (type === 'DELETED') {
    // Also what the watch says when the object's shard label moved it to another instance.
    queue?.forget(key, servedBy(obj.metadata.labels, cfg.shard) ? 'deleted' : 'moved to another shard');
    void forgetSync(metrics, obj.metadata.namespace ?? 'default', obj.metadata.name);
    return;
  }
  if (!queue) return;
  if (!old) return queue.add(key);
  const specChanged = old.metadata.generation !== obj.metadata.generation;
  const requested = old.metadata.annotations?.[REQUESTED_AT_ANNOTATION] !== obj.metadata.annotations?.[REQUESTED_AT_ANNOTATION];
  if (specChanged && queue.isRunning(key) && configHash(old.spec) !== configHash(obj.spec)) {
    // What is synced changed mid-run: cancel the run cleanly and start over.
    return queue.restart(key, 'spec changed');
  }
  if (specChanged || requested || obj.metadata.deletionTimestamp) queue.add(key);
}

const informer = new JIRASyncInformer({
  kc, namespaces: cfg.watchNamespaces, labelSelector: shardSelector(cfg.shard), onEvent, log, metrics,
  silenceSeconds: cfg.watchSilenceSeconds, relistSeconds: cfg.relistIntervalSeconds,
});

const readFresh = freshReader(kc);
/**
 * A JIRASync this shard serves, as the reconciler starts from it: the informer's copy, unless it
 * still lags one of this replica's own writes (then read from the API server); undefined once it
 * moved to another shard. A fleet's runs so cost no extra GET each.
 */
async function readServed(ns: string, name: string): Promise<JIRASync | undefined> {
  const cached = informer.get(ns, name);
  if (!cached) return undefined;
  const key = `${ns}/${name}`;
  // The watch event of a write can arrive before the write's own answer.
  if (ownWrites.get(key) === cached.metadata.resourceVersion) ownWrites.delete(key);
  const obj = ownWrites.has(key) ? await readFresh(ns, name) : cached;
  return obj && servedBy(obj.metadata.labels, cfg.shard) ? obj : undefined;
}
const reconciler = (q: WorkQueue) => new Reconciler({
  kc, get: readServed, queue: q, status: statusWriter, events, metrics, log, git,
  cacheRoot: cfg.gitCacheDir, gitCaCertificates: cfg.gitCaCertificates, author: cfg.author, defaults,
  jiraOptions: { hooks: jiraHooks(metrics), egress }, runTimeoutSeconds: cfg.runTimeoutSeconds,
});

/** Leading: a fresh queue for this term, every known JIRASync queued, workers until the signal aborts. */
async function lead(signal: AbortSignal): Promise<void> {
  role = 'leader';
  metrics.leader.set({ identity }, 1);
  metrics.masterStatus.set({ name: cfg.leaseName }, 1);
  log.info({ identity, shard: cfg.shard.name, lease: cfg.leaseName }, 'leading: reconciling JIRASyncs');
  const q = new WorkQueue(metrics, { perNamespace: cfg.concurrencyPerNamespace });
  queue = q;
  const r = reconciler(q);
  signal.addEventListener('abort', () => q.stop('leadership ended'), { once: true });
  for (const obj of informer.list()) {
    await exportSyncGauges(metrics, obj);
    q.add(keyOf(obj));
  }
  await q.run((key, s) => r.reconcile(key, s), cfg.concurrency);
  // Reconciles still running when leadership ended may have exported gauges after standby()
  // cleared them; clear again unless a new term has begun meanwhile.
  if (queue !== q && role !== 'leader') await forgetAllSyncs(metrics, informer.list());
}

function standby(): void {
  role = 'standby';
  queue = undefined;
  void forgetAllSyncs(metrics, informer.list());
  metrics.leader.set({ identity }, 0);
  metrics.masterStatus.set({ name: cfg.leaseName }, 0);
}

const server = createServer({
  registryMetrics: (accept) => renderMetrics(metrics, accept),
  ready: () => {
    const synced = informer.hasSynced();
    return { ok: synced && role !== 'starting', detail: `informer ${synced ? 'synced' : 'syncing'}, role ${role}` };
  },
  role: () => role,
  getSync: (ns, name) => informer.get(ns, name),
  listSyncs: () => informer.list(),
  kc,
  log,
  audiences: cfg.http.audiences, metricsAuth: cfg.http.metricsAuth, listLimit: cfg.http.listLimit,
  ...(cfg.http.tlsCertFile && cfg.http.tlsKeyFile ? { tls: { certFile: cfg.http.tlsCertFile, keyFile: cfg.http.tlsKeyFile } } : {}),
});
const listener = await server.listen(cfg.httpPort, cfg.httpHost);
log.info({ port: listener.port, identity }, 'HTTP server listening');

standby();
role = 'starting';
await informer.start();
let elector: LeaderElector | undefined;
let leadWork: Promise<void> | undefined;
if (cfg.leaderElection) {
  role = 'standby';
  elector = new LeaderElector(
    {
      kc, namespace: cfg.podNamespace, name: cfg.leaseName, identity, log,
      leaseDurationSeconds: cfg.leaseDurationSeconds, renewDeadlineSeconds: cfg.renewDeadlineSeconds, retryPeriodSeconds: cfg.retryPeriodSeconds,
    },
    {
      onStartedLeading: (signal) => lead(signal),
      onStoppedLeading: () => {
        log.info({ identity }, 'standing by');
        standby();
      },
      onNewLeader: (holder) => log.info({ leader: holder }, 'new leader'),
    },
  );
  elector.start();
} else {
  const abort = new AbortController();
  leadWork = lead(abort.signal);
  shutdownHooks.push(async () => {
    abort.abort();
    await leadWork;
  });
}

let stopping = false;
async function shutdown(sig: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal: sig }, 'shutting down');
  const timer = setTimeout(() => {
    log.error('shutdown timed out; exiting');
    process.exit(1);
  }, cfg.shutdownTimeoutSeconds * 1000);
  timer.unref();
  try {
    if (elector) await elector.release();
    for (const hook of shutdownHooks) await hook();
    await informer.stop();
    await listener.close();
    await telemetry.shutdown();
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'error during shutdown');
  }
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
