/**
 * Writes JIRASync status through the status subresource only, conflict-safe: a PUT with the
 * resourceVersion we read, and on 409 a fresh read and another try (the status we computed is
 * ours alone, so it is re-applied on the fresh object). Each write is counted in metrics.
 */
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type JIRASync, type JIRASyncStatus } from '../api/jirasync.ts';
import type { Metrics } from '../observability/metrics.ts';

export class StatusWriter {
  readonly #api: k8s.CustomObjectsApi;
  readonly #metrics: Metrics | undefined;

  readonly #onWritten: ((stored: JIRASync) => void) | undefined;

  /** `onWritten` sees each object as stored by a write (its new resourceVersion). */
  constructor(kc: k8s.KubeConfig, metrics?: Metrics, onWritten?: (stored: JIRASync) => void) {
    this.#api = kc.makeApiClient(k8s.CustomObjectsApi);
    this.#metrics = metrics;
    this.#onWritten = onWritten;
  }

  /** Replaces the status of `obj`; returns the object as stored, or undefined when it is gone. */
  async write(obj: JIRASync, status: JIRASyncStatus): Promise<JIRASync | undefined> {
    const namespace = obj.metadata.namespace ?? 'default';
    const name = obj.metadata.name;
    const labels = { namespace, name };
    let current = obj;
    for (let attempt = 0; ; attempt++) {
      try {
        const stored = (await this.#api.replaceNamespacedCustomObjectStatus({
          group: GROUP, version: VERSION, namespace, plural: PLURAL, name,
          body: { apiVersion: current.apiVersion, kind: current.kind, metadata: current.metadata, spec: current.spec, status },
        })) as JIRASync;
        this.#metrics?.statusUpdates.inc({ ...labels, status: 'success' });
        this.#metrics?.lastStatusUpdate.set({ ...labels, sync_name: name }, Date.now() / 1000);
        this.#onWritten?.(stored);
        return stored;
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 404) return undefined;
        if ((code === 409 || (code !== undefined && code >= 500)) && attempt < 4) {
          current = (await this.#api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })) as JIRASync;
          continue;
        }
        this.#metrics?.statusUpdates.inc({ ...labels, status: 'error' });
        throw new Error(`writing status of ${namespace}/${name}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
}
