/**
 * The response headers jira.js does not show us, seen on every request the Jira layer makes:
 * `X-Seraph-LoginReason` and `Retry-After` (jira.js keeps Retry-After only on a 429's error).
 *
 * Why: Jira Cloud answers many requests made with a wrong or expired token as the anonymous user —
 * search says 200 with zero issues, approximate-count says 0 — and only this header says the login
 * failed (`AUTHENTICATED_FAILED`). A sync that believed such an answer would delete its whole mirror.
 *
 * Retry-After also comes with some 503s ("come back in N seconds"); the backoff honours it.
 *
 * How: jira.js 6.2.0 hands back parsed bodies only (its `fetch` call and the Response stay inside
 * `sendRequest`; no middleware, no custom fetch). Node's fetch (undici) publishes every request on
 * the documented diagnostics channels `undici:request:create` and `undici:request:headers`, so a
 * passive subscriber sees the response headers without patching anything global. A request is tied
 * to the call that made it through an AsyncLocalStorage store that is current when undici creates
 * the request (fetch starts it in the caller's async context); other fetches in the process (with
 * no store) are ignored.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';

/** What the response to one attempt said in the headers the layer cares about. */
export interface ResponseWatch {
  /** The last `X-Seraph-LoginReason` value seen, upper-cased; undefined when no response had one. */
  loginReason?: string;
  /** The last `Retry-After` value seen, as sent (seconds or an HTTP date). */
  retryAfter?: string;
}

const current = new AsyncLocalStorage<ResponseWatch>();
const owners = new WeakMap<object, ResponseWatch>();
let subscribed = false;

function headerValue(headers: unknown, name: string): string | undefined {
  // undici passes raw headers as [name, value, name, value, …] (Buffers or strings).
  if (!Array.isArray(headers)) return undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
  }
  return undefined;
}

function ensureSubscribed(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('undici:request:create', (message) => {
    const watch = current.getStore();
    const request = (message as { request?: object }).request;
    if (watch && request) owners.set(request, watch);
  });
  subscribe('undici:request:headers', (message) => {
    const m = message as { request?: object; response?: { headers?: unknown } };
    const watch = m.request ? owners.get(m.request) : undefined;
    if (!watch) return;
    const reason = headerValue(m.response?.headers, 'x-seraph-loginreason');
    if (reason !== undefined) watch.loginReason = reason.trim().toUpperCase();
    const retryAfter = headerValue(m.response?.headers, 'retry-after');
    if (retryAfter !== undefined) watch.retryAfter = retryAfter.trim();
  });
}

/** Runs `fn` (one HTTP attempt through jira.js) and records what its response's headers said. */
export function watchResponse<T>(watch: ResponseWatch, fn: () => Promise<T>): Promise<T> {
  ensureSubscribed();
  return current.run(watch, fn);
}

/**
 * The refusal a login reason means, or undefined for none. `OK` (and no header) is a good login;
 * `AUTHORISATION_FAILED` is a user who logged in but may not do this (403); any other value —
 * `AUTHENTICATED_FAILED`, `AUTHENTICATION_DENIED` (CAPTCHA after failed logins), `OUT` — means the
 * answer came from the anonymous user (401).
 */
export function loginRefusal(reason: string | undefined): 401 | 403 | undefined {
  if (reason === undefined || reason === '') return undefined;
  const values = reason.split(',').map((v) => v.trim()).filter(Boolean);
  if (values.every((v) => v === 'OK')) return undefined;
  return values.every((v) => v === 'OK' || v === 'AUTHORISATION_FAILED') ? 403 : 401;
}

/** Retry-After in milliseconds (delta seconds or an HTTP date), or undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
