/**
 * JiraApi for Jira Data Center / Server on REST v2 (v2-http.ts), for what Cloud does differently:
 *
 * - Search is the classic `POST /search`, paged by `startAt` against `total`, always in key order
 *   (see orderedJql), 1,000 per page or the server's cap,
 *   which is learnt from the `maxResults` it answers with. Counts are `maxResults: 0` searches.
 * - There is no bulk fetch: issues are read with `key in (...)` searches. A key Jira does not
 *   know (deleted, hidden) makes it refuse the query naming that key; such keys are dropped and
 *   the query asked again, so they are left out as Cloud's bulk fetch leaves them out.
 * - Users have a name and key, no accountId; `/myself` must name one, or the login failed.
 * - A story's epic is the "Epic Link" custom field (found through `/field`), not `parent`: when
 *   `parent` is asked for, the epic link is read too and given back as Cloud's `parent`, so the
 *   engine and the rendered files are the same on both; epic children are `cf[N] = EPIC`.
 * - Mentions in descriptions and comments name a username; mentions.ts gives them Cloud's display names.
 * - Comments are wiki markup: the failure comment is converted (wiki.ts) and the marker stays a
 *   plain line, so the once-per-episode search works on the string bodies.
 * - The field list (`GET /field`) is read at most once per API: the same answer gives the Epic
 *   Link field and, through fieldList(), story points, the sprint and custom fields by name.
 * - Content past what a search embeds: comments and worklogs are paged from their v2 endpoints;
 *   there is no changelog endpoint, so the changelog comes from `GET issue?expand=changelog`.
 */
import type { CommentPage, IssueTransitionOption, JiraApi, SearchPage } from './api.ts';
import { parseFieldList, type JiraField } from './fields.ts';
import type { CallInfo } from './call.ts';
import { isJiraError, JiraAuthError, JiraUnavailableError } from './errors.ts';
import { inClause, quoteJql, stripOrderBy } from './jql.ts';
import { issuesOf, record, shape, transitionsOf } from './response.ts';
import type { IssuePart, IssuePartPage, JiraIssue } from './source.ts';
import type { V2Http } from './v2-http.ts';
import { createMentionResolver } from './mentions.ts';
import { adfToWiki } from './wiki.ts';

/** Data Center's default search cap (`jira.search.views.default.max`). */
export const DC_PAGE_SIZE = 1000;
const COMMENTS_PAGE = 100;
/** The field type Jira Software gives the Epic Link field, whatever its (localised) name. */
const EPIC_LINK_TYPE = 'com.pyxis.greenhopper.jira:gh-epic-link';
const MISSING_KEY = /An issue with key '([^']+)' does not exist/;
const PART_ENDPOINT: Record<IssuePart, string> = { comments: 'issue/comment', worklogs: 'issue/worklog', changelog: 'issue' };

type Obj = Record<string, unknown>;

/**
 * The query in key order, whatever order it asked for: startAt paging over `ORDER BY updated`
 * skips an issue each time one before the page is updated (it moves to the end); key order moves
 * only when issues are created or deleted, which the deletion guard and the next run cover.
 */
export function orderedJql(jql: string): string {
  return `${stripOrderBy(jql)} ORDER BY key ASC`.trim();
}

const segment = (key: string): string => encodeURIComponent(key);

