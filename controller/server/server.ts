/**
 * The controller's HTTP server (port 8080 by default), served by every replica, leader or standby:
 *
 *   GET /healthz   200 while the process runs (liveness)
 *   GET /readyz    200 or 503, JSON {ready, role, detail} (readiness: informer synced, leading or a healthy standby)
 *   GET /metrics   the Prometheus registry; OpenMetrics when the scraper asks for it (behind
 *                  TokenReview + SubjectAccessReview for the non-resource URL when metricsAuth is on)
 *   /api/v1/...    the bearer-protected status API (status-api.ts)
 *
 * With `tls` the same routes are served over HTTPS only. Errors are JSON {code, message} everywhere. Request logs carry method, path, status, duration
 * and the caller's user name; never headers, tokens or query strings.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { KubeConfig } from '@kubernetes/client-node';
import type { JIRASync } from '../api/jirasync.ts';
import type { Logger } from '../observability/log.ts';
import { errorMessage } from '../observability/redact.ts';
import { KubeAccessReviewer, type AccessReviewer, type Caller } from './auth.ts';
import { ApiError, sendError } from './errors.ts';
import { bearerToken, statusApi } from './status-api.ts';

export type Role = 'leader' | 'standby' | 'starting';

export interface ServerDeps {
  /** The metrics exposition; `accept` is the scraper's Accept header (OpenMetrics when it asks). */
  registryMetrics(accept?: string): Promise<{ contentType: string; body: string }>;
  /** Readiness with a short human reason. */
  ready(): { ok: boolean; detail: string };
  role(): Role;
  /** The informer cache. */
  getSync(namespace: string, name: string): JIRASync | undefined;
  listSyncs(): JIRASync[];
  /** Credentials for TokenReview and SubjectAccessReview (needs system:auth-delegator). */
  kc: KubeConfig;
  /** Namespace of /api/v1/sync/{name}/status without ?namespace= ['default']. */
  defaultNamespace?: string;
  /** How long authentication and authorization answers are cached [10 000 ms]. */
  authCacheTtlMs?: number;
  /** Replaces the TokenReview/SubjectAccessReview reviewer (tests of other modules). */
  access?: AccessReviewer;
  /** Audiences a status-API token must be valid for [the API server's own]. */
  audiences?: string[];
  /** /metrics needs a bearer token allowed `get` on the non-resource URL /metrics [false]. */
  metricsAuth?: boolean;
  /** The most JIRASyncs one list answer carries [500]. */
  listLimit?: number;
  /** Serve HTTPS with this PEM certificate and key, re-read when the files change. */
  tls?: ServingTls;
  log: Logger;
}

/** A certificate and key on disk (cert-manager's tls.crt and tls.key). */
export interface ServingTls {
  certFile: string;
  keyFile: string;
  /** How often the files are checked for a change [10 000 ms]. */
  reloadIntervalMs?: number;
}

/** A listening server. */
export interface ListeningServer {
  port: number;
  /** http://HOST:PORT */
  url: string;
  /** Stops accepting, ends idle keep-alive connections, and resolves when all are closed. */
  close(): Promise<void>;
}

export interface StatusServer {
  app: Express;
  /** Listens on host (all interfaces by default; tests pass 127.0.0.1) and port (0: any free one). */
  listen(port: number, host?: string): Promise<ListeningServer>;
}

