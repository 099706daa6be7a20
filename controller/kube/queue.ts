/**
 * A work queue keyed by namespace/name, with client-go's guarantees: a key waiting twice is run
 * once, a key is never run by two workers at once (an add while it runs re-runs it afterwards),
 * delayed adds for schedules and retries, and a global concurrency limit. It is also fair between
 * tenants: each namespace has its own FIFO, workers take from the namespaces in turn, and no
 * namespace runs more than `perNamespace` keys at once, so one namespace with a thousand syncs
 * (or a few slow ones) cannot occupy every worker.
 */
import type { Metrics } from '../observability/metrics.ts';
import { QUEUE_NAME, CONTROLLER_NAME } from '../observability/metrics.ts';

export type Handler = (key: string, signal: AbortSignal) => Promise<void>;

export interface QueueOptions {
  /** Keys of one namespace that may run at once (default: no limit beyond the worker count). */
  perNamespace?: number;
}

const namespaceOf = (key: string): string => key.slice(0, Math.max(0, key.indexOf('/')));

export class WorkQueue {
  /** Waiting keys per namespace, each FIFO; the Map's order is the round-robin order. */
  #queues = new Map<string, string[]>();
  #length = 0;
  #runningIn = new Map<string, number>();
  readonly #perNamespace: number;
  #queued = new Set<string>();
  #addedAt = new Map<string, number>();
  #running = new Map<string, { started: number; abort: AbortController }>();
  #dirty = new Set<string>();
  #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #wake: (() => void) | undefined;
  #stopped = false;
  #metrics: Metrics | undefined;
  #gaugeTimer: NodeJS.Timeout | undefined;

  constructor(metrics?: Metrics, opts: QueueOptions = {}) {
    this.#metrics = metrics;
    this.#perNamespace = opts.perNamespace ?? Infinity;
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
    const ns = namespaceOf(key);
    const q = this.#queues.get(ns);
    if (q) q.push(key);
    else this.#queues.set(ns, [key]);
    this.#length++;
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
    if (this.#queued.delete(key)) {
      const ns = namespaceOf(key);
      const q = (this.#queues.get(ns) ?? []).filter((k) => k !== key);
      if (q.length) this.#queues.set(ns, q);
      else this.#queues.delete(ns);
      this.#length--;
    }
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
    return this.#length;
  }

  /**
   * The next key to run: the first namespace in turn that has a waiting key and is below its
   * limit; that namespace then goes to the back of the turn order.
   */
  #next(): string | undefined {
    for (const [ns, q] of this.#queues) {
      if ((this.#runningIn.get(ns) ?? 0) >= this.#perNamespace) continue;
      const key = q.shift() as string;
      this.#queues.delete(ns);
      if (q.length) this.#queues.set(ns, q);
      this.#length--;
      return key;
    }
    return undefined;
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
      const key = this.#next();
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
      const ns = namespaceOf(key);
      this.#running.set(key, { started, abort });
      this.#runningIn.set(ns, (this.#runningIn.get(ns) ?? 0) + 1);
      this.#metrics?.activeWorkers.set({ controller: CONTROLLER_NAME }, this.#running.size);
      try {
        await handler(key, abort.signal);
      } catch {
        // Handlers report their own errors; a throw here must not kill the worker.
      } finally {
        this.#running.delete(key);
        const left = (this.#runningIn.get(ns) ?? 1) - 1;
        if (left > 0) this.#runningIn.set(ns, left);
        else this.#runningIn.delete(ns);
        this.#metrics?.activeWorkers.set({ controller: CONTROLLER_NAME }, this.#running.size);
        this.#metrics?.workDuration.observe({ name: QUEUE_NAME }, (performance.now() - started) / 1000);
        if (this.#dirty.delete(key)) this.add(key);
        // A namespace at its limit may have waiting keys that other idle workers can take now.
        else if (this.#length > 0) this.#wake?.();
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
    m.queueDepth.set({ name: QUEUE_NAME }, this.#length);
    m.longestRunning.set({ name: QUEUE_NAME }, longest);
    m.unfinishedWork.set({ name: QUEUE_NAME }, total);
  }
}
