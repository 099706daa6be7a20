/**
 * HTTPS for git on node:https: an isomorphic-git HttpClient and a raw request for our own
 * protocol steps, sharing one keep-alive agent that trusts the target's extra CA certificates.
 * Credentials are never held here: isomorphic-git passes them per request (from onAuth), and our
 * own requests get an Authorization header from the caller; neither is logged or written to disk.
 */
import { Agent, request as httpsRequest } from 'node:https';
import { Readable, Transform } from 'node:stream';
import * as tls from 'node:tls';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { toGitError, GitInvalidTargetError } from './errors.ts';

export interface TransportOptions {
  /** Extra CA certificates (PEM) trusted in addition to the default ones. */
  caCertificates?: string;
  /** A connection idle this long fails the request (default 120 s). */
  idleTimeoutMs?: number;
  /**
   * The controller's egress policy (controller/egress/): URLs are checked before a request, and
   * every address a host resolves to at connect time; absent, any https host is reached.
   */
  egress?: { checkUrl(url: string): unknown; lookup(): NonNullable<ConstructorParameters<typeof Agent>[0]>['lookup'] };
  /** Largest response body accepted (default 2 GiB: a pack of a very large repository). */
  maxResponseBytes?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 ** 3;

/** The server sent more than the cap allows; the body stream fails with this. */
export class ResponseTooLargeError extends Error {
  readonly code = 'ERESPONSETOOLARGE';
  readonly failureReason = 'ResponseTooLarge';
  constructor(max: number) {
    super(`the response exceeded the controller's size cap of ${max} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** A pass-through that fails the stream once more than `max` bytes went by. */
function capped(res: Readable, max: number): Readable {
  let seen = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) {
        res.destroy();
        done(new ResponseTooLargeError(max));
      } else done(null, chunk);
    },
  });
  res.on('error', (err) => out.destroy(err));
  return res.pipe(out);
}

export interface RawRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A whole body, or a stream with its length (so the server sees Content-Length). */
  body?: Uint8Array | { stream: Readable; length: number };
  signal?: AbortSignal;
}

export interface RawResponse {
  url: string;
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
  /** The response body, failing with ResponseTooLargeError past the transport's cap. */
  body: Readable;
}

export interface Transport {
  request(req: RawRequest): Promise<RawResponse>;
  /** An isomorphic-git HttpClient whose requests are all cancelled by signal. */
  client(signal?: AbortSignal): HttpClient;
  /** Closes idle connections. */
  close(): void;
}

const MAX_REDIRECTS = 5;
export const USER_AGENT = 'git/isomorphic-git jirasync';

function defaultCas(): string[] {
  const getter = (tls as { getCACertificates?: (kind?: string) => string[] }).getCACertificates;
  return getter ? getter('default') : [...tls.rootCertificates];
}

/**
 * One secure context per set of extra CA certificates, kept for the process: given `ca`, every
 * connection would parse the whole default bundle again (most of a small sync's TLS cost).
 * Bounded, oldest out: the set of distinct CA bundles is the set of repositories' settings.
 */
const secureContexts = new Map<string, tls.SecureContext>();
const MAX_SECURE_CONTEXTS = 64;

function secureContextFor(caCertificates: string): tls.SecureContext {
  let ctx = secureContexts.get(caCertificates);
  if (!ctx) {
    ctx = tls.createSecureContext({ ca: [...defaultCas(), caCertificates] });
    if (secureContexts.size >= MAX_SECURE_CONTEXTS) secureContexts.delete(secureContexts.keys().next().value!);
    secureContexts.set(caCertificates, ctx);
  }
  return ctx;
}

function newAgent(opts: Pick<TransportOptions, 'caCertificates' | 'egress'>, shared: boolean): Agent {
  return new Agent({
    keepAlive: true,
    // A private agent serves one run's sequential requests; a shared one every run at once.
    ...(shared ? { maxFreeSockets: 8, timeout: IDLE_SOCKET_MS } : { maxSockets: 4 }),
    ...(opts.egress ? { lookup: opts.egress.lookup() } : {}),
    ...(opts.caCertificates ? { secureContext: secureContextFor(opts.caCertificates) } : {}),
  });
}

/**
 * An idle kept-alive connection of a shared agent is closed after this long: below common servers'
 * own keep-alive timeouts (5 s for Node's), so a request rarely goes out on a connection the server
 * is closing at that moment (a push's streamed pack could not be sent again).
 */
const IDLE_SOCKET_MS = 4_000;

/**
 * Keep-alive agents shared by the runs of one git destination, one per set of extra CA
 * certificates (bounded, oldest out), so that consecutive runs against one git host reuse a
 * connection (or at least its TLS session) instead of a full handshake each. Connections carry no
 * credentials: each request brings its own Authorization header.
 */
export class AgentPool {
  readonly #agents = new Map<string, Agent>();
  readonly #egress: TransportOptions['egress'];

  constructor(egress?: TransportOptions['egress']) {
    this.#egress = egress;
  }

  get(caCertificates?: string): Agent {
    const key = caCertificates ?? '';
    let agent = this.#agents.get(key);
    if (!agent) {
      agent = newAgent({ caCertificates, egress: this.#egress }, true);
      if (this.#agents.size >= MAX_SECURE_CONTEXTS) {
        const [oldest, old] = this.#agents.entries().next().value!;
        this.#agents.delete(oldest);
        old.destroy();
      }
      this.#agents.set(key, agent);
    }
    return agent;
  }

  close(): void {
    for (const a of this.#agents.values()) a.destroy();
    this.#agents.clear();
  }
}

/**
 * Creates the transport for one repository. Only https:// URLs are accepted. With `agent` (from
 * an AgentPool) connections outlive the transport; without, close() ends its own.
 */
export function createTransport(opts: TransportOptions & { agent?: Agent } = {}): Transport {
  const agent = opts.agent ?? newAgent(opts, false);
  const idle = opts.idleTimeoutMs ?? 120_000;
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  function once(req: RawRequest, url: string): Promise<RawResponse & { reused?: boolean }> {
    return new Promise((resolve, reject) => {
      req.signal?.throwIfAborted();
      const headers: Record<string, string | number> = { 'User-Agent': USER_AGENT, ...req.headers };
      let body: Uint8Array | undefined;
      let stream: Readable | undefined;
      if (req.body instanceof Uint8Array) {
        body = req.body;
        headers['Content-Length'] = body.byteLength;
      } else if (req.body) {
        stream = req.body.stream;
        headers['Content-Length'] = req.body.length;
      }
      const r = httpsRequest(url, { method: req.method, headers, agent, signal: req.signal }, (res) => {
        res.setTimeout(idle, () => res.destroy(Object.assign(new Error(`no data for ${idle} ms`), { code: 'ETIMEDOUT' })));
        const h: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ url, statusCode: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: h, body: capped(res, maxBytes) });
      });
      r.setTimeout(idle, () => r.destroy(Object.assign(new Error(`no answer for ${idle} ms`), { code: 'ETIMEDOUT' })));
      r.on('error', (err) => reject(Object.assign(err, { reusedSocket: r.reusedSocket })));
      if (stream) {
        stream.on('error', (err) => r.destroy(err));
        stream.pipe(r);
      } else r.end(body);
    });
  }

  async function request(req: RawRequest): Promise<RawResponse> {
    let url = req.url;
    if (!url.startsWith('https://')) throw new GitInvalidTargetError(`only https:// repository URLs are supported`);
    opts.egress?.checkUrl(url);
    for (let hop = 0; ; hop++) {
      let res: RawResponse;
      try {
        res = await once(req, url);
      } catch (err) {
        // A kept-alive connection the server closed while idle: resend once on a fresh one
        // (not for a streamed body, which cannot be replayed).
        const e = err as { code?: string; reusedSocket?: boolean };
        if (!(e.reusedSocket && e.code === 'ECONNRESET' && !(req.body && !(req.body instanceof Uint8Array)))) throw toGitError(err, req.url, req.signal);
        try {
          res = await once(req, url);
        } catch (again) {
          throw toGitError(again, req.url, req.signal);
        }
      }
      const location = res.headers.location;
      // Follow same-origin redirects of GETs only: credentials must not travel to another host.
      if (req.method === 'GET' && location && [301, 302, 303, 307, 308].includes(res.statusCode) && hop < MAX_REDIRECTS) {
        const next = new URL(location, url);
        if (next.origin === new URL(url).origin) {
          opts.egress?.checkUrl(next.toString());
          res.body.resume();
          url = next.toString();
          continue;
        }
      }
      return res;
    }
  }

  return {
    request,
    client(signal) {
      return {
        async request(r: GitHttpRequest): Promise<GitHttpResponse> {
          const chunks: Uint8Array[] = [];
          if (r.body) for await (const c of r.body as AsyncIterable<Uint8Array>) chunks.push(c);
          const method = (r.method ?? 'GET').toUpperCase() === 'POST' ? 'POST' : 'GET';
          const res = await request({
            url: r.url,
            method,
            headers: r.headers ?? {},
            body: r.body ? Buffer.concat(chunks) : undefined,
            signal: signal ?? r.signal,
          });
          return {
            url: res.url,
            method,
            statusCode: res.statusCode,
            statusMessage: res.statusMessage,
            headers: res.headers,
            body: res.body as unknown as AsyncIterableIterator<Uint8Array>,
          };
        },
      };
    },
    close: () => {
      if (!opts.agent) agent.destroy();
    },
  };
}

/** The Authorization header value for Basic auth; built per request, never stored. */
export function basicAuthHeader(auth: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}
