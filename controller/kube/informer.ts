/**
 * List-then-watch of JIRASyncs with a cache, hardened against the client's known failures:
 * watches that go silent without an error (a watchdog re-lists after `silenceSeconds` without an
 * event or bookmark), 410 Gone (re-list), reconnect storms (exponential backoff with jitter), and
 * drift (a periodic full re-list that reports only objects whose resourceVersion changed).
 */
import * as k8s from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { GROUP, PLURAL, VERSION, type JIRASync } from '../api/jirasync.ts';
import type { Logger } from '../observability/log.ts';
import type { Metrics } from '../observability/metrics.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type EventHandler = (type: EventType, obj: JIRASync, old: JIRASync | undefined) => void;

export interface InformerOptions {
  kc: k8s.KubeConfig;
  /** Namespaces to watch; empty or undefined for all. */
  namespaces?: string[];
  /** Only objects matching this label selector (a shard's, api/shard.ts); objects leaving it are DELETED. */
  labelSelector?: string;
  onEvent: EventHandler;
  log: Logger;
  metrics?: Metrics;
  silenceSeconds?: number;
  relistSeconds?: number;
  /** Objects per page of a list (default 500). */
  listPage?: number;
}

export const keyOf = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace}/${o.metadata.name}`;

/** Watches one scope (all namespaces or one) and keeps `cache` current. */
class ScopeWatcher {
  #rv = '';
  #abort: AbortController | undefined;
  #lastEvent = Date.now();
  #stopped = false;
  #synced = false;
  readonly #path: string;
  readonly #opts: InformerOptions;
  readonly #cache: Map<string, JIRASync>;
  readonly #namespace: string | undefined;
  #relistRequested: string | undefined;

  constructor(opts: InformerOptions, cache: Map<string, JIRASync>, namespace: string | undefined) {
    this.#opts = opts;
    this.#cache = cache;
    this.#namespace = namespace;
    this.#path = namespace
      ? `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
  }

  get synced() {
    return this.#synced;
  }

  secondsSinceLastEvent(): number {
    return (Date.now() - this.#lastEvent) / 1000;
  }

  /** Asks the loop to re-list at once (periodic re-list). */
  requestRelist(reason: string): void {
    this.#relistRequested = reason;
    this.#abort?.abort(new Error(reason));
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort(new Error('stopped'));
  }

  /** Runs list+watch cycles until stopped. `firstSync` resolves after the first successful list. */
  async run(firstSync: () => void): Promise<void> {
    let failures = 0;
    let needList = true;
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
          if (!this.#synced) {
            this.#synced = true;
            firstSync();
          }
        }
        const started = Date.now();
        const outcome = await this.#watchOnce();
        if (Date.now() - started > 30_000) failures = 0;
        if (this.#stopped) return;
        this.#opts.metrics?.watchRestarts.inc({ reason: outcome });
        this.#opts.log.debug({ scope: this.#namespace ?? '*', reason: outcome }, 'watch restarting');
        if (outcome === 'gone' || outcome === 'silent' || outcome === 'relist') needList = true;
        if (outcome === 'error') failures++;
      } catch (err) {
        if (this.#stopped) return;
        failures++;
        needList = true;
        this.#opts.metrics?.watchRestarts.inc({ reason: 'error' });
        this.#opts.log.warn({ scope: this.#namespace ?? '*', err }, 'JIRASync list failed; retrying');
      }
      if (failures > 0) await sleep(backoffMs(failures));
    }
  }

  /**
   * Lists in pages (of 500 unless listPage says otherwise) of one consistent snapshot, as
   * client-go's pager does: a fleet of thousands is never one response of tens of MiB held at
   * once next to the cache.
   */
  async #list(): Promise<void> {
    const api = this.#opts.kc.makeApiClient(k8s.CustomObjectsApi);
    const labelSelector = this.#opts.labelSelector;
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = { group: GROUP, version: VERSION, plural: PLURAL, labelSelector, limit: this.#opts.listPage ?? 500, _continue: cont };
      const res = (this.#namespace
        ? await api.listNamespacedCustomObject({ ...page, namespace: this.#namespace })
        : await api.listClusterCustomObject(page)) as { items: JIRASync[]; metadata: { resourceVersion: string; continue?: string } };
      this.#lastEvent = Date.now();
      for (const obj of res.items) {
        slim(obj);
        const key = keyOf(obj);
        seen.add(key);
        const old = this.#cache.get(key);
        if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) continue;
        this.#cache.set(key, obj);
        this.#opts.onEvent(old ? 'MODIFIED' : 'ADDED', obj, old);
      }
      rv = res.metadata.resourceVersion;
      cont = res.metadata.continue || undefined;
    } while (cont);
    for (const [key, old] of this.#cache) {
      if (!this.#inScope(old) || seen.has(key)) continue;
      this.#cache.delete(key);
      this.#opts.onEvent('DELETED', old, old);
    }
    this.#rv = rv;
  }

  #inScope(obj: JIRASync): boolean {
    return this.#namespace === undefined || obj.metadata.namespace === this.#namespace;
  }

  /** One watch request; resolves with why it ended. */
  #watchOnce(): Promise<'closed' | 'error' | 'silent' | 'gone' | 'relist'> {
    const silenceMs = (this.#opts.silenceSeconds ?? 300) * 1000;
    // Ask the server to end the watch first (client-go picks 5-10 min); the watchdog is the backstop.
    const timeoutSeconds = Math.max(5, Math.floor((silenceMs / 1000) * (0.5 + Math.random() * 0.4)));
    const watch = new k8s.Watch(this.#opts.kc);
    // The client's inactivity timeout is our watchdog: no event and no bookmark for this long means
    // the connection is dead even if no error was raised.
    // The field is private in the typings but is the only knob (client-node 2.0.1).
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = silenceMs;
    return new Promise((resolve) => {
      let settled = false;
      let gone = false;
      const finish = (why: 'closed' | 'error' | 'silent' | 'gone' | 'relist') => {
        if (settled) return;
        settled = true;
        resolve(why);
      };
      watch
        .watch(
          this.#path,
          { allowWatchBookmarks: true, resourceVersion: this.#rv, timeoutSeconds, ...(this.#opts.labelSelector ? { labelSelector: this.#opts.labelSelector } : {}) },
          (type: string, obj: JIRASync & { code?: number }) => {
            this.#lastEvent = Date.now();
            if (type === 'BOOKMARK') {
              this.#rv = obj.metadata.resourceVersion ?? this.#rv;
              return;
            }
            if (type === 'ERROR') {
              if (obj.code === 410) gone = true;
              this.#abort?.abort(new Error('watch error event'));
              return;
            }
            this.#apply(type as EventType, obj);
          },
          (err: unknown) => {
            if (this.#relistRequested) {
              this.#relistRequested = undefined;
              return finish('relist');
            }
            if (gone) return finish('gone');
            if (!err) return finish('closed');
            if ((err as Error).name === 'TimeoutError') return finish('silent');
            if ((err as Error).name === 'AbortError') return finish('closed');
            this.#opts.log.warn({ scope: this.#namespace ?? '*', err: (err as Error).message }, 'JIRASync watch failed');
            finish('error');
          },
        )
        .then((abort) => {
          this.#abort = abort;
          if (this.#stopped || this.#relistRequested) abort.abort();
        })
        .catch(() => finish('error'));
    });
  }

  #apply(type: EventType, obj: JIRASync): void {
    slim(obj);
    if (obj.metadata.resourceVersion) this.#rv = obj.metadata.resourceVersion;
    const key = keyOf(obj);
    const old = this.#cache.get(key);
    if (type === 'DELETED') {
      this.#cache.delete(key);
      this.#opts.onEvent('DELETED', obj, old);
      return;
    }
    this.#cache.set(key, obj);
    this.#opts.onEvent(old ? 'MODIFIED' : 'ADDED', obj, old);
  }
}

/**
 * What the cache keeps of an object: without managedFields (as controller-runtime's
 * TransformStripManagedFields), often the largest part of a JIRASync and read by nothing here.
 */
function slim(obj: JIRASync): void {
  obj.apiVersion ??= `${GROUP}/${VERSION}`;
  obj.kind ??= 'JIRASync';
  delete (obj.metadata as { managedFields?: unknown }).managedFields;
}

/** Exponential backoff with full jitter, 0.5 s to 30 s: no storm of watch requests after a reconnect. */
export function backoffMs(failures: number): number {
  const cap = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 10));
  return cap / 2 + Math.random() * (cap / 2);
}

