/**
 * A work queue keyed by namespace/name, with client-go's guarantees: a key waiting twice is run
 * once, a key is never run by two workers at once (an add while it runs re-runs it afterwards),
 * delayed adds for schedules and retries, and a global concurrency limit.
 */
import type { Metrics } from '../observability/metrics.ts';
import { QUEUE_NAME, CONTROLLER_NAME } from '../observability/metrics.ts';

export type Handler = (key: string, signal: AbortSignal) => Promise<void>;

export class WorkQueue {
  #queue: string[] = [];
  #queued = new Set<string>();
  #addedAt = new Map<string, number>();
  #running = new Map<string, { started: number; abort: AbortController }>();
  #dirty = new Set<string>();
  #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #wake: (() => void) | undefined;
  #stopped = false;
  #metrics: Metrics | undefined;
  #gaugeTimer: NodeJS.Timeout | undefined;

  constructor(metrics?: Metrics) {
    this.#metrics = metrics;
    if (metrics) {
      this.#gaugeTimer = setInterval(() => this.#updateGauges(), 1000);
      this.#gaugeTimer.unref();
    }
  }

  /** Queues the key now (no-op when already waiting; re-run after finishing when running). */
  add(key: string): void {
    if (this.#stopped) return;
    this.#cancelTimer(key);
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#addedAt.set(key, performance.now());
    this.#queue.push(key);
    this.#metrics?.queueAdds.inc({ name: QUEUE_NAME });
    this.#wake?.();
  }

  /** Queues the key after a delay; an earlier pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#stopped) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const existing = this.#timers.get(key);
    if (existing && existing.at <= at) return;
    this.#cancelTimer(key);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Counts a retry (for metrics) and queues the key after the delay. */
  retryAfter(key: string, delayMs: number): void {
    this.#metrics?.queueRetries.inc({ name: QUEUE_NAME });
    this.addAfter(key, delayMs);
  }

  /** Forgets a key: pending delays dropped, a running handler aborted. */
  forget(key: string, reason = 'deleted'): void {
    this.#cancelTimer(key);
    this.#dirty.delete(key);
    this.#running.get(key)?.abort.abort(new Error(reason));
    if (this.#queued.delete(key)) this.#queue = this.#queue.filter((k) => k !== key);
  }

  /** Aborts the run of a key if one is in progress (e.g. the spec changed); re-queues it. */
  restart(key: string, reason: string): void {
    const run = this.#running.get(key);
    if (run) {
      run.abort.abort(new Error(reason));
      this.#dirty.add(key);
    } else this.add(key);
  }

  isRunning(key: string): boolean {
    return this.#running.has(key);
  }

  /** When the key's delayed add is due, if any. */
  scheduledAt(key: string): number | undefined {
    return this.#timers.get(key)?.at;
  }

  get length(): number {
    return this.#queue.length;
  }

  /** Runs workers until stop(); resolves when all have finished. */
  async run(handler: Handler, concurrency: number): Promise<void> {
    this.#metrics?.maxConcurrent.set({ controller: CONTROLLER_NAME }, concurrency);
    const workers = Array.from({ length: concurrency }, () => this.#worker(handler));
    await Promise.all(workers);
  }

  /** Stops handing out work and aborts running handlers; run() resolves once they return. */
  stop(reason = 'stopping'): void {
    this.#stopped = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const r of this.#running.values()) r.abort.abort(new Error(reason));
    if (this.#gaugeTimer) clearInterval(this.#gaugeTimer);
    this.#wake?.();
  }

  async #worker(handler: Handler): Promise<void> {
    while (!this.#stopped) {
      const key = this.#queue.shift();
      if (key === undefined) {
        await new Promise<void>((resolve) => {
          const prev = this.#wake;
          this.#wake = () => {
            this.#wake = undefined;
            prev?.();
            resolve();
          };
        });
        continue;
      }
      this.#queued.delete(key);
      const addedAt = this.#addedAt.get(key) ?? performance.now();
      this.#addedAt.delete(key);
      const started = performance.now();
      this.#metrics?.queueLatency.observe({ name: QUEUE_NAME }, (started - addedAt) / 1000);
      const abort = new AbortController();
      this.#running.set(key, { started, abort });
      this.#metrics?.activeWorkers.set({ controller: CONTROLLER_NAME }, this.#running.size);
      try {
        await handler(key, abort.signal);
      } catch {
        // Handlers report their own errors; a throw here must not kill the worker.
      } finally {
        this.#running.delete(key);
        this.#metrics?.activeWorkers.set({ controller: CONTROLLER_NAME }, this.#running.size);
        this.#metrics?.workDuration.observe({ name: QUEUE_NAME }, (performance.now() - started) / 1000);
        if (this.#dirty.delete(key)) this.add(key);
      }
    }
  }

  #cancelTimer(key: string): void {
    const t = this.#timers.get(key);
    if (t) clearTimeout(t.timer);
    this.#timers.delete(key);
  }

  #updateGauges(): void {
    const m = this.#metrics;
    if (!m) return;
    const now = performance.now();
    let longest = 0;
    let total = 0;
    for (const r of this.#running.values()) {
      const age = (now - r.started) / 1000;
      longest = Math.max(longest, age);
      total += age;
    }
    m.queueDepth.set({ name: QUEUE_NAME }, this.#queue.length);
    m.longestRunning.set({ name: QUEUE_NAME }, longest);
    m.unfinishedWork.set({ name: QUEUE_NAME }, total);
  }
}
