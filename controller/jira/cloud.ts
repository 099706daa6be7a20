/**
 * JiraApi for Jira Cloud on jira.js 6 (`createCloudClient`, REST v3). Each method is one HTTP
 * request through the Caller (pacing, hooks, retries). Because production validates with
 * `onSchemaMismatch: 'warn'`, a body jira.js could not validate — even a raw string when the JSON
 * was broken — comes back unchecked, so every answer passes a small shape guard here and a broken
 * one becomes a retryable JiraUnavailableError('malformed') instead of a crash three frames later.
 */
import { createCloudClient } from 'jira.js';
import type { SchemaMismatchReport } from 'jira.js/core';
import { log } from '../observability/log.ts';
import type { AdfDocument, CommentPage, IssueTransitionOption, JiraApi, SearchPage } from './api.ts';
import type { Caller, CallInfo } from './call.ts';
import { JiraAuthError, JiraUnavailableError } from './errors.ts';
import { parseFieldList } from './fields.ts';
import { quoteJql } from './jql.ts';
import { issuesOf, record, shape, transitionsOf } from './response.ts';
import type { IssuePart, IssuePartPage, JiraConnection, JiraIssue } from './source.ts';

/**
 * `'throw'` in tests (every answer proves the emulator speaks Jira's documented shapes); `'warn'`
 * in production, where Atlassian's schema drift (a grown enum, a new field) must not stop syncs —
 * the drift is logged once per field and the shape guards below catch what would really break.
 */
export type SchemaMismatchMode = 'throw' | 'warn';

const COMMENTS_PAGE = 100;

/** Endpoint names (metrics, spans) and the list key of each issue part's page. */
const PART_ENDPOINT: Record<IssuePart, string> = { comments: 'issue/comment', worklogs: 'issue/worklog', changelog: 'issue/changelog' };
const PART_LIST: Record<IssuePart, string> = { comments: 'comments', worklogs: 'worklogs', changelog: 'values' };

function onMismatch(mode: SchemaMismatchMode): 'throw' | ((report: SchemaMismatchReport) => void) {
  if (mode === 'throw') return 'throw';
  // The report names field paths and types, never values, so it is safe to log.
  return (report) => log.warn({ endpoint: report.endpoint, issues: report.issues.slice(0, 10) }, 'jira response differs from its documented schema');
}

