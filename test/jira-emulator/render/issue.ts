/**
 * An issue as Jira REST returns it: `{expand, id, self, key, fields, changelog?, names?}` with only
 * the selected fields. v3 writes rich text as ADF, v2 as wiki markup. Hidden linked issues are left
 * out of `issuelinks`/`subtasks`, as Jira does for issues the user cannot see.
 */
import { CUSTOM_FIELDS, RESOLUTION_DONE, TEAM_OPTIONS } from '../model/catalog.ts';
import { customFieldOf, descriptionOf, summaryOf } from '../model/content.ts';
import type { CommentRecord, HistoryRecord, IssueRecord } from '../model/types.ts';
import { adfToWiki } from './adf.ts';
import { formatJiraDateTime } from './dates.ts';
import {
  EMBEDDED_HISTORIES, renderAttachments, renderDueDate, renderEmbeddedWorklogs, renderEnvironment, renderSprints, renderTimeTracking, renderVersions,
} from './extras.ts';
import { fieldCatalog, type FieldSelection } from './fields.ts';
import {
  renderIssueType, renderLinkType, renderPriority, renderProject, renderStatusName, renderUserIndex, type RenderContext,
} from './objects.ts';

const rest = (ctx: RenderContext) => `${ctx.baseUrl}/rest/api/${ctx.api}`;
const date = (ctx: RenderContext, ms: number) => formatJiraDateTime(ms, ctx.timeZone);
const richText = (ctx: RenderContext, doc: unknown) => (ctx.api === 3 ? doc ?? null : dataCenterMentions(ctx, adfToWiki(doc)));

/** Data Center wiki names a mentioned user by username (`[~jdoe]`); Cloud's v2 wiki by accountId. */
function dataCenterMentions(ctx: RenderContext, wiki: string | null): string | null {
  if (wiki === null || ctx.store.mode !== 'datacenter') return wiki;
  return wiki.replace(/\[~accountid:([^\]]+)\]/g, (m, id: string) => {
    const u = ctx.store.users.find((x) => x.accountId === id);
    return u ? `[~${u.name}]` : m;
  });
}

/** The small `{id, key, self, fields:{summary,status,priority,issuetype}}` form used for parent, subtasks and links. */
function issueStub(ctx: RenderContext, rec: IssueRecord): Record<string, unknown> {
  return {
    id: String(rec.id),
    key: rec.key,
    self: `${rest(ctx)}/issue/${rec.id}`,
    fields: {
      summary: summaryOf(rec),
      status: renderStatusName(ctx, rec.status),
      priority: renderPriority(ctx, rec.priority),
      issuetype: renderIssueType(ctx, rec.type),
    },
  };
}

export function renderComment(ctx: RenderContext, c: CommentRecord): Record<string, unknown> {
  const author = renderUserIndex(ctx, c.author);
  return {
    self: `${rest(ctx)}/issue/${c.issueId}/comment/${c.id}`,
    id: String(c.id),
    ...(author ? { author } : {}),
    body: richText(ctx, c.body),
    ...(author ? { updateAuthor: author } : {}),
    created: date(ctx, c.created),
    updated: date(ctx, c.updated),
    ...(ctx.store.mode === 'cloud' ? { jsdPublic: true } : {}),
    ...(c.visibility ? { visibility: c.visibility } : {}),
  };
}

export function renderHistory(ctx: RenderContext, h: HistoryRecord): Record<string, unknown> {
  const author = renderUserIndex(ctx, h.author);
  return { id: String(h.id), ...(author ? { author } : {}), created: date(ctx, h.created), items: h.items };
}

type FieldRenderer = (rec: IssueRecord, ctx: RenderContext) => unknown;

