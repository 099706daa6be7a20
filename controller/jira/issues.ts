/**
 * IssueSource on top of any JiraSearchApi: the request-minimising fetch strategy, independent of
 * Cloud or Data Center. Enumerate with an ids-only search (5,000 per page on Cloud), fetch the
 * written fields with bulk fetch in chunks of 100 with a few chunks in flight, count with the
 * approximate count; Data Center's API gives its own page sizes (1,000, or the server's cap) and
 * serves the same calls with the classic search. Before the first of those, the identity behind the credentials is checked once (/myself
 * must name a user), so refused credentials fail loudly instead of enumerating nothing. Every
 * request checks the AbortSignal first; stopping an iteration early abandons the chunks still in flight.
 */
import type { JiraIdentity, JiraSearchApi, PageSizes, SearchRequest } from './api.ts';
import { quoteJql } from './jql.ts';
import { JiraUnavailableError } from './errors.ts';
import type { IssuePart, IssueRef, IssueSource, JiraIssue } from './source.ts';

/** Jira Cloud's page limits: ids/keys only, or with other fields. */
export const IDS_PAGE_SIZE = 5000;
export const FIELDS_PAGE_SIZE = 100;
/** Bulk fetch accepts at most 100 issues per request. */
export const BULK_FETCH_SIZE = 100;

export interface IssueSourceOptions {
  /** Bulk-fetch requests in flight at once for one fetch() (default 3); the host limiter still applies. */
  parallelChunks?: number;
}

/** Puts a bulk-fetch answer (Jira orders it by id) back in the order the keys were asked for. */
export function inRequestedOrder(requested: readonly string[], issues: JiraIssue[]): JiraIssue[] {
  const position = new Map<string, number>();
  requested.forEach((k, i) => {
    if (!position.has(k.toUpperCase())) position.set(k.toUpperCase(), i);
  });
  const rank = (i: JiraIssue): number =>
    Math.min(position.get(i.key.toUpperCase()) ?? Infinity, position.get(i.id) ?? Infinity);
  return issues
    .map((issue, i) => ({ issue, i, r: rank(issue) }))
    .sort((a, b) => (a.r === b.r ? a.i - b.i : a.r - b.r))
    .map((x) => x.issue);
}

/** Splits a list into consecutive chunks of at most `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** An IssueSource over the given API. */
export function createIssueSource(api: JiraSearchApi, opts: IssueSourceOptions = {}): IssueSource {
  const parallel = Math.max(1, opts.parallelChunks ?? 3);
  let identity: Promise<JiraIdentity> | undefined;
  const fieldList = api.fieldList?.bind(api);
  const issuePart = api.issuePart?.bind(api);

  /**
   * Who the credentials belong to, asked once per source (a source serves one run) before its
   * first search, count or fetch: a refused token must fail the run, never read as "no issues".
   * The same /myself answer gives the time zone, so an incremental run makes no extra request.
   */
  function verified(signal?: AbortSignal): Promise<JiraIdentity> {
    if (!identity) {
      identity = api.myself(signal);
      identity.catch(() => {
        identity = undefined; // a failure is not cached; the next call asks again
      });
    }
    return identity;
  }

  /** The API's page sizes (known once the identity has answered), Cloud's by default. */
  const sizes = (): PageSizes => api.pageSizes ?? { ids: IDS_PAGE_SIZE, fields: FIELDS_PAGE_SIZE, fetch: BULK_FETCH_SIZE };

  async function* pages(jql: string, fields: readonly string[], maxResults: number, signal?: AbortSignal, expand?: readonly string[]): AsyncGenerator<JiraIssue[]> {
    await verified(signal);
    let pageToken: string | undefined;
    const seen = new Set<string>();
    for (let page = 1; ; page++) {
      const req: SearchRequest = { jql, fields, maxResults, pageToken, page };
      if (expand && expand.length > 0) req.expand = expand;
      const res = await api.searchPage(req, signal);
      yield res.issues;
      if (res.isLast || !res.nextPageToken) return;
      if (seen.has(res.nextPageToken)) {
        // A token that comes back would page forever; treat it as a broken answer.
        throw new JiraUnavailableError('malformed', 200, { endpoint: 'search/jql', method: 'POST' }, 'nextPageToken repeated');
      }
      seen.add(res.nextPageToken);
      pageToken = res.nextPageToken;
    }
  }

  return {
    async timeZone(signal) {
      return (await verified(signal)).timeZone;
    },

    async count(jql, signal) {
      await verified(signal);
      return api.approximateCount(jql, signal);
    },

    async *enumerate(jql, signal, o): AsyncGenerator<IssueRef[]> {
      const withUpdated = o?.withUpdated === true;
      const fields = withUpdated ? ['key', 'updated'] : ['key'];
      await verified(signal);
      for await (const issues of pages(jql, fields, withUpdated ? sizes().fields : sizes().ids, signal)) {
        yield issues.map((i) => {
          const ref: IssueRef = { id: i.id, key: i.key };
          if (withUpdated && typeof i.fields.updated === 'string') ref.updated = i.fields.updated;
          return ref;
        });
      }
    },

    async *fetch(keysOrIds, fields, signal, opts): AsyncGenerator<JiraIssue[]> {
      const expand = opts?.expand && opts.expand.length > 0 ? opts.expand : undefined;
      if (keysOrIds.length > 0) await verified(signal);
      const chunks = chunked(keysOrIds, sizes().fetch);
      // Aborted when the consumer stops early or a chunk fails, so queued chunks never start.
      const stop = new AbortController();
      const linked = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
      const inFlight: Array<Promise<JiraIssue[]>> = [];
      let next = 0;
      const launch = (): void => {
        const chunk = chunks[next++];
        const p = api.bulkFetch(chunk, fields, linked, expand).then((issues) => inRequestedOrder(chunk, issues));
        p.catch(() => {}); // awaited below; this only keeps an abandoned chunk from being "unhandled"
        inFlight.push(p);
      };
      try {
        while (next < chunks.length && inFlight.length < parallel) launch();
        while (inFlight.length) {
          const issues = await (inFlight.shift() as Promise<JiraIssue[]>);
          if (next < chunks.length) launch();
          yield issues;
        }
      } finally {
        stop.abort(new Error('jira: fetch iteration ended'));
      }
    },

    async *search(jql, fields, signal, opts) {
      await verified(signal);
      yield* pages(jql, fields, sizes().fields, signal, opts?.expand);
    },

    async epicChildren(epicKey, signal) {
      await verified(signal);
      return api.epicChildren ? api.epicChildren(epicKey, signal) : `parent = ${quoteJql(epicKey)}`;
    },

    // Optional calls, offered only when the API has them (a source without them knows fields by id only).
    ...(fieldList && {
      async fieldList(signal?: AbortSignal) {
        await verified(signal);
        return fieldList(signal);
      },
    }),
    ...(issuePart && {
      async issuePart(key: string, part: IssuePart, startAt: number, maxResults: number, signal?: AbortSignal) {
        await verified(signal);
        return issuePart(key, part, startAt, maxResults, signal);
      },
    }),
  };
}