/** A Cloud JiraApi for one connection; `caller` carries the limiter, hooks and retry policy. */
export function createCloudApi(conn: JiraConnection, caller: Caller, mode: SchemaMismatchMode): JiraApi {
  const c = conn.credentials;
  const jira = createCloudClient({
    host: conn.baseUrl,
    auth: c.kind === 'basic'
      ? { type: 'basic', email: c.email, apiToken: c.apiToken }
      : c.kind === 'password' ? { type: 'basic', email: c.username, apiToken: c.password } : { type: 'bearer', token: c.token },
    onSchemaMismatch: onMismatch(mode),
  });

  return {
    requestCount: () => caller.requestCount(),

    epicChildren: async (epicKey) => `parent = ${quoteJql(epicKey)}`,

    async myself(signal) {
      const info = { endpoint: 'myself', method: 'GET' };
      return caller.call(info, signal, async () => {
        const me = shape(info, await jira.myself.getCurrentUser());
        // The anonymous user has no accountId: whatever the status said, nobody is logged in.
        if (typeof me.accountId !== 'string' || !me.accountId) {
          throw new JiraAuthError(401, info, '401: Jira answered /myself without an accountId (anonymous); the credentials were refused');
        }
        if (typeof me.timeZone !== 'string' || !me.timeZone) {
          throw new JiraUnavailableError('malformed', 200, info, 'the user has no timeZone');
        }
        return { accountId: me.accountId, timeZone: me.timeZone };
      });
    },

    async searchPage(req, signal): Promise<SearchPage> {
      const info = { endpoint: 'search/jql', method: 'POST', page: req.page };
      return caller.call(info, signal, async () => {
        const res = shape(
          info,
          await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({
            jql: req.jql,
            fields: [...req.fields],
            maxResults: req.maxResults,
            ...(req.expand && req.expand.length > 0 ? { expand: req.expand.join(',') } : {}),
            nextPageToken: req.pageToken,
          }),
        );
        const token = typeof res.nextPageToken === 'string' && res.nextPageToken ? res.nextPageToken : undefined;
        return { issues: issuesOf(info, res.issues), nextPageToken: token, isLast: res.isLast === true || !token };
      });
    },

    async approximateCount(jql, signal) {
      const info = { endpoint: 'search/approximate-count', method: 'POST' };
      return caller.call(info, signal, async () => {
        const res = shape(info, await jira.issueSearch.countIssues({ jql }), (o) => typeof o.count === 'number');
        return res.count as number;
      });
    },

    async bulkFetch(keysOrIds, fields, signal, expand) {
      const info = { endpoint: 'issue/bulkfetch', method: 'POST' };
      return caller.call(info, signal, async () => {
        const res = shape(
          info,
          await jira.issues.bulkFetchIssues({
            issueIdsOrKeys: [...keysOrIds],
            fields: [...fields],
            ...(expand && expand.length > 0 ? { expand: [...expand] } : {}),
          }),
        );
        return issuesOf(info, res.issues);
      });
    },

    async fieldList(signal) {
      const info = { endpoint: 'field', method: 'GET' };
      return caller.call(info, signal, async () => {
        const res: unknown = await jira.issueFields.getFields();
        if (!Array.isArray(res)) throw new JiraUnavailableError('malformed', 200, info, 'the field list is not a list');
        return parseFieldList(res);
      });
    },

    async issuePart(key, part, startAt, maxResults, signal): Promise<IssuePartPage> {
      const info = { endpoint: PART_ENDPOINT[part], method: 'GET', page: Math.floor(startAt / Math.max(1, maxResults)) + 1 };
      return caller.call(info, signal, async () => {
        const params = { issueIdOrKey: key, startAt, maxResults };
        const res =
          part === 'comments'
            ? shape(info, await jira.issueComments.getComments({ ...params, orderBy: 'created' }))
            : part === 'worklogs'
              ? shape(info, await jira.issueWorklogs.getIssueWorklog(params))
              : shape(info, await jira.issues.getChangeLogs(params));
        const list = res[PART_LIST[part]];
        if (!Array.isArray(list)) throw new JiraUnavailableError('malformed', 200, info, `${PART_LIST[part]} is not a list`);
        const values = list.map(record).filter((x) => x !== undefined);
        return { values, total: typeof res.total === 'number' ? res.total : startAt + values.length };
      });
    },

    async issueStatus(key, signal) {
      const info = { endpoint: 'issue', method: 'GET' };
      return caller.call(info, signal, async () => {
        const issue = shape(info, await jira.issues.getIssue({ issueIdOrKey: key, fields: ['status'] }));
        const status = record(record(issue.fields)?.status);
        if (typeof status?.name !== 'string') throw new JiraUnavailableError('malformed', 200, info, 'the issue has no status');
        return status.name;
      });
    },

    async comments(key, startAt, signal): Promise<CommentPage> {
      const info = { endpoint: 'issue/comment', method: 'GET', page: Math.floor(startAt / COMMENTS_PAGE) + 1 };
      return caller.call(info, signal, async () => {
        const res = shape(
          info,
          await jira.issueComments.getComments({ issueIdOrKey: key, startAt, maxResults: COMMENTS_PAGE, orderBy: '-created' }),
        );
        const list = Array.isArray(res.comments) ? res.comments.map(record).filter((x) => x !== undefined) : [];
        const comments = list.map((x) => ({ id: String(x.id ?? ''), body: x.body }));
        const total = typeof res.total === 'number' ? res.total : startAt + comments.length;
        const next = startAt + comments.length;
        return { comments, nextStartAt: comments.length > 0 && next < total ? next : undefined };
      });
    },

    async addComment(key, body: AdfDocument, signal) {
      // Not retried in place: a 5xx may come after the comment was posted (report.ts checks first).
      const info = { endpoint: 'issue/comment', method: 'POST', okCode: 201, idempotent: false };
      return caller.call(info, signal, async () => {
        const res = shape(info, await jira.issueComments.addComment({ issueIdOrKey: key, body }));
        return String(res.id ?? '');
      });
    },

    async transitions(key, signal): Promise<IssueTransitionOption[]> {
      const info = { endpoint: 'issue/transitions', method: 'GET' };
      return caller.call(info, signal, async () => transitionsOf(info, await jira.issues.getTransitions({ issueIdOrKey: key })));
    },

    async transition(key, transitionId, signal) {
      const info = { endpoint: 'issue/transitions', method: 'POST', okCode: 204, idempotent: false };
      await caller.call(info, signal, () => jira.issues.doTransition({ issueIdOrKey: key, transition: { id: transitionId } }));
    },
  };
}
