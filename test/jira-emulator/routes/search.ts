/**
 * Search endpoints: the enhanced search (`/search/jql`, token paging, ids only unless `fields` is
 * given, no total), `approximate-count`, and the removed `/search` — 410 on Cloud, the classic
 * `startAt`/`total` form on Data Center.
 */
import type { Core } from '../core.ts';
import { HttpError, intParam, queryList, type ApiRequest, type Reply } from '../http.ts';
import { fieldCatalog, selectFields } from '../render/fields.ts';
import { renderIssue } from '../render/issue.ts';
import type { RenderContext } from '../render/objects.ts';
import { indexAfter, makePageToken, readPageToken, runQuery } from '../search.ts';

const UNBOUNDED = 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.';
const REMOVED = 'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. ' +
  'A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046';

function bodyObject(req: ApiRequest): Record<string, unknown> {
  if (req.body === undefined) return {};
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) throw new HttpError(400, ['The request body must be a JSON object.']);
  return req.body as Record<string, unknown>;
}

function stringList(v: unknown, name: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new HttpError(400, [`'${name}' must be a list of strings.`]);
}

const renderContext = (core: Core, req: ApiRequest): RenderContext => ({ store: core.store, baseUrl: core.baseUrl, api: req.api, timeZone: req.user.timeZone });

/** GET and POST /rest/api/{2,3}/search/jql (Cloud). */
export function enhancedSearch(core: Core, req: ApiRequest): Reply {
  const b = req.method === 'POST' ? bodyObject(req) : undefined;
  const jql = String((b ? b.jql : req.query.get('jql')) ?? '');
  const token = (b ? b.nextPageToken : req.query.get('nextPageToken')) ?? undefined;
  const rawFields = b ? stringList(b.fields, 'fields') : queryList(req.query, 'fields');
  const expand = new Set(b ? stringList(b.expand, 'expand') ?? [] : queryList(req.query, 'expand') ?? []);
  const reconcileRaw = b ? b.reconcileIssues : queryList(req.query, 'reconcileIssues');
  const reconcile = new Set((Array.isArray(reconcileRaw) ? reconcileRaw : []).map(Number).filter(Number.isInteger));

  const result = runQuery(core, jql, req.user.timeZone, reconcile);
  if (!result.query.bounded) throw new HttpError(400, [UNBOUNDED]);
  const idOnly = rawFields === undefined || rawFields.length === 0 || rawFields.every((f) => f === 'id');
  const fields = selectFields(idOnly ? undefined : rawFields, 'none', core.store.mode);
  // Atlassian: up to 5,000 per page when only ids/keys are requested, 100 with other fields.
  const cap = idOnly || fields.idOrKeyOnly ? 5000 : 100;
  const maxResults = Math.min(Math.max(intParam(b ? b.maxResults : req.query.get('maxResults'), 'maxResults', 50), 1), cap);

  let start = 0;
  if (token !== undefined && token !== null && token !== '') {
    if (typeof token !== 'string') throw new HttpError(400, ["'nextPageToken' must be a string."]);
    start = indexAfter(result, readPageToken(core, jql, token));
  }
  // The anonymous user sees no issue; the early-stop fault makes the result seem to end after N.
  const end = req.anonymous ? 0 : Math.min(result.rows.length, core.faults.truncatedAfter ?? Infinity);
  const page = result.rows.slice(start, Math.min(end, start + maxResults));
  const isLast = start + page.length >= end;
  const ctx = renderContext(core, req);
  const out: Record<string, unknown> = {
    issues: page.map(({ rec }) => renderIssue(ctx, rec, { fields, expand, idOnly })),
  };
  if (expand.has('names')) {
    out.names = Object.fromEntries(fieldCatalog(core.store.mode).filter((d) => fields.has(d.id)).map((d) => [d.id, d.name]));
  }
  // Cloud leaves the token out on the last page.
  if (!isLast) out.nextPageToken = makePageToken(core, jql, page[page.length - 1].key);
  out.isLast = isLast;
  return { status: 200, body: out };
}

/** POST /rest/api/3/search/approximate-count. */
export function approximateCount(core: Core, req: ApiRequest): Reply {
  const b = bodyObject(req);
  const result = runQuery(core, String(b.jql ?? ''), req.user.timeZone);
  if (!result.query.bounded) throw new HttpError(400, [UNBOUNDED]);
  return { status: 200, body: { count: req.anonymous ? 0 : result.rows.length } };
}

/** GET/POST /rest/api/{2,3}/search: removed on Cloud; the paged classic search on Data Center. */
export function classicSearch(core: Core, req: ApiRequest): Reply {
  if (core.store.mode === 'cloud') throw new HttpError(410, [REMOVED]);
  const b = req.method === 'POST' ? bodyObject(req) : undefined;
  const jql = String((b ? b.jql : req.query.get('jql')) ?? '');
  const startAt = Math.max(0, intParam(b ? b.startAt : req.query.get('startAt'), 'startAt', 0));
  const maxResults = Math.min(Math.max(intParam(b ? b.maxResults : req.query.get('maxResults'), 'maxResults', 50), 0), 1000);
  const rawFields = b ? stringList(b.fields, 'fields') : queryList(req.query, 'fields');
  const expand = new Set(b ? stringList(b.expand, 'expand') ?? [] : queryList(req.query, 'expand') ?? []);
  const result = runQuery(core, jql, req.user.timeZone);
  const fields = selectFields(rawFields, '*navigable', core.store.mode);
  const ctx = renderContext(core, req);
  // The anonymous user (expired-token mode) sees no issue: total 0, as an anonymous-browsable site answers.
  const rows = req.anonymous ? [] : result.rows;
  return {
    status: 200,
    body: {
      expand: 'schema,names',
      startAt,
      maxResults,
      total: rows.length,
      issues: rows.slice(startAt, startAt + maxResults).map(({ rec }) => renderIssue(ctx, rec, { fields, expand })),
    },
  };
}
