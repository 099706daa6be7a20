/**
 * The status API: a JIRASync's status for scripts and dashboards, read from the controller's
 * informer cache, behind TokenReview + SubjectAccessReview.
 *
 *   GET /api/v1/sync/{name}/status?namespace=NS          → {"data": <status>}   (NS: the default namespace)
 *   GET /api/v1/namespaces/{ns}/syncs/{name}/status      → {"data": <status>}
 *   GET /api/v1/syncs                                    → {"data": [{namespace, name, syncType, status}]}
 *                                                          (+ "truncated": true, "total" when cut at the list limit)
 *
 * Order of checks: authenticate (401), validate the request (400), authorize (403), look up
 * (404), so nothing about an object is revealed to a caller who may not read it.
 */
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { JIRASync, JIRASyncStatus, SyncType } from '../api/jirasync.ts';
import type { AccessReviewer, Caller } from './auth.ts';
import { ApiError } from './errors.ts';

/** One entry of GET /api/v1/syncs. */
export interface SyncSummary {
  namespace: string;
  name: string;
  syncType: SyncType;
  status: JIRASyncStatus;
}

/** What the status API reads: the informer cache of JIRASyncs. */
export interface SyncCache {
  getSync(namespace: string, name: string): JIRASync | undefined;
  listSyncs(): JIRASync[];
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** How many SubjectAccessReviews one list request may have in flight. */
const REVIEW_CONCURRENCY = 8;

type Authed = Response<unknown, { caller: Caller }>;

function bearerToken(req: Request): string | undefined {
  const m = /^Bearer +([^\s]+) *$/i.exec(req.get('authorization') ?? '');
  return m?.[1];
}

function checkName(kind: 'name' | 'namespace', value: unknown): string {
  const re = kind === 'name' ? NAME : NAMESPACE;
  if (typeof value !== 'string' || !re.test(value)) throw new ApiError('BadRequest', `invalid ${kind}: must be a lowercase DNS name`);
  return value;
}

/** The bearer token of a request, if it sent one. */
export { bearerToken };

/**
 * The router for /api/v1; `defaultNamespace` serves requests without ?namespace=, `listLimit`
 * caps a list answer (which then says `truncated: true` and the `total`).
 */
export function statusApi(cache: SyncCache, access: AccessReviewer, defaultNamespace: string, listLimit = 500): Router {
  const router = Router();

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req);
    if (!token) throw new ApiError('Unauthorized', 'a bearer token is required (Authorization: Bearer <token>)');
    const caller = await access.authenticate(token);
    if (!caller) throw new ApiError('Unauthorized', 'the bearer token is not valid');
    res.locals.caller = caller;
    next();
  });

  async function sendStatus(res: Authed, namespace: string, name: string): Promise<void> {
    if (!(await access.mayGet(res.locals.caller, namespace, name))) {
      throw new ApiError('Forbidden', `${res.locals.caller.username} may not get jirasyncs in namespace ${namespace}`);
    }
    const sync = cache.getSync(namespace, name);
    if (!sync) throw new ApiError('NotFound', `jirasync ${namespace}/${name} not found`);
    res.json({ data: sync.status ?? {} });
  }

  router.get('/sync/:name/status', async (req: Request, res: Authed) => {
    const ns = req.query.namespace === undefined ? defaultNamespace : checkName('namespace', req.query.namespace);
    await sendStatus(res, ns, checkName('name', req.params.name));
  });

  router.get('/namespaces/:namespace/syncs/:name/status', async (req: Request, res: Authed) => {
    await sendStatus(res, checkName('namespace', req.params.namespace), checkName('name', req.params.name));
  });

  router.get('/syncs', async (_req: Request, res: Authed) => {
    const caller = res.locals.caller;
    const byNamespace = new Map<string, JIRASync[]>();
    for (const s of cache.listSyncs()) {
      const ns = s.metadata.namespace ?? '';
      byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), s]);
    }
    // One SubjectAccessReview per namespace, never per object: a caller cannot make one request
    // cost the API server a review for each JIRASync. Grants of single names (RBAC resourceNames)
    // therefore show in GET of that name, not in the list (as with `kubectl get` itself).
    const namespaces = [...byNamespace.keys()];
    const visible: JIRASync[] = [];
    for (let i = 0; i < namespaces.length; i += REVIEW_CONCURRENCY) {
      const batch = namespaces.slice(i, i + REVIEW_CONCURRENCY);
      const allowed = await Promise.all(batch.map((ns) => access.mayGet(caller, ns)));
      batch.forEach((ns, j) => {
        if (allowed[j]) visible.push(...byNamespace.get(ns)!);
      });
    }
    const all: SyncSummary[] = visible
      .map((s) => ({ namespace: s.metadata.namespace ?? '', name: s.metadata.name, syncType: s.spec.syncType, status: s.status ?? {} }))
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    const data = all.slice(0, listLimit);
    res.json(all.length > listLimit ? { data, truncated: true, total: all.length } : { data });
  });

  return router;
}
