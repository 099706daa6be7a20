/**
 * The HTTP front: reads the request, applies faults (latency, dropped connections, auth, rate
 * limits, 5xx), routes to a handler, writes JSON (or malformed JSON when asked), and logs the
 * exchange. /_emulator/* goes to the control API untouched by faults and auth.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { authenticate, type Credential } from './auth.ts';
import type { Core } from './core.ts';
import { echoAuthorization } from './echo-auth.ts';
import { HttpError, errorBody, type ApiRequest, type Reply } from './http.ts';
import { JqlError } from './jql/errors.ts';
import { StoreError } from './model/store.ts';
import type { RequestLogEntry } from './requestlog.ts';
import * as issues from './routes/issues.ts';
import * as meta from './routes/meta.ts';
import * as search from './routes/search.ts';

type Handler = (core: Core, req: ApiRequest) => Reply;
/**
 * `anonymous`: served without credentials. `anonymousOnRefusal`: in expired-token mode, refused
 * credentials get the anonymous user's answer here instead of a 401 (what Jira Cloud does).
 */
interface Route { method: string; pattern: RegExp; handler: Handler; cloudOnly?: boolean; anonymous?: boolean; anonymousOnRefusal?: boolean }

const KEY = '([^/]+)';
const ROUTES: Route[] = [
  { method: 'GET', pattern: /^myself$/, handler: meta.myself },
  { method: 'GET', pattern: /^user$/, handler: meta.user },
  { method: 'GET', pattern: /^serverInfo$/, handler: (c) => meta.serverInfo(c), anonymous: true, anonymousOnRefusal: true },
  { method: 'GET', pattern: /^field$/, handler: (c) => meta.fields(c) },
  { method: 'GET', pattern: /^search\/jql$/, handler: search.enhancedSearch, cloudOnly: true, anonymousOnRefusal: true },
  { method: 'POST', pattern: /^search\/jql$/, handler: search.enhancedSearch, cloudOnly: true, anonymousOnRefusal: true },
  { method: 'POST', pattern: /^search\/approximate-count$/, handler: search.approximateCount, cloudOnly: true, anonymousOnRefusal: true },
  { method: 'GET', pattern: /^search$/, handler: search.classicSearch, anonymousOnRefusal: true },
  { method: 'POST', pattern: /^search$/, handler: search.classicSearch, anonymousOnRefusal: true },
  { method: 'POST', pattern: /^issue\/bulkfetch$/, handler: issues.bulkFetch, cloudOnly: true, anonymousOnRefusal: true },
  { method: 'GET', pattern: new RegExp(`^issue/${KEY}$`), handler: issues.getIssue },
  { method: 'GET', pattern: new RegExp(`^issue/${KEY}/comment$`), handler: issues.listComments },
  { method: 'POST', pattern: new RegExp(`^issue/${KEY}/comment$`), handler: issues.addComment },
  { method: 'GET', pattern: new RegExp(`^issue/${KEY}/comment/${KEY}$`), handler: issues.getComment },
  { method: 'GET', pattern: new RegExp(`^issue/${KEY}/worklog$`), handler: issues.listWorklogs },
  { method: 'GET', pattern: new RegExp(`^issue/${KEY}/changelog$`), handler: issues.listChangelog, cloudOnly: true },
  { method: 'GET', pattern: new RegExp(`^issue/${KEY}/transitions$`), handler: issues.listTransitions },
  { method: 'POST', pattern: new RegExp(`^issue/${KEY}/transitions$`), handler: issues.doTransition },
];

export interface ServerAuth {
  credentials: Credential[];
  pats: string[];
  patUserIndex: number;
}

export type ControlHandler = (method: string, path: string, query: URLSearchParams, body: unknown) => Reply;

const JSON_TYPE = 'application/json;charset=UTF-8';

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 20 * 1024 * 1024) throw new HttpError(413, ['Request body too large.']);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, reply: Reply, malformed = false): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  if (reply.status === 204 || (reply.body === undefined && reply.text === undefined)) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  if (reply.text !== undefined) {
    res.writeHead(reply.status, { ...headers, 'Content-Type': 'text/plain;charset=UTF-8' }).end(reply.text);
    return;
  }
  let json = JSON.stringify(reply.body);
  // A truncated document, as a proxy cutting a response short would leave it.
  if (malformed) json = json.slice(0, Math.max(1, Math.floor(json.length / 2)));
  res.writeHead(reply.status, { ...headers, 'Content-Type': JSON_TYPE }).end(json);
}

function errorReply(err: unknown): Reply {
  if (err instanceof HttpError) return { status: err.status, body: errorBody(err.errorMessages, err.errors), headers: err.headers };
  if (err instanceof JqlError) return { status: 400, body: errorBody([err.message]) };
  if (err instanceof StoreError) return { status: err.status, body: errorBody([err.message]) };
  return { status: 500, body: errorBody([`Internal emulator error: ${err instanceof Error ? err.message : String(err)}`]) };
}