/** Builds the express app; nothing listens until listen(). */
export function createServer(deps: ServerDeps): StatusServer {
  const log = deps.log.child({ component: 'http' });
  const access = deps.access ?? new KubeAccessReviewer({ kc: deps.kc, ttlMs: deps.authCacheTtlMs, audiences: deps.audiences?.length ? deps.audiences : undefined });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const start = performance.now();
    res.on('finish', () => {
      const caller = res.locals.caller as Caller | undefined;
      const line = { method: req.method, path: req.path, status: res.statusCode, ms: Math.round(performance.now() - start), user: caller?.username };
      if (res.statusCode >= 500) log.warn(line, 'request failed');
      else log.debug(line, 'request');
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });

  app.get('/readyz', (_req, res) => {
    const { ok, detail } = deps.ready();
    res.status(ok ? 200 : 503).json({ ready: ok, role: deps.role(), detail });
  });

  // The secure-serving model of controller-runtime: with metricsAuth, a scrape is authenticated
  // (TokenReview) and authorized (SubjectAccessReview for get on the non-resource URL /metrics).
  const metricsGuard = async (req: Request, res: Response, next: NextFunction) => {
    if (!deps.metricsAuth) return next();
    const token = bearerToken(req);
    if (!token) throw new ApiError('Unauthorized', 'a bearer token is required (Authorization: Bearer <token>)');
    const caller = await access.authenticate(token);
    if (!caller) throw new ApiError('Unauthorized', 'the bearer token is not valid');
    res.locals.caller = caller;
    if (!(await access.mayGetPath(caller, '/metrics'))) throw new ApiError('Forbidden', `${caller.username} may not get /metrics`);
    next();
  };

  app.get('/metrics', metricsGuard, async (req, res) => {
    const { contentType, body } = await deps.registryMetrics(req.get('accept'));
    res.set('Content-Type', contentType).send(body);
  });

  app.use('/api/v1', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use('/api/v1', statusApi(deps, access, deps.defaultNamespace ?? 'default', deps.listLimit ?? 500));

  app.use((req: Request, res: Response) => {
    sendError(res, 'NotFound', `no route for ${req.method} ${req.path}`);
  });

  // Express recognises an error handler by its four parameters.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ApiError) {
      if (err.status >= 500) log.warn({ err: err.message }, 'status API dependency failed');
      sendError(res, err.code, err.message);
      return;
    }
    const status = (err as { status?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendError(res, 'BadRequest', 'malformed request');
      return;
    }
    log.error({ err: errorMessage(err) }, 'request handler failed');
    sendError(res, 'InternalError', 'internal error');
  });

  return {
    app,
    listen: (port, host) => listen(app, port, host, deps.tls, log),
  };
}

/**
 * Reads the certificate and key now (a missing or bad file fails the start), then checks them
 * every interval and swaps the server's secure context when they changed, so a certificate
 * cert-manager renews is served without a restart. A bad pair on reload keeps the old one.
 */
function tlsServer(app: Express, tls: ServingTls, log: Logger): { server: Server; stop(): void } {
  const read = () => ({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) });
  let current = read();
  const server = createHttpsServer(current, app);
  const timer = setInterval(() => {
    try {
      const next = read();
      if (next.cert.equals(current.cert) && next.key.equals(current.key)) return;
      server.setSecureContext(next);
      current = next;
      log.info({ certFile: tls.certFile }, 'serving certificate reloaded');
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'serving certificate could not be reloaded; keeping the current one');
    }
  }, tls.reloadIntervalMs ?? 10_000);
  timer.unref();
  return { server, stop: () => clearInterval(timer) };
}

function listen(app: Express, port: number, host: string | undefined, tls: ServingTls | undefined, log: Logger): Promise<ListeningServer> {
  return new Promise((resolve, reject) => {
    // express 5 passes a listen error to this callback.
    const onListening = (err?: Error) => {
      if (err) {
        reject(err);
        return;
      }
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        port: addr.port,
        url: `${tls ? 'https' : 'http'}://${shown}:${addr.port}`,
        close: () =>
          new Promise<void>((done) => {
            secure?.stop();
            server.close(() => done());
            server.closeIdleConnections();
            // A client in the middle of a long response gets a moment, then is cut.
            setTimeout(() => server.closeAllConnections(), 2000).unref();
          }),
      });
    };
    // Without a host Node listens on every interface (IPv6 and IPv4 where available).
    const secure = tls ? tlsServer(app, tls, log) : undefined;
    let server: Server;
    if (secure) {
      server = secure.server;
      server.once('error', onListening);
      const ok = () => {
        server.off('error', onListening);
        onListening();
      };
      if (host) server.listen(port, host, ok);
      else server.listen(port, ok);
    } else {
      server = host ? app.listen(port, host, onListening) : app.listen(port, onListening);
    }
  });
}
