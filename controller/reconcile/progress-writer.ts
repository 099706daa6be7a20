/**
 * Throttles progress status writes during a run: at most one every `intervalMs` (2 s) per object,
 * counted from the run's start (its Running write), the latest progress always written
 * eventually, writes never overlapping. Operation changes wait their turn too: a run shorter than
 * `intervalMs`, most of a large fleet's, costs two status writes (Running and its result) instead
 * of one per operation, which nobody could have watched anyway.
 */
import type { SyncProgress } from '../sync/engine.ts';

export class ProgressWriter {
  readonly #write: (p: SyncProgress) => Promise<void>;
  readonly #observe: (p: SyncProgress, prev: SyncProgress | undefined) => void;
  readonly #intervalMs: number;
  #last = Date.now();
  #prev: SyncProgress | undefined;
  #pending: SyncProgress | undefined;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #cancelled = false;

  constructor(write: (p: SyncProgress) => Promise<void>, observe: (p: SyncProgress, prev: SyncProgress | undefined) => void, intervalMs = 2000) {
    this.#write = write;
    this.#observe = observe;
    this.#intervalMs = intervalMs;
  }

  report(p: SyncProgress): void {
    if (this.#cancelled) return;
    this.#observe(p, this.#prev);
    this.#prev = p;
    this.#pending = p;
    const wait = this.#last + this.#intervalMs - Date.now();
    if (wait <= 0) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const p = this.#pending;
    this.#pending = undefined;
    if (!p || this.#cancelled) return;
    this.#last = Date.now();
    // A failed progress write is not worth failing the sync; the final write will tell the truth.
    this.#chain = this.#chain.then(() => this.#write(p)).catch(() => undefined);
  }

  /** Waits for writes in flight; drops a pending throttled one (the final status supersedes it). */
  async flushed(): Promise<void> {
    this.#cancelled = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#chain;
  }
}
