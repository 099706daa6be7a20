/**
 * One run of one JIRASync, as the steps in this folder share it. The reconciler creates it when
 * it decides to run; each step reads what earlier steps left here and adds its own part, so a
 * failure at any step still finds what is known so far (the Jira connection, to report it).
 */
import type * as k8s from '@kubernetes/client-node';
import type { JIRASync, JIRASyncStatus } from '../../api/jirasync.ts';
import type { Checkout, GitAuth } from '../../git/destination.ts';
import type { JiraConnection } from '../../jira/source.ts';
import type { IssueSource } from '../../jira/source.ts';
import type { Outcome } from '../../status/status.ts';
import type { SyncResult } from '../../sync/engine.ts';
import type { ReconcilerDeps } from '../reconciler.ts';

export interface Run {
  readonly deps: ReconcilerDeps;
  readonly core: k8s.CoreV1Api;
  /** The object as the run started from it. */
  readonly initial: JIRASync;
  /** Its status before the run (retryCount reset for a fresh attempt). */
  readonly prevStatus: JIRASyncStatus;
  readonly key: string;
  readonly labels: { namespace: string; name: string };
  readonly startTime: Date;
  readonly hash: string;
  readonly requestedAt: string | undefined;
  /** The object as last stored: every status write replaces it. */
  obj: JIRASync;
  now(): Date;
  /** Writes the status for an outcome (status/ derives it) and keeps the per-sync metrics in step. */
  write(obj: JIRASync, outcome: Outcome, extra?: (s: JIRASyncStatus) => void): Promise<JIRASync | undefined>;

  // Filled in by the steps, in order.
  jira?: JiraConnection;
  auth?: GitAuth;
  source?: IssueSource;
  checkout?: Checkout;
  result?: SyncResult;
}