/** A Data Center JiraApi on one connection's REST v2 client. */
export function createDataCenterApi(http: V2Http, requestCount: () => number): JiraApi {
  let pageCap = DC_PAGE_SIZE;
  let fieldAnswer: Promise<Obj[]> | undefined;
  const mentions = createMentionResolver(http);

  /** Cloud's shape for what was asked: the epic as parent, mentions by display name. */
  const normalised = async (issues: JiraIssue[], fields: readonly string[], epic: { field: string | null; keep: boolean }, signal?: AbortSignal): Promise<JiraIssue[]> => {
    if (fields.includes('description') || fields.includes('comment')) await mentions.rewrite(issues, signal);
    return withEpicParent(issues, epic.field, epic.keep);
  };

  /**
   * One classic search. `lenient` (validateQuery: warn) only for fetches by key, where an unknown
   * key must not fail the chunk; a scope's JQL is validated strictly, so a typo is a 400 that
   * stalls the sync, never a query that quietly matches less.
   */
  const search = async (
    info: CallInfo, jql: string, fields: readonly string[], startAt: number, maxResults: number, signal?: AbortSignal, lenient = false, expand?: readonly string[],
  ) => {
    const body = {
      jql, startAt, maxResults, fields: [...fields],
      ...(expand && expand.length > 0 ? { expand: [...expand] } : {}),
      ...(lenient ? { validateQuery: 'warn' } : {}),
    };
    const res = shape(
      info,
      await http.send(info, { method: 'POST', path: 'search', body }, signal),
      (o) => typeof o.total === 'number',
    );
    if (typeof res.maxResults === 'number' && res.maxResults > 0 && res.maxResults < maxResults) pageCap = res.maxResults;
    return { issues: issuesOf(info, res.issues), total: res.total as number };
  };

  /** GET /field, read once for both the Epic Link and fieldList() (a failure is not kept). */
  const rawFields = (signal?: AbortSignal): Promise<Obj[]> => {
    if (!fieldAnswer) {
      const info = { endpoint: 'field', method: 'GET' };
      fieldAnswer = http.send(info, { method: 'GET', path: 'field' }, signal).then((list) => {
        if (!Array.isArray(list)) throw new JiraUnavailableError('malformed', 200, info, 'the field list is not a list');
        return list.map(record).filter((f) => f !== undefined);
      });
      fieldAnswer.catch(() => {
        fieldAnswer = undefined; // not cached: asked again next time
      });
    }
    return fieldAnswer;
  };

  /** The Epic Link field's id, or null where Jira has none (epics are then `parent`). */
  const epicLinkField = async (signal?: AbortSignal): Promise<string | null> => {
    const fields = await rawFields(signal);
    const epic =
      fields.find((f) => record(f.schema)?.custom === EPIC_LINK_TYPE) ??
      fields.find((f) => f.custom === true && Array.isArray(f.clauseNames) && f.clauseNames.includes('Epic Link'));
    return typeof epic?.id === 'string' && /^customfield_\d+$/.test(epic.id) ? epic.id : null;
  };

  /** One page of comments or worklogs from their v2 endpoint, oldest first. */
  const pagedPart = async (info: CallInfo, key: string, part: 'comments' | 'worklogs', startAt: number, maxResults: number, signal?: AbortSignal): Promise<IssuePartPage> => {
    const path = `issue/${segment(key)}/${part === 'comments' ? 'comment' : 'worklog'}`;
    const query: Record<string, string | number> = { startAt, maxResults };
    if (part === 'comments') query.orderBy = 'created';
    const res = shape(info, await http.send(info, { method: 'GET', path, query }, signal));
    const list = res[part];
    if (!Array.isArray(list)) throw new JiraUnavailableError('malformed', 200, info, `${part} is not a list`);
    let values = list.map(record).filter((x) => x !== undefined);
    // Older servers answer the worklog endpoint with every entry, ignoring startAt: cut the page out.
    const from = typeof res.startAt === 'number' ? res.startAt : startAt;
    if (from < startAt) values = values.slice(startAt - from);
    values = values.slice(0, maxResults);
    if (part === 'comments') await mentions.rewriteBodies(values, signal);
    return { values, total: typeof res.total === 'number' ? res.total : startAt + values.length };
  };

  /**
   * A page of the changelog, oldest first. Data Center has no changelog endpoint; the issue's
   * `expand=changelog` holds the histories (all of them on Data Center; a server that embeds
   * only the newest gives those, counted from the end).
   */
  const changelogPart = async (info: CallInfo, key: string, startAt: number, maxResults: number, signal?: AbortSignal): Promise<IssuePartPage> => {
    const issue = shape(info, await http.send(info, { method: 'GET', path: `issue/${segment(key)}`, query: { fields: 'key', expand: 'changelog' } }, signal));
    const log = record(issue.changelog);
    const list = log?.histories;
    if (!log || !Array.isArray(list)) throw new JiraUnavailableError('malformed', 200, info, 'histories is not a list');
    const histories = list.map(record).filter((x) => x !== undefined);
    const total = typeof log.total === 'number' ? Math.max(log.total, histories.length) : histories.length;
    const oldestFirst = histories.slice().sort((a, b) => Date.parse(String(a.created)) - Date.parse(String(b.created)) || Number(a.id) - Number(b.id));
    // The answer holds positions [first, total): all of them on Data Center, the newest n where a
    // server embeds only those. Entries before `first` cannot be read: what there is is given, and
    // the total is cut so that the caller pages no further (nothing is read twice).
    const first = total - oldestFirst.length;
    const from = Math.max(startAt, first);
    const end = Math.min(total, startAt + maxResults);
    const values = oldestFirst.slice(from - first, Math.max(from, end) - first);
    return { values, total: from > startAt ? startAt + values.length : total };
  };

  /** Cloud's `parent` for a story under an epic, from the Epic Link field. */
  const withEpicParent = (issues: JiraIssue[], field: string | null, keepField: boolean): JiraIssue[] => {
    if (!field) return issues;
    for (const issue of issues) {
      const epic = issue.fields[field];
      if (issue.fields.parent === undefined && typeof epic === 'string' && epic) {
        issue.fields.parent = { key: epic, fields: { issuetype: { name: 'Epic', hierarchyLevel: 1 } } };
      }
      if (!keepField) delete issue.fields[field];
    }
    return issues;
  };

  /** The fields to ask for, and the epic link field when `parent` is among them. */
  const fieldsFor = async (fields: readonly string[], signal?: AbortSignal): Promise<{ ask: string[]; field: string | null; keep: boolean }> => {
    if (!fields.includes('parent')) return { ask: [...fields], field: null, keep: true };
    const field = await epicLinkField(signal);
    if (!field) return { ask: [...fields], field: null, keep: true };
    return { ask: fields.includes(field) ? [...fields] : [...fields, field], field, keep: fields.includes(field) };
  };

  return {
    requestCount,

    get pageSizes() {
      return { ids: pageCap, fields: pageCap, fetch: pageCap };
    },

    async myself(signal) {
      const info = { endpoint: 'myself', method: 'GET' };
      const me = shape(info, await http.send(info, { method: 'GET', path: 'myself' }, signal));
      // Data Center users have a key and a name; an answer without either is nobody's.
      const id = typeof me.key === 'string' && me.key ? me.key : typeof me.name === 'string' ? me.name : '';
      if (!id) throw new JiraAuthError(401, info, '401: Jira answered /myself without a user (anonymous); the credentials were refused');
      if (typeof me.timeZone !== 'string' || !me.timeZone) throw new JiraUnavailableError('malformed', 200, info, 'the user has no timeZone');
      return { accountId: id, timeZone: me.timeZone };
    },

    async searchPage(req, signal): Promise<SearchPage> {
      const info = { endpoint: 'search', method: 'POST', page: req.page };
      const startAt = req.pageToken === undefined ? 0 : Number(req.pageToken);
      if (!Number.isSafeInteger(startAt) || startAt < 0) throw new JiraUnavailableError('malformed', 200, info, 'bad page position');
      const { ask, field, keep } = await fieldsFor(req.fields, signal);
      const res = await search(info, orderedJql(req.jql), ask, startAt, Math.min(req.maxResults, pageCap), signal, false, req.expand);
      const next = startAt + res.issues.length;
      const isLast = res.issues.length === 0 || next >= res.total;
      return { issues: await normalised(res.issues, req.fields, { field, keep }, signal), nextPageToken: isLast ? undefined : String(next), isLast };
    },

    async approximateCount(jql, signal) {
      const info = { endpoint: 'search/count', method: 'POST' };
      return (await search(info, jql, ['key'], 0, 0, signal)).total;
    },

    async bulkFetch(keysOrIds, fields, signal, expand) {
      const info = { endpoint: 'search/keys', method: 'POST' };
      const { ask, field, keep } = await fieldsFor(fields, signal);
      let keys = [...new Set(keysOrIds)];
      const out: JiraIssue[] = [];
      while (keys.length > 0) {
        const clause = inClause('key', keys);
        try {
          for (let startAt = 0; ;) {
            const res = await search(info, `${clause} ORDER BY key ASC`, ask, startAt, pageCap, signal, true, expand);
            out.push(...res.issues);
            startAt += res.issues.length;
            if (res.issues.length === 0 || startAt >= res.total) break;
          }
          break;
        } catch (err) {
          // Jira refuses the whole query for a key it does not know: leave those out, ask again.
          const missing = isJiraError(err) && err.kind === 'badRequest' ? missingKeys(err) : [];
          const left = keys.filter((k) => !missing.includes(k.toUpperCase()));
          if (left.length === keys.length) throw err;
          keys = left;
          out.length = 0;
        }
      }
      return normalised(out, fields, { field, keep }, signal);
    },

    async fieldList(signal): Promise<JiraField[]> {
      return parseFieldList(await rawFields(signal));
    },

    async issuePart(key, part, startAt, maxResults, signal): Promise<IssuePartPage> {
      const info = { endpoint: PART_ENDPOINT[part], method: 'GET', page: Math.floor(startAt / Math.max(1, maxResults)) + 1 };
      return part === 'changelog' ? changelogPart(info, key, startAt, maxResults, signal) : pagedPart(info, key, part, startAt, maxResults, signal);
    },

    async epicChildren(epicKey, signal) {
      const field = await epicLinkField(signal);
      return field ? `cf[${field.slice('customfield_'.length)}] = ${quoteJql(epicKey)}` : `parent = ${quoteJql(epicKey)}`;
    },

    async issueStatus(key, signal) {
      const info = { endpoint: 'issue', method: 'GET' };
      const issue = shape(info, await http.send(info, { method: 'GET', path: `issue/${segment(key)}`, query: { fields: 'status' } }, signal));
      const status = record(record(issue.fields)?.status);
      if (typeof status?.name !== 'string') throw new JiraUnavailableError('malformed', 200, info, 'the issue has no status');
      return status.name;
    },

    async comments(key, startAt, signal): Promise<CommentPage> {
      const info = { endpoint: 'issue/comment', method: 'GET', page: Math.floor(startAt / COMMENTS_PAGE) + 1 };
      const res = shape(info, await http.send(info, {
        method: 'GET', path: `issue/${segment(key)}/comment`, query: { startAt, maxResults: COMMENTS_PAGE, orderBy: '-created' },
      }, signal));
      const list = Array.isArray(res.comments) ? res.comments.map(record).filter((x) => x !== undefined) : [];
      const comments = list.map((x) => ({ id: String(x.id ?? ''), body: x.body }));
      const total = typeof res.total === 'number' ? res.total : startAt + comments.length;
      const next = startAt + comments.length;
      return { comments, nextStartAt: comments.length > 0 && next < total ? next : undefined };
    },

    async addComment(key, body, signal) {
      // Not retried in place: a 5xx may come after the comment was posted (report.ts checks first).
      const info = { endpoint: 'issue/comment', method: 'POST', okCode: 201, idempotent: false };
      const res = shape(info, await http.send(info, { method: 'POST', path: `issue/${segment(key)}/comment`, body: { body: adfToWiki(body) } }, signal));
      return String(res.id ?? '');
    },

    async transitions(key, signal): Promise<IssueTransitionOption[]> {
      const info = { endpoint: 'issue/transitions', method: 'GET' };
      return transitionsOf(info, await http.send(info, { method: 'GET', path: `issue/${segment(key)}/transitions` }, signal));
    },

    async transition(key, transitionId, signal) {
      const info = { endpoint: 'issue/transitions', method: 'POST', okCode: 204, idempotent: false };
      await http.send(info, { method: 'POST', path: `issue/${segment(key)}/transitions`, body: { transition: { id: transitionId } } }, signal);
    },
  };
}

/** The keys a refused `key in (...)` query names as unknown, upper-cased. */
function missingKeys(err: unknown): string[] {
  const messages = (err as { errorMessages?: unknown }).errorMessages;
  if (!Array.isArray(messages)) return [];
  return messages.map((m) => MISSING_KEY.exec(String(m))?.[1]?.toUpperCase()).filter((k): k is string => !!k);
}
