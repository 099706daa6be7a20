/**
 * Progress of one sync run: the fixed list of operations and the issue counters, reported to the
 * caller after every step and every fetched chunk. The status layer turns these into percentage
 * and ETA; the engine only counts.
 */

export const OPERATIONS = ['resolve-target', 'fetch-issues', 'write-files', 'commit', 'push'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface SyncProgress {
  operation: Operation;
  completedOperations: number;
  totalOperations: number;
  totalIssues?: number;
  processedIssues: number;
  successfulIssues: number;
  failedIssues: number;
}

/** At most this many failures are kept with their message. */
export const MAX_REPORTED_FAILURES = 20;

/** Counts issues and failures and forwards snapshots to the callback. */
export class ProgressTracker {
  operation: Operation = 'resolve-target';
  completedOperations = 0;
  totalIssues: number | undefined;
  processedIssues = 0;
  successfulIssues = 0;
  failedIssues = 0;
  readonly failures: { key: string; error: string }[] = [];
  readonly #onProgress: (p: SyncProgress) => void;

  constructor(onProgress: (p: SyncProgress) => void) {
    this.#onProgress = onProgress;
  }

  /** Enters an operation (all earlier ones count as completed) and reports. */
  enter(op: Operation): void {
    this.operation = op;
    this.completedOperations = OPERATIONS.indexOf(op);
    this.report();
  }

  /** Marks every operation completed and reports. */
  finish(): void {
    this.operation = OPERATIONS[OPERATIONS.length - 1];
    this.completedOperations = OPERATIONS.length;
    this.report();
  }

  succeeded(): void {
    this.processedIssues++;
    this.successfulIssues++;
  }

  failed(key: string, error: string): void {
    this.processedIssues++;
    this.failedIssues++;
    if (this.failures.length < MAX_REPORTED_FAILURES) this.failures.push({ key, error });
  }

  report(): void {
    const p: SyncProgress = {
      operation: this.operation,
      completedOperations: this.completedOperations,
      totalOperations: OPERATIONS.length,
      processedIssues: this.processedIssues,
      successfulIssues: this.successfulIssues,
      failedIssues: this.failedIssues,
    };
    if (this.totalIssues !== undefined) p.totalIssues = Math.max(this.totalIssues, this.processedIssues);
    try {
      this.#onProgress(p);
    } catch {
      // A failing progress listener must not fail the sync.
    }
  }
}