const RENDERERS: Record<string, FieldRenderer> = {
  summary: (rec) => summaryOf(rec),
  description: (rec, ctx) => richText(ctx, descriptionOf(ctx.store, rec)),
  issuetype: (rec, ctx) => renderIssueType(ctx, rec.type),
  project: (rec, ctx) => renderProject(ctx, ctx.store.projects.get(rec.project)!),
  status: (rec, ctx) => renderStatusName(ctx, rec.status),
  priority: (rec, ctx) => renderPriority(ctx, rec.priority),
  assignee: (rec, ctx) => renderUserIndex(ctx, rec.assignee),
  reporter: (rec, ctx) => renderUserIndex(ctx, rec.reporter),
  creator: (rec, ctx) => renderUserIndex(ctx, rec.reporter),
  labels: (rec) => [...rec.labels],
  created: (rec, ctx) => date(ctx, rec.created),
  updated: (rec, ctx) => date(ctx, rec.updated),
  statuscategorychangedate: (rec, ctx) => date(ctx, rec.statusChanged),
  resolution: (rec, ctx) => (ctx.store.status(rec.status)?.category === 'done'
    ? { self: `${rest(ctx)}/resolution/${RESOLUTION_DONE.id}`, ...RESOLUTION_DONE } : null),
  resolutiondate: (rec, ctx) => (ctx.store.status(rec.status)?.category === 'done' ? date(ctx, rec.statusChanged) : null),
  duedate: (rec) => renderDueDate(rec),
  versions: (rec, ctx) => renderVersions(ctx, rec),
  environment: (rec, ctx) => renderEnvironment(ctx, rec),
  timetracking: (rec) => renderTimeTracking(rec),
  attachment: (rec, ctx) => renderAttachments(ctx, rec),
  worklog: (rec, ctx) => renderEmbeddedWorklogs(ctx, rec),
  [CUSTOM_FIELDS.sprint.id]: (rec, ctx) => renderSprints(ctx, rec),
  parent: (rec, ctx) => {
    // Cloud shows the epic of a story as its parent; Data Center only a subtask's parent.
    const pid = rec.parentId ?? (ctx.store.mode === 'cloud' ? rec.epicId : undefined);
    const p = pid === undefined ? undefined : ctx.store.get(pid);
    return p && !p.hidden ? issueStub(ctx, p) : undefined;
  },
  subtasks: (rec, ctx) => ctx.store.subtasksOf(rec.id).filter((s) => !s.hidden).map((s) => issueStub(ctx, s)),
  issuelinks: (rec, ctx) => ctx.store.linksOf(rec.id).flatMap((l) => {
    const outward = l.inwardId === rec.id;
    const other = ctx.store.get(outward ? l.outwardId : l.inwardId);
    if (!other || other.hidden) return [];
    return [{ id: String(l.id), self: `${rest(ctx)}/issueLink/${l.id}`, type: renderLinkType(ctx, l.type),
      [outward ? 'inwardIssue' : 'outwardIssue']: issueStub(ctx, other) }];
  }),
  comment: (rec, ctx) => {
    // Jira embeds the first page only (oldest first); the rest is read from GET …/comment.
    const all = ctx.store.comments(rec);
    const comments = all.slice(0, ctx.store.embeddedComments).map((c) => renderComment(ctx, c));
    return { comments, self: `${rest(ctx)}/issue/${rec.id}/comment`, maxResults: comments.length, total: all.length, startAt: 0 };
  },
  [CUSTOM_FIELDS.storyPoints.id]: (rec) => customFieldOf(rec, CUSTOM_FIELDS.storyPoints.id),
  [CUSTOM_FIELDS.team.id]: (rec, ctx) => {
    const v = customFieldOf(rec, CUSTOM_FIELDS.team.id) as (typeof TEAM_OPTIONS)[number] | null;
    return v ? { self: `${rest(ctx)}/customFieldOption/${v.id}`, value: v.value, id: v.id } : null;
  },
  [CUSTOM_FIELDS.epicLink.id]: (rec, ctx) => (rec.epicId === undefined ? null : ctx.store.get(rec.epicId)?.key ?? null),
  [CUSTOM_FIELDS.epicName.id]: (rec) => customFieldOf(rec, CUSTOM_FIELDS.epicName.id),
};

export interface RenderOptions {
  fields: FieldSelection;
  expand: ReadonlySet<string>;
  /** Enhanced search without `fields` returns `{id}` only. */
  idOnly?: boolean;
}

/** Renders one issue. */
export function renderIssue(ctx: RenderContext, rec: IssueRecord, opts: RenderOptions): Record<string, unknown> {
  if (opts.idOnly) return { id: String(rec.id) };
  const out: Record<string, unknown> = {
    expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
    id: String(rec.id),
    self: `${rest(ctx)}/issue/${rec.id}`,
    key: rec.key,
  };
  const catalog = fieldCatalog(ctx.store.mode);
  if (opts.fields.any) {
    const fields: Record<string, unknown> = {};
    for (const def of catalog) {
      if (!opts.fields.has(def.id)) continue;
      const render = RENDERERS[def.id];
      if (!render) continue;
      const v = render(rec, ctx);
      if (v !== undefined) fields[def.id] = v;
    }
    out.fields = fields;
  }
  if (opts.expand.has('names')) {
    out.names = Object.fromEntries(catalog.filter((d) => opts.fields.has(d.id)).map((d) => [d.id, d.name]));
  }
  if (opts.expand.has('changelog')) {
    // Most recent first, as the docs describe, and only the most recent page of them.
    const all = ctx.store.history(rec);
    const histories = all.slice().reverse().slice(0, EMBEDDED_HISTORIES).map((h) => renderHistory(ctx, h));
    out.changelog = { startAt: 0, maxResults: histories.length, total: all.length, histories };
  }
  return out;
}

