/**
 * Jira's JSON for the fields beyond the core ones (model/extras.ts), and the paged endpoints of
 * worklogs and the changelog. Embedded pages are Jira's: a fetched issue carries at most
 * EMBEDDED_WORKLOGS worklogs, at most EMBEDDED_HISTORIES changelog entries (newest first) and at
 * most `store.embeddedComments` comments (oldest first, default: all), each page with
 * startAt/maxResults/total so a client knows when to ask the issue's own endpoint for the rest.
 */
import {
  attachmentsOf, dueDateOf, durationText, environmentOf, sprintOf, sprintsOf, timeTrackingOf, versionsOf, worklogsOf, VERSIONS,
  type WorklogRecord,
} from '../model/extras.ts';
import { plainDoc } from '../model/text.ts';
import type { IssueRecord } from '../model/types.ts';
import { adfToWiki } from './adf.ts';
import { formatJiraDateTime } from './dates.ts';
import { renderUserIndex, type RenderContext } from './objects.ts';

export const EMBEDDED_WORKLOGS = 20;
export const EMBEDDED_HISTORIES = 100;

const rest = (ctx: RenderContext) => `${ctx.baseUrl}/rest/api/${ctx.api}`;
const date = (ctx: RenderContext, ms: number) => formatJiraDateTime(ms, ctx.timeZone);
const text = (ctx: RenderContext, s: string) => (ctx.api === 3 ? plainDoc(s) : adfToWiki(plainDoc(s)));

export function renderDueDate(rec: IssueRecord): string | null {
  return dueDateOf(rec);
}

export function renderVersions(ctx: RenderContext, rec: IssueRecord): Record<string, unknown>[] {
  return versionsOf(rec).map((name, i) => {
    const v = VERSIONS.find((x) => x.name === name);
    const id = v?.id ?? String(10300 + i);
    return {
      self: `${rest(ctx)}/version/${id}`, id, description: '', name, archived: false, released: v?.released ?? false,
      ...(v && 'releaseDate' in v ? { releaseDate: v.releaseDate } : {}),
    };
  });
}

export function renderEnvironment(ctx: RenderContext, rec: IssueRecord): unknown {
  const env = environmentOf(rec);
  return env === null ? null : text(ctx, env);
}

export function renderTimeTracking(rec: IssueRecord): Record<string, unknown> {
  const t = timeTrackingOf(rec);
  const out: Record<string, unknown> = {};
  if (t.originalEstimateSeconds !== undefined) out.originalEstimate = durationText(t.originalEstimateSeconds);
  if (t.remainingEstimateSeconds !== undefined) out.remainingEstimate = durationText(t.remainingEstimateSeconds);
  if (t.timeSpentSeconds !== undefined) out.timeSpent = durationText(t.timeSpentSeconds);
  if (t.originalEstimateSeconds !== undefined) out.originalEstimateSeconds = t.originalEstimateSeconds;
  if (t.remainingEstimateSeconds !== undefined) out.remainingEstimateSeconds = t.remainingEstimateSeconds;
  if (t.timeSpentSeconds !== undefined) out.timeSpentSeconds = t.timeSpentSeconds;
  return out;
}

/** Cloud: sprint objects (agile dates in UTC); Data Center: the Sprint@…[…] strings of its REST v2. */
export function renderSprints(ctx: RenderContext, rec: IssueRecord): unknown {
  const list = sprintsOf(rec).map(sprintOf);
  if (list.length === 0) return null;
  const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());
  if (ctx.store.mode === 'datacenter') {
    const dc = (ms?: number) => (ms === undefined ? '<null>' : date(ctx, ms).replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
    return list.map((s) =>
      `com.atlassian.greenhopper.service.sprint.Sprint@${(0x1a2b00 + s.id).toString(16)}[id=${s.id},rapidViewId=1,state=${s.state.toUpperCase()},name=${s.name},` +
      `startDate=${dc(s.startDate)},endDate=${dc(s.endDate)},completeDate=${dc(s.completeDate)},sequence=${s.id},goal=]`);
  }
  return list.map((s) => ({
    id: s.id, name: s.name, state: s.state, boardId: 1, goal: '',
    ...(s.startDate !== undefined ? { startDate: iso(s.startDate), endDate: iso(s.endDate) } : {}),
    ...(s.completeDate !== undefined ? { completeDate: iso(s.completeDate) } : {}),
  }));
}

export function renderAttachments(ctx: RenderContext, rec: IssueRecord): Record<string, unknown>[] {
  return attachmentsOf(rec, ctx.store.apiUserStart).map((a) => {
    const author = renderUserIndex(ctx, a.author);
    return {
      self: `${rest(ctx)}/attachment/${a.id}`,
      id: String(a.id),
      filename: a.filename,
      ...(author ? { author } : {}),
      created: date(ctx, a.created),
      size: a.size,
      mimeType: a.mimeType,
      content: `${rest(ctx)}/attachment/content/${a.id}`,
      ...(a.mimeType.startsWith('image/') ? { thumbnail: `${rest(ctx)}/attachment/thumbnail/${a.id}` } : {}),
    };
  });
}

function renderWorklog(ctx: RenderContext, rec: IssueRecord, w: WorklogRecord): Record<string, unknown> {
  const author = renderUserIndex(ctx, w.author);
  return {
    self: `${rest(ctx)}/issue/${rec.id}/worklog/${w.id}`,
    ...(author ? { author, updateAuthor: author } : {}),
    ...(w.comment !== undefined ? { comment: text(ctx, w.comment) } : {}),
    created: date(ctx, w.started),
    updated: date(ctx, w.started),
    started: date(ctx, w.started),
    timeSpent: durationText(w.timeSpentSeconds),
    timeSpentSeconds: w.timeSpentSeconds,
    id: String(w.id),
    issueId: String(rec.id),
  };
}

/** A page of worklogs, oldest first: the embedded field (first EMBEDDED_WORKLOGS) or GET …/worklog. */
export function worklogPage(ctx: RenderContext, rec: IssueRecord, startAt: number, maxResults: number): Record<string, unknown> {
  const all = worklogsOf(rec, ctx.store.apiUserStart);
  const page = all.slice(startAt, startAt + maxResults);
  return { startAt, maxResults, total: all.length, worklogs: page.map((w) => renderWorklog(ctx, rec, w)) };
}

export function renderEmbeddedWorklogs(ctx: RenderContext, rec: IssueRecord): Record<string, unknown> {
  return worklogPage(ctx, rec, 0, EMBEDDED_WORKLOGS);
}
