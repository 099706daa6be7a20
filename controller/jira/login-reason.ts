/**
 * Jira's `X-Seraph-LoginReason` response header, seen on every request the Jira layer makes.
 *
 * Why: Jira Cloud answers many requests made with a wrong or expired token as the anonymous user —
 * search says 200 with zero issues, approximate-count says 0 — and only this header says the login
 * failed (`AUTHENTICATED_FAILED`). A sync that believed such an answer would delete its whole mirror.
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

/** What the responses to one attempt said about the login. */
export interface LoginWatch {
  /** The last `X-Seraph-LoginReason` value seen, upper-cased; undefined when no response had one. */
  reason?: string;
}

const current = new AsyncLocalStorage<LoginWatch>();
const owners = new WeakMap<object, LoginWatch>();
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
    const value = headerValue(m.response?.headers, 'x-seraph-loginreason');
    if (value !== undefined) watch.reason = value.trim().toUpperCase();
  });
}

/** Runs `fn` (one HTTP attempt through jira.js) and records the login reason its response carried. */
export function watchLogin<T>(watch: LoginWatch, fn: () => Promise<T>): Promise<T> {
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
