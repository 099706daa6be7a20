/**
 * Kubernetes Events on a JIRASync (core/v1, what `kubectl describe` shows). The reconciler emits
 * them on transitions only — a run started, a commit pushed, a failure, a retry scheduled, Jira
 * updated — never on a no-op resync. Messages are redacted.
 */
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { JIRASync } from '../api/jirasync.ts';
import type { FailureReason } from '../api/reasons.ts';
import type { Logger } from '../observability/log.ts';
import { redact } from '../observability/redact.ts';

export const EVENT_REASONS = {
  SyncStarted: 'SyncStarted',
  SyncCompleted: 'SyncCompleted',
  RetryScheduled: 'RetryScheduled',
  JiraUpdated: 'JiraUpdated',
  JiraUpdateFailed: 'JiraUpdateFailed',
  Suspended: 'Suspended',
} as const;

/** A Warning about a failed run carries the run's failure reason itself (as Flux does). */
export type EventReason = (typeof EVENT_REASONS)[keyof typeof EVENT_REASONS] | FailureReason;

export class EventRecorder {
  readonly #core: k8s.CoreV1Api;
  readonly #instance: string;
  readonly #log: Logger;

  constructor(kc: k8s.KubeConfig, instance: string, log: Logger) {
    this.#core = kc.makeApiClient(k8s.CoreV1Api);
    this.#instance = instance;
    this.#log = log;
  }

  /** Records an Event; failures are logged, never thrown (an Event is not worth failing a sync). */
  async record(obj: JIRASync, type: 'Normal' | 'Warning', reason: EventReason, message: string): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const now = new Date();
    const body: k8s.CoreV1Event = {
      metadata: { name: `${obj.metadata.name}.${now.getTime().toString(16)}${randomBytes(2).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion,
      },
      type,
      reason,
      message: redact(message).slice(0, 1024),
      source: { component: 'jirasync-controller' },
      reportingComponent: 'jirasync-controller',
      reportingInstance: this.#instance,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      action: reason,
    };
    try {
      await this.#core.createNamespacedEvent({ namespace, body });
    } catch (err) {
      this.#log.warn({ namespace, name: obj.metadata.name, reason, err: (err as Error).message }, 'could not record Event');
    }
  }
}
