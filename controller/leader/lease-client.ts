/**
 * The three Lease calls the elector makes (get, create, replace), each bounded by a timeout so a
 * hung connection can never hold up the renew deadline, and a watch on the one Lease that tells
 * the elector when it changed. The watch is only a hint to look again: every decision is made on
 * a fresh read or on the answer to a write, never on a watch event that may arrive out of order.
 */
import {
  CoordinationV1Api,
  Observable,
  Watch,
  type ConfigurationOptions,
  type KubeConfig,
  type ObservableMiddleware,
  type V1Lease,
} from '@kubernetes/client-node';

/** An API error's HTTP status, or undefined for network errors and timeouts. */
export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Per-request options that abort the request when the signal fires. */
export function withSignal(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  return {
    middleware: [
      {
        pre: (ctx) => {
          ctx.setSignal(signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (res) => new Observable(Promise.resolve(res)),
      },
    ],
    // Keep the KubeConfig's own middleware (authentication) and add ours after it.
    middlewareMergeStrategy: 'append',
  };
}

/** Get, create and replace of one Lease, every call bounded by `timeoutMs`. */
export class LeaseClient {
  readonly namespace: string;
  readonly name: string;
  readonly #api: CoordinationV1Api;
  readonly #timeoutMs: number;

  constructor(kc: KubeConfig, namespace: string, name: string, timeoutMs: number) {
    this.namespace = namespace;
    this.name = name;
    this.#api = kc.makeApiClient(CoordinationV1Api);
    this.#timeoutMs = timeoutMs;
  }

  /** The Lease, or undefined when it does not exist. */
  async get(signal?: AbortSignal): Promise<V1Lease | undefined> {
    try {
      return await this.#api.readNamespacedLease({ name: this.name, namespace: this.namespace }, this.#options(signal));
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  /** Creates the Lease; throws with code 409 when someone created it first. */
  create(spec: V1Lease['spec'], signal?: AbortSignal): Promise<V1Lease> {
    return this.#api.createNamespacedLease(
      { namespace: this.namespace, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.namespace }, spec } },
      this.#options(signal),
    );
  }

  /** Replaces the spec of the Lease last read; throws with code 409 when it changed since. */
  replace(current: V1Lease, spec: V1Lease['spec'], signal?: AbortSignal): Promise<V1Lease> {
    const body: V1Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: current.metadata, spec };
    return this.#api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body }, this.#options(signal));
  }

  #options(signal?: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    return withSignal(signal ? AbortSignal.any([signal, timeout]) : timeout);
  }
}

/** What a LeaseWatch reports: the resourceVersion of every change it saw. */
export interface LeaseWatchEvents {
  onChange(resourceVersion: string | undefined): void;
  /** The watch ended with an error; `denied` when RBAC forbids watching (then it retries rarely). */
  onError?(err: unknown, denied: boolean): void;
}

/** How long to wait before watching again after RBAC refused the watch. */
const DENIED_RETRY_MS = 5 * 60_000;

function watchStatus(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Watches one Lease and reconnects after `retryMs` whenever the watch ends (server timeout, network
 * error, API server restart). Stopped by stop(); never throws.
 */
export class LeaseWatch {
  readonly #watch: Watch;
  readonly #path: string;
  readonly #name: string;
  readonly #retryMs: number;
  readonly #events: LeaseWatchEvents;
  #abort: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(kc: KubeConfig, namespace: string, name: string, retryMs: number, events: LeaseWatchEvents) {
    this.#watch = new Watch(kc);
    this.#path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
    this.#name = name;
    this.#retryMs = retryMs;
    this.#events = events;
  }

  start(): void {
    void this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort?.abort();
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    try {
      this.#abort = await this.#watch.watch(
        this.#path,
        // The server ends the watch after this many seconds; we reconnect, which also recovers a
        // watch that went silent without an error.
        { fieldSelector: `metadata.name=${this.#name}`, timeoutSeconds: 25 + Math.floor(Math.random() * 5) },
        (type: string, obj: V1Lease | undefined) => {
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.#events.onChange(obj?.metadata?.resourceVersion);
        },
        (err: unknown) => this.#ended(err),
      );
      if (this.#stopped) this.#abort.abort();
    } catch (err) {
      this.#ended(err);
    }
  }

  #ended(err: unknown): void {
    if (this.#stopped) return;
    const status = watchStatus(err);
    const denied = status === 401 || status === 403;
    if (err) this.#events.onError?.(err, denied);
    clearTimeout(this.#timer);
    // Polling covers for the watch, so a refused watch is not worth a request every period.
    this.#timer = setTimeout(() => void this.#connect(), denied ? DENIED_RETRY_MS : this.#retryMs);
  }
}
