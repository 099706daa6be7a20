/**
 * Reads one JIRASync straight from the API server. The informer's copy can lag behind the status
 * this replica has just written; a reconcile that started from that stale status would redo a run
 * it had already finished, or put back a status that a later write replaced.
 */
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type JIRASync } from '../api/jirasync.ts';

export type FreshRead = (namespace: string, name: string) => Promise<JIRASync | undefined>;

export function freshReader(kc: k8s.KubeConfig): FreshRead {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  return async (namespace, name) => {
    try {
      return (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })) as JIRASync;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };
}
