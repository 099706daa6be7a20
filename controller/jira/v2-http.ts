/**
 * The HTTP of the Data Center client: one JSON request to `/rest/api/2/…` on Node's fetch, made
 * through the same Caller as Cloud's jira.js calls (limiter, hooks and spans, retries, the
 * X-Seraph-LoginReason and Retry-After watch), answered with the same typed errors (errors.ts).
 *
 * What it ensures:
 * - Node's global fetch is used, so the egress dispatcher main.ts installs (policy lookup at
 *   connect time, the Jira byte cap) applies exactly as to jira.js's requests.
 * - Credentials go only to the configured origin: redirects are followed by hand, and only while
 *   they stay on that origin; a redirect elsewhere is refused before anything is sent there.
 * - An answer made for the anonymous user (X-Seraph-LoginReason, or Data Center's
 *   `X-AUSERNAME: anonymous`) is a JiraAuthError, never data: zero issues must not read as "none".
 * - The body of a 401/403 is never read into a message (a hostile server would echo the token);
 *   other error bodies contribute Jira's `errorMessages`, as short printable excerpts.
 * - A body that is not JSON, or a transport failure, comes out as what toJiraError makes of it
 *   (retryable `malformed` or `network`, `tooLarge` past the cap).
 */
import type { CallInfo, Caller } from './call.ts';
import {
  JiraAuthError, JiraBadRequestError, JiraNotFoundError, JiraRateLimitedError, JiraUnavailableError, jiraErrorMessages, type JiraCallSite,
} from './errors.ts';
import { loginRefusal, retryAfterMs } from './headers.ts';
import type { JiraConnection } from './source.ts';

/** Redirects followed within the configured origin before giving up. */
const MAX_REDIRECTS = 3;

export interface V2Request {
  method: 'GET' | 'POST';
  /** Below `/rest/api/2/`, e.g. `search` or `issue/PROJ-1/comment` (path segments already encoded). */
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
}

/** Sends REST v2 requests for one connection. */
export interface V2Http {
  /** The parsed JSON answer (undefined for an empty body, e.g. a 204). */
  send(info: CallInfo, req: V2Request, signal?: AbortSignal): Promise<unknown>;
}

function authorization(conn: JiraConnection): string {
  const c = conn.credentials;
  if (c.kind === 'bearer') return `Bearer ${c.token}`;
  const [user, secret] = c.kind === 'basic' ? [c.email, c.apiToken] : [c.username, c.password];
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The typed error for a non-2xx answer (the body is read only where it may be shown). */
async function errorFor(res: Response, site: JiraCallSite, password: boolean): Promise<Error> {
  const status = res.status;
  if (status === 401 || status === 403) {
    void res.body?.cancel().catch(() => {});
    const rejected = password
      ? 'credentials rejected (check username and password in the Secret; the server may not allow Basic auth at all, as Jira 11 by default: use a personal access token in the key token)'
      : 'credentials rejected (check the token in the Secret)';
    const why = status === 401 ? rejected : 'the Jira user is not permitted';
    return new JiraAuthError(status, site, `${status}: ${why}`);
  }
  if (status === 429) {
    void res.body?.cancel().catch(() => {});
    const ms = retryAfterMs(res.headers.get('retry-after')?.trim() ?? undefined);
    const seconds = ms === undefined ? -1 : ms / 1000;
    return new JiraRateLimitedError(site, seconds, seconds < 0 ? '429: rate limited, no Retry-After' : undefined);
  }
  const messages = jiraErrorMessages(parseBody(await res.text()));
  const detail = messages.length ? `: ${messages.join('; ')}` : '';
  if (status === 404) return new JiraNotFoundError(site, `404${detail || ': not found'}`);
  if (status >= 500 || status === 408 || status === 409) {
    return new JiraUnavailableError('server', status, site, `${status} ${res.statusText}${detail}`.trim());
  }
  return new JiraBadRequestError(status, site, messages);
}

/** A V2Http for one connection; `caller` carries the limiter, hooks and retry policy. */
export function createV2Http(conn: JiraConnection, caller: Caller): V2Http {
  const base = new URL(conn.baseUrl.replace(/\/+$/, '') + '/');
  const header = authorization(conn);

  const attempt = async (info: CallInfo, req: V2Request, signal: AbortSignal | undefined): Promise<unknown> => {
    const site = { endpoint: info.endpoint, method: info.method };
    let url = new URL(`rest/api/2/${req.path}`, base);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: header, 'X-Atlassian-Token': 'no-check' };
    if (req.body !== undefined) headers['Content-Type'] = 'application/json';
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    for (let hops = 0; ; hops++) {
      const res = await fetch(url, { method: req.method, headers, body, redirect: 'manual', signal });
      // Data Center names the user an answer was made for in X-AUSERNAME; `anonymous` means nobody
      // logged in, whatever X-Seraph-LoginReason says (or does not say).
      const anonymous = res.headers.get('x-ausername')?.trim().toLowerCase() === 'anonymous';
      const refused = anonymous ? 401 : loginRefusal(res.headers.get('x-seraph-loginreason')?.trim().toUpperCase() ?? undefined);
      if (res.status >= 300 && res.status < 400) {
        void res.body?.cancel().catch(() => {});
        const location = res.headers.get('location');
        const next = location ? new URL(location, url) : undefined;
        const followable = res.status === 307 || res.status === 308 || req.method === 'GET';
        if (!next || next.origin !== base.origin || !followable || hops >= MAX_REDIRECTS) {
          // Never the Location itself: it is the server's text, and may carry anything.
          throw new JiraBadRequestError(res.status, site, [`redirected ${next && next.origin !== base.origin ? 'to another origin' : 'too often'}; set baseUrl in the Secret to the address Jira answers on`]);
        }
        url = next;
        continue;
      }
      if (refused !== undefined && res.ok) {
        // The anonymous user's answer (zero issues, total 0): never data.
        void res.body?.cancel().catch(() => {});
        throw new JiraAuthError(refused, site, `${refused}: Jira answered as the anonymous user, the credentials were refused (X-Seraph-LoginReason)`);
      }
      if (!res.ok) throw await errorFor(res, site, conn.credentials.kind === 'password');
      const text = await res.text();
      if (!text) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new JiraUnavailableError('malformed', res.status, site, 'the response is not JSON', { cause: err });
      }
    }
  };

  return {
    send(info, req, signal) {
      return caller.call(info, signal, () => attempt(info, req, signal));
    },
  };
}