/** The JIRASync informer: one watcher per watched namespace, or one for all. */
export class JIRASyncInformer {
  readonly #cache = new Map<string, JIRASync>();
  readonly #scopes: ScopeWatcher[];
  readonly #opts: InformerOptions;
  #timers: NodeJS.Timeout[] = [];
  #runs: Promise<void>[] = [];

  constructor(opts: InformerOptions) {
    this.#opts = opts;
    const namespaces = opts.namespaces?.filter(Boolean) ?? [];
    this.#scopes = namespaces.length ? namespaces.map((ns) => new ScopeWatcher(opts, this.#cache, ns)) : [new ScopeWatcher(opts, this.#cache, undefined)];
  }

  /** Starts watching; resolves once every scope has listed once. */
  async start(): Promise<void> {
    const synced = this.#scopes.map((s) => new Promise<void>((resolve) => this.#runs.push(s.run(resolve))));
    const relistMs = (this.#opts.relistSeconds ?? 1800) * 1000;
    const relist = setInterval(() => this.#scopes.forEach((s) => s.requestRelist('relist')), relistMs);
    relist.unref();
    const gauge = setInterval(() => this.#opts.metrics?.watchSilence.set(this.secondsSinceLastEvent()), 1000);
    gauge.unref();
    this.#timers.push(relist, gauge);
    await Promise.all(synced);
  }

  hasSynced(): boolean {
    return this.#scopes.every((s) => s.synced);
  }

  secondsSinceLastEvent(): number {
    return Math.max(...this.#scopes.map((s) => s.secondsSinceLastEvent()));
  }

  get(namespace: string, name: string): JIRASync | undefined {
    return this.#cache.get(`${namespace}/${name}`);
  }

  list(): JIRASync[] {
    return [...this.#cache.values()];
  }

  async stop(): Promise<void> {
    this.#timers.forEach(clearInterval);
    this.#scopes.forEach((s) => s.stop());
    await Promise.all(this.#runs);
  }
}
