/**
 * Runs JQL over the store: visibility (hidden issues, eventual consistency), ordering, a short-lived
 * result cache so paging a 100,000-issue result does not re-filter per page, and keyset page tokens
 * bound to their query by an HMAC.
 */
import { createHmac } from 'node:crypto';
import type { Core } from './core.ts';
import { HttpError } from './http.ts';
import { compareKeys, compileJql, type CompiledQuery, type SortValue } from './jql/evaluate.ts';
import type { IssueRecord } from './model/types.ts';

export interface QueryResult {
  query: CompiledQuery;
  rows: { rec: IssueRecord; key: SortValue[] }[];
}

const CACHE_TTL_MS = 10_000;
const cache = new WeakMap<Core, Map<string, { version: number; at: number; result: QueryResult }>>();

/** Runs a query for a user in a time zone; `reconcile` ids skip the eventual-consistency delay. */
export function runQuery(core: Core, jql: string, timeZone: string, reconcile: ReadonlySet<number> = new Set()): QueryResult {
  const now = Date.now();
  const ec = core.faults.eventualConsistencySeconds * 1000;
  const cacheKey = `${timeZone}\u0000${jql}`;
  let perCore = cache.get(core);
  if (!perCore) cache.set(core, (perCore = new Map()));
  const hit = perCore.get(cacheKey);
  if (ec === 0 && hit && hit.version === core.store.version && now - hit.at < CACHE_TTL_MS) return hit.result;

  const query = compileJql(jql, { store: core.store, now, timeZone });
  const rows: QueryResult['rows'] = [];
  for (const rec of core.store.all()) {
    if (rec.hidden) continue;
    // Search lags writes: recently written issues are not yet visible (unless reconciled).
    if (ec > 0 && now - rec.lastWrite < ec && !reconcile.has(rec.id)) continue;
    if (query.match(rec)) rows.push({ rec, key: query.sortKey(rec) });
  }
  rows.sort((a, b) => compareKeys(a.key, b.key, query.directions));
  const result = { query, rows };
  if (ec === 0) {
    if (perCore.size > 16) perCore.clear();
    perCore.set(cacheKey, { version: core.store.version, at: now, result });
  }
  return result;
}

function sign(core: Core, payload: string): string {
  return createHmac('sha256', core.tokenSecret).update(payload).digest('base64url').slice(0, 22);
}

/** A token for the page after `last`, bound to the JQL text. */
export function makePageToken(core: Core, jql: string, last: SortValue[]): string {
  const payload = Buffer.from(JSON.stringify({ q: sign(core, `q:${jql}`), k: last })).toString('base64url');
  return `${payload}.${sign(core, payload)}`;
}

/** The sort key a token resumes after; a 400 when it is forged, garbled, or from another query. */
export function readPageToken(core: Core, jql: string, token: string): SortValue[] {
  const invalid = () => new HttpError(400, ['The provided nextPageToken is invalid or does not belong to this query.']);
  const [payload, sig] = token.split('.');
  if (!payload || !sig || sign(core, payload) !== sig) throw invalid();
  let parsed: { q?: unknown; k?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { q?: unknown; k?: unknown };
  } catch {
    throw invalid();
  }
  if (parsed.q !== sign(core, `q:${jql}`) || !Array.isArray(parsed.k)) throw invalid();
  return parsed.k as SortValue[];
}

/** Index of the first row strictly after `after` (binary search over the sorted rows). */
export function indexAfter(result: QueryResult, after: SortValue[]): number {
  let lo = 0;
  let hi = result.rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(result.rows[mid].key, after, result.query.directions) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
