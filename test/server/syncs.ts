/**
 * JIRASyncs kept in the real API server for status API tests, and a cache of them read back from
 * the API server (what the controller's informer would hold), so the server answers with
 * objects exactly as Kubernetes stores them.
 */
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type JIRASync, type JIRASyncStatus } from '../../controller/api/jirasync.ts';
import type { SyncCache } from '../../controller/server/status-api.ts';
import { jirasync } from '../fixtures/jirasync.ts';

const coords = { group: GROUP, version: VERSION, plural: PLURAL } as const;

/** A status as the controller writes it mid-run. */
export function runningStatus(percentage: number): JIRASyncStatus {
  const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5)).toISOString().replace('.000', '');
  return {
    phase: percentage >= 100 ? 'Completed' : 'Running',
    observedGeneration: 1,
    progress: { percentage, currentOperation: percentage >= 100 ? 'done' : 'fetching issues', totalOperations: 4, completedOperations: Math.floor(percentage / 25) },
    syncState: { startTime: at, totalIssues: 200, processedIssues: percentage * 2, successfulIssues: percentage * 2, failedIssues: 0 },
    retryCount: 0,
    lastStatusUpdate: at,
    conditions: [{ type: 'Ready', status: percentage >= 100 ? 'True' : 'False', reason: percentage >= 100 ? 'SyncCompleted' : 'SyncInProgress', message: `${percentage}% done`, lastTransitionTime: at, observedGeneration: 1 }],
  };
}

/** Creates a JIRASync and writes its status through the status subresource. */
export async function createSync(kc: k8s.KubeConfig, namespace: string, name: string, status: JIRASyncStatus): Promise<JIRASync> {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  await api.createNamespacedCustomObject({ ...coords, namespace, body: jirasync(name, namespace) });
  return setStatus(kc, namespace, name, status);
}

/** Replaces a JIRASync's status; returns the object as stored. */
export async function setStatus(kc: k8s.KubeConfig, namespace: string, name: string, status: JIRASyncStatus): Promise<JIRASync> {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const obj = (await api.getNamespacedCustomObject({ ...coords, namespace, name })) as JIRASync;
  obj.status = status;
  return (await api.replaceNamespacedCustomObjectStatus({ ...coords, namespace, name, body: obj })) as JIRASync;
}

/** A SyncCache filled by listing JIRASyncs across namespaces from the API server. */
export class ApiSyncCache implements SyncCache {
  readonly #api: k8s.CustomObjectsApi;
  readonly #namespaces: string[];
  #items = new Map<string, JIRASync>();

  /** Only the given namespaces are listed, so other tests' objects do not leak in. */
  constructor(kc: k8s.KubeConfig, namespaces: string[]) {
    this.#api = kc.makeApiClient(k8s.CustomObjectsApi);
    this.#namespaces = namespaces;
  }

  async refresh(): Promise<void> {
    const items = new Map<string, JIRASync>();
    for (const namespace of this.#namespaces) {
      const list = (await this.#api.listNamespacedCustomObject({ ...coords, namespace })) as { items: JIRASync[] };
      for (const s of list.items) items.set(`${namespace}/${s.metadata.name}`, s);
    }
    this.#items = items;
  }

  getSync(namespace: string, name: string): JIRASync | undefined {
    return this.#items.get(`${namespace}/${name}`);
  }

  listSyncs(): JIRASync[] {
    return [...this.#items.values()];
  }
}
