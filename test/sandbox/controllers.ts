/**
 * The sandbox's two controller replicas: the real `node controller/main.ts`, started through the
 * test fixture with the settings a Deployment would give them, each logging to a file, and a way
 * to tell which one holds the Lease.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';
import { startController, type ControllerProcess } from '../fixtures/controller.ts';
import { is } from './samples.ts';

export const LEASE_NAMESPACE = 'jirasync-system';
export const LEASE_NAME = 'jirasync-leader';

export interface Replica {
  ctl: ControllerProcess;
  logFile: string;
  /** SIGTERM, then SIGKILL after 20 s; closes the log file. */
  stop(): Promise<void>;
}

export interface ReplicaOptions {
  kubeconfigPath: string;
  dir: string;
  /** Environment shared by every replica (Jira defaults, git CA). */
  env: Record<string, string>;
  /** Called when a replica exits while the sandbox is not stopping. */
  onUnexpectedExit: (name: string, code: number | null) => void;
}

/** Ensures the Lease namespace exists (nothing creates namespaces in this control plane). */
export async function ensureLeaseNamespace(kc: k8s.KubeConfig): Promise<void> {
  try {
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: LEASE_NAMESPACE } } });
  } catch (err) {
    if (!is(err, 409)) throw new Error(`creating namespace ${LEASE_NAMESPACE}`, { cause: err });
  }
}

/** Starts one replica watching every namespace; its output goes to `<dir>/logs/<name>.log`. */
export async function startReplica(name: string, opts: ReplicaOptions): Promise<Replica> {
  mkdirSync(join(opts.dir, 'logs'), { recursive: true });
  const cache = join(opts.dir, 'cache', name);
  mkdirSync(cache, { recursive: true });
  const ctl = await startController({
    kubeconfigPath: opts.kubeconfigPath,
    namespace: LEASE_NAMESPACE,
    watchNamespaces: [],
    name,
    env: {
      ...opts.env,
      GIT_CACHE_DIR: cache,
      LOG_LEVEL: 'info',
      // The samples share one repository and branch: one sync at a time keeps their pushes from
      // rejecting each other (rejections are retried, but GitPushFailing would count them).
      CONCURRENCY: '1',
      // The controller's own defaults: a standby takes over within about 15 s of a leader's crash
      // (at once when a leader stops cleanly, since it gives the Lease up).
      LEASE_DURATION_SECONDS: '15',
      RENEW_DEADLINE_SECONDS: '10',
      RETRY_PERIOD_SECONDS: '2',
    },
  });
  const logFile = join(opts.dir, 'logs', `${name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  ctl.proc.stdout?.pipe(out, { end: false });
  ctl.proc.stderr?.pipe(out, { end: false });
  // The fixture keeps every line in memory for tests; a sandbox runs for hours, the file has them.
  const trim = setInterval(() => {
    ctl.logs.splice(0);
    ctl.output.splice(0);
  }, 30_000);
  trim.unref();
  let stopping = false;
  void ctl.exited.then((code) => {
    if (!stopping) opts.onUnexpectedExit(name, code);
  });
  return {
    ctl,
    logFile,
    async stop() {
      stopping = true;
      await ctl.stop('SIGTERM', 20_000);
      clearInterval(trim);
      out.end();
    },
  };
}

/** The replica name holding the Lease (identities are `<POD_NAME>_<random>`), waiting up to `ms`. */
export async function currentLeader(kc: k8s.KubeConfig, names: string[], ms = 40_000): Promise<string> {
  const coord = kc.makeApiClient(k8s.CoordinationV1Api);
  const deadline = Date.now() + ms;
  let holder = '';
  for (;;) {
    try {
      const lease = await coord.readNamespacedLease({ name: LEASE_NAME, namespace: LEASE_NAMESPACE });
      holder = lease.spec?.holderIdentity ?? '';
      const name = names.find((n) => holder.startsWith(`${n}_`));
      if (name) return name;
    } catch (err) {
      if (!is(err, 404)) throw err;
    }
    if (Date.now() > deadline) throw new Error(`no replica took the Lease ${LEASE_NAMESPACE}/${LEASE_NAME} within ${ms / 1000} s (holder: ${holder || 'none'})`);
    await sleep(250);
  }
}
