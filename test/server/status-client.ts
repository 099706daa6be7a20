/**
 * A typed client for the status API (the counterpart of the Go client in the status guide):
 *
 *   const client = new StatusClient({ baseUrl: 'http://jirasync:8080', token });
 *   const status = await client.getJobStatus('example-sync', 'team-a');
 *   for await (const s of client.watch('example-sync', { namespace: 'team-a', intervalMs: 10_000,
 *                                                        until: (s) => s.phase === 'Completed' || s.phase === 'Failed' })) {
 *     console.log(s.phase, s.progress?.percentage);
 *   }
 *
 * It uses only fetch and timers (no Node modules), so scripts and browser dashboards can share it.
 */
import type { JIRASyncStatus } from '../../controller/api/jirasync.ts';
import type { ErrorBody, ErrorCode } from '../../controller/server/errors.ts';
import type { SyncSummary } from '../../controller/server/status-api.ts';

export type { SyncSummary };

export interface StatusClientOptions {
  /** e.g. http://jirasync.jirasync-system.svc:8080 */
  baseUrl: string;
  /** A bearer token, or a function returning the current one (a projected token file rotates). */
  token: string | (() => string | Promise<string>);
  /** Per-request timeout [30 000 ms]. */
  timeoutMs?: number;
}

export interface WatchOptions {
  /** Namespace of the JIRASync; the server's default namespace when omitted. */
  namespace?: string;
  /** Pause between polls. */
  intervalMs: number;
  /** Ends the iteration after yielding the first status for which this is true. */
  until?: (status: JIRASyncStatus) => boolean;
  /** Ends the iteration (quietly) when aborted. */
  signal?: AbortSignal;
}

/** An error answer of the status API (or a transport failure, code 'Unavailable'). */
export class StatusApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'Unavailable';

  constructor(status: number, code: ErrorCode | 'Unavailable', message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StatusApiError';
    this.status = status;
    this.code = code;
  }
}

/** Reads JIRASync status from the controller's status API. */
export class StatusClient {
  readonly #baseUrl: string;
  readonly #token: StatusClientOptions['token'];
  readonly #timeoutMs: number;

  constructor(opts: StatusClientOptions) {
    this.#baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** The status of one JIRASync (`.data` of GET /api/v1/namespaces/{ns}/syncs/{name}/status). */
  async getJobStatus(name: string, namespace?: string, opts: { signal?: AbortSignal } = {}): Promise<JIRASyncStatus> {
    const path =
      namespace === undefined
        ? `/api/v1/sync/${encodeURIComponent(name)}/status`
        : `/api/v1/namespaces/${encodeURIComponent(namespace)}/syncs/${encodeURIComponent(name)}/status`;
    return (await this.#get<{ data: JIRASyncStatus }>(path, opts.signal)).data;
  }

  /** Every JIRASync the token may read, sorted by namespace and name. */
  async listSyncs(opts: { signal?: AbortSignal } = {}): Promise<SyncSummary[]> {
    return (await this.#get<{ data: SyncSummary[] }>('/api/v1/syncs', opts.signal)).data;
  }

  /**
   * Polls one JIRASync's status every `intervalMs`, yielding each status read, until `until`
   * holds (that status is yielded last) or the signal aborts. Errors end the iteration by throwing.
   */
  async *watch(name: string, opts: WatchOptions): AsyncGenerator<JIRASyncStatus, void, undefined> {
    const { signal } = opts;
    while (!signal?.aborted) {
      let status: JIRASyncStatus;
      try {
        status = await this.getJobStatus(name, opts.namespace, { signal });
      } catch (err) {
        if (signal?.aborted) return;
        throw err;
      }
      yield status;
      if (opts.until?.(status)) return;
      if (!(await pause(opts.intervalMs, signal))) return;
    }
  }

  async #get<T>(path: string, signal?: AbortSignal): Promise<T> {
    const token = typeof this.#token === 'function' ? await this.#token() : this.#token;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${this.#baseUrl}${path}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      throw new StatusApiError(0, 'Unavailable', `GET ${path}: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      let body: Partial<ErrorBody> = {};
      try {
        body = JSON.parse(text) as Partial<ErrorBody>;
      } catch {
        /* not JSON: a proxy in between answered */
      }
      const code = body.code ?? (res.status === 503 ? 'ServiceUnavailable' : 'InternalError');
      throw new StatusApiError(res.status, code, `GET ${path}: ${res.status} ${code}: ${body.message ?? text.slice(0, 200)}`);
    }
    return JSON.parse(text) as T;
  }
}

/** Waits `ms`; false when the signal aborted first. */
function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