function rateLimitReply(core: Core, retryAfter: number, reason: string, now: number): Reply {
  const reset = new Date(now + retryAfter * 1000).toISOString().slice(0, 16) + 'Z';
  const headers: Record<string, string> = core.store.mode === 'cloud'
    ? { 'Retry-After': String(retryAfter), 'X-RateLimit-Limit': '100', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset,
      'X-RateLimit-NearLimit': 'true', 'RateLimit-Reason': reason }
    : { 'Retry-After': String(retryAfter), 'X-RateLimit-Limit': '100', 'X-RateLimit-Remaining': '0', 'X-RateLimit-FillRate': '10',
      'X-RateLimit-Interval-Seconds': '1' };
  return { status: 429, headers, body: errorBody(['The request has been rate-limited. Please try again later.']) };
}

function queryRecord(q: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k of new Set(q.keys())) {
    const all = q.getAll(k);
    out[k] = all.length === 1 ? all[0] : all;
  }
  return out;
}

/** Builds the request listener. */
export function createListener(core: Core, auth: ServerAuth, control: ControlHandler) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    let raw = '';
    let body: unknown;
    try {
      raw = await readBody(req);
      if (raw.trim() !== '') body = JSON.parse(raw);
    } catch (err) {
      send(res, err instanceof HttpError ? errorReply(err) : { status: 400, body: errorBody([`Unexpected character in JSON body: ${(err as Error).message}`]) });
      return;
    }
    if (path.startsWith('/_emulator')) {
      send(res, control(method, path, url.searchParams, body));
      return;
    }

    const entry: Omit<RequestLogEntry, 'seq' | 'status' | 'ms'> = { at, method, path, query: queryRecord(url.searchParams), body, auth: 'none' };
    const finish = (reply: Reply | undefined, fault?: RequestLogEntry['fault'], malformed = false) => {
      if (reply) send(res, reply, malformed);
      core.log.add({ ...entry, status: reply?.status ?? 0, ms: Date.now() - at, ...(fault ? { fault } : {}) });
    };

    const delay = core.faults.delayFor(path);
    if (delay > 0) await sleep(delay);
    if (core.faults.shouldDrop(path)) {
      req.socket.destroy();
      finish(undefined, 'drop');
      return;
    }

    const m = /^\/rest\/api\/(2|3|latest)\/(.*)$/.exec(path);
    const api: 2 | 3 = m?.[1] === '3' ? 3 : 2;
    const rest = m?.[2] ?? '';
    // Data Center has no REST v3 and none of Cloud's newer endpoints.
    const candidates = !m || (core.store.mode === 'datacenter' && api === 3) ? []
      : ROUTES.filter((r) => r.pattern.test(rest) && (core.store.mode === 'cloud' || !r.cloudOnly));
    const route = candidates.find((r) => r.method === method);
    if (!route) {
      const status = candidates.length > 0 ? 405 : 404;
      finish({ status, body: errorBody([status === 405 ? `Method ${method} is not allowed for ${path}.` : `No resource at ${path} in this Jira.`]) });
      return;
    }

    const expired = core.auth.expired;
    const a = authenticate(req.headers.authorization, core.store.mode, auth.credentials.filter((c) => !expired.has(c.apiToken)),
      auth.pats.filter((p) => !expired.has(p)), auth.patUserIndex);
    entry.auth = a.scheme;
    // Jira Cloud answers a refused token on some routes as if no credentials had been sent.
    const anonymous = !a.ok && a.scheme !== 'none' && core.auth.expiredTokenMode && route.anonymousOnRefusal === true;
    if (!a.ok && !route.anonymous && !anonymous) {
      finish(core.echoAuthorization ? echoAuthorization(a.reply, req.headers.authorization) : a.reply);
      return;
    }
    if (anonymous) entry.anonymous = true;
    if (a.ok && core.faults.ipAllowlistDenied) {
      finish({ status: 403, body: errorBody(['Your IP address is not allowed to access this site. Contact your site administrator.']) });
      return;
    }
    const userIndex = a.ok ? a.userIndex : core.store.apiUserStart;

    const limited = core.faults.rateLimitFor(path, Date.now());
    if (limited) {
      finish(rateLimitReply(core, limited.retryAfter, limited.reason, Date.now()), limited.early ? 'early-retry' : 'rate-limit');
      return;
    }
    const failure = core.faults.failFor(path, method);
    const failed = (): Reply => ({ status: failure!.status, body: errorBody([`The Jira emulator injected a ${failure!.status} response.`]),
      ...(failure!.retryAfter !== undefined ? { headers: { 'Retry-After': String(failure!.retryAfter) } } : {}) });
    if (failure && !failure.afterProcessing) {
      finish(failed(), '5xx');
      return;
    }

    let reply: Reply;
    try {
      const params = route.pattern.exec(rest)!.slice(1).map((p) => decodeURIComponent(p));
      reply = route.handler(core, { method, path, query: url.searchParams, body, params, api, userIndex, user: core.store.users[userIndex], anonymous });
    } catch (err) {
      reply = errorReply(err);
    }
    if (failure) {
      // The work is done (a comment posted, a transition made); only the answer is lost.
      finish(failed(), '5xx');
      return;
    }
    if (core.echoAuthorization) reply = echoAuthorization(reply, req.headers.authorization);
    if (anonymous) reply = { ...reply, headers: { ...(reply.headers ?? {}), 'X-Seraph-LoginReason': 'AUTHENTICATED_FAILED' } };
    const malformed = reply.status < 300 && reply.body !== undefined && core.faults.shouldMalform(path);
    finish(reply, malformed ? 'malformed-json' : undefined, malformed);
  };
}
