/**
 * The controller's HTTP server (port 8080 by default), served by every replica, leader or standby:
 *
 *   GET /healthz   200 while the process runs (liveness)
 *   GET /readyz    200 or 503, JSON {ready, role, detail} (readiness: informer synced, leading or a healthy standby)
 *   GET /metrics   the Prometheus registry; OpenMetrics when the scraper asks for it
 *   /api/v1/...    the bearer-protected status API (status-api.ts)
 *
 * Errors are JSON {code, message} everywhere. Request logs carry method, path, status, duration
 * and the caller's user name; never headers, tokens or query strings.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { KubeConfig } from '@kubernetes/client-node';
import type { JIRASync } from '../api/jirasync.ts';
import type { Logger } from '../observability/log.ts';
import { errorMessage } from '../observability/redact.ts';
import { KubeAccessReviewer, type AccessReviewer, type Caller } from './auth.ts';
import { ApiError, sendError } from './errors.ts';
import { statusApi } from './status-api.ts';

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
  log: Logger;
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
  const access = deps.access ?? new KubeAccessReviewer({ kc: deps.kc, ttlMs: deps.authCacheTtlMs });
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

  app.get('/metrics', async (req, res) => {
    const { contentType, body } = await deps.registryMetrics(req.get('accept'));
    res.set('Content-Type', contentType).send(body);
  });

  app.use('/api/v1', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use('/api/v1', statusApi(deps, access, deps.defaultNamespace ?? 'default'));

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
    listen: (port, host) => listen(app, port, host),
  };
}

function listen(app: Express, port: number, host?: string): Promise<ListeningServer> {
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
        url: `http://${shown}:${addr.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
            // A client in the middle of a long response gets a moment, then is cut.
            setTimeout(() => server.closeAllConnections(), 2000).unref();
          }),
      });
    };
    // Without a host Node listens on every interface (IPv6 and IPv4 where available).
    const server: Server = host ? app.listen(port, host, onListening) : app.listen(port, onListening);
  });
}
