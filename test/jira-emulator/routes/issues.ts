/**
 * Issue endpoints: GET issue (fields, expand=changelog), bulk fetch (≤ 100; missing or hidden
 * issues silently left out), comments (ADF on v3, wiki markup on v2) and transitions. All of them
 * find a moved issue under its old key and answer with its new one, as Jira does.
 */
import type { Core } from '../core.ts';
import { HttpError, intParam, issueForbidden, issueNotFound, queryList, type ApiRequest, type Reply } from '../http.ts';
import { updateIssue } from '../model/mutations.ts';
import type { IssueRecord } from '../model/types.ts';
import { isAdfDoc, wikiToAdf } from '../render/adf.ts';
import { selectFields } from '../render/fields.ts';
import { worklogPage } from '../render/extras.ts';
import { renderComment, renderHistory, renderIssue } from '../render/issue.ts';
import { renderStatusName, type RenderContext } from '../render/objects.ts';

const renderContext = (core: Core, req: ApiRequest): RenderContext => ({ store: core.store, baseUrl: core.baseUrl, api: req.api, timeZone: req.user.timeZone });

/**
 * The issue a path names — by id, key, or a key it had before a move (Jira still resolves those) —
 * or the error Jira answers: 404 for a missing one or a hidden one, 403 for one hidden with 403.
 */
function visibleIssue(core: Core, keyOrId: string): IssueRecord {
  const rec = core.store.resolve(keyOrId);
  if (!rec) throw issueNotFound();
  if (rec.hidden) throw rec.hiddenStatus === 403 ? issueForbidden() : issueNotFound();
  return rec;
}

/** GET /issue/{issueIdOrKey}. */
export function getIssue(core: Core, req: ApiRequest): Reply {
  const rec = visibleIssue(core, req.params[0]);
  const fields = selectFields(queryList(req.query, 'fields'), '*all', core.store.mode);
  const expand = new Set(queryList(req.query, 'expand') ?? []);
  return { status: 200, body: renderIssue(renderContext(core, req), rec, { fields, expand }) };
}

/** POST /issue/bulkfetch. */
export function bulkFetch(core: Core, req: ApiRequest): Reply {
  const b = (req.body ?? {}) as Record<string, unknown>;
  const ids = b.issueIdsOrKeys;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((x) => typeof x === 'string')) {
    throw new HttpError(400, [], { issueIdsOrKeys: 'The issueIdsOrKeys list must contain between 1 and 100 issue IDs or keys.' });
  }
  if (ids.length > 100) throw new HttpError(400, [], { issueIdsOrKeys: 'The issueIdsOrKeys list must contain between 1 and 100 issue IDs or keys.' });
  const fieldList = Array.isArray(b.fields) ? (b.fields as string[]) : undefined;
  const fields = selectFields(fieldList, '*navigable', core.store.mode);
  const expand = new Set(Array.isArray(b.expand) ? (b.expand as string[]) : typeof b.expand === 'string' ? b.expand.split(',') : []);
  const ctx = renderContext(core, req);
  const seen = new Set<number>();
  const issues: Record<string, unknown>[] = [];
  // The anonymous user (a refused token in expired-token mode) sees no issue.
  for (const k of req.anonymous ? [] : (ids as string[])) {
    const rec = core.store.resolve(k);
    if (!rec || rec.hidden || seen.has(rec.id)) continue;
    seen.add(rec.id);
    issues.push(renderIssue(ctx, rec, { fields, expand }));
  }
  return { status: 200, body: { issues, issueErrors: [] } };
}

/** GET /issue/{key}/comment. */
export function listComments(core: Core, req: ApiRequest): Reply {
  const rec = visibleIssue(core, req.params[0]);
  const startAt = Math.max(0, intParam(req.query.get('startAt'), 'startAt', 0));
  const maxResults = Math.min(Math.max(intParam(req.query.get('maxResults'), 'maxResults', 5000), 0), 5000);
  let all = core.store.comments(rec);
  const orderBy = req.query.get('orderBy') ?? '';
  if (orderBy.replace(/^\+/, '') === '-created') all = all.slice().reverse();
  const ctx = renderContext(core, req);
  return {
    status: 200,
    body: { startAt, maxResults, total: all.length, comments: all.slice(startAt, startAt + maxResults).map((c) => renderComment(ctx, c)) },
  };
}

/** GET /issue/{key}/worklog: oldest first, startAt/maxResults (≤ 5000)/total. */
export function listWorklogs(core: Core, req: ApiRequest): Reply {
  const rec = visibleIssue(core, req.params[0]);
  const startAt = Math.max(0, intParam(req.query.get('startAt'), 'startAt', 0));
  const maxResults = Math.min(Math.max(intParam(req.query.get('maxResults'), 'maxResults', 5000), 0), 5000);
  return { status: 200, body: worklogPage(renderContext(core, req), rec, startAt, maxResults) };
}

/** GET /issue/{key}/changelog (Cloud): oldest first, startAt/maxResults (≤ 100)/total/isLast. */
export function listChangelog(core: Core, req: ApiRequest): Reply {
  const rec = visibleIssue(core, req.params[0]);
  const startAt = Math.max(0, intParam(req.query.get('startAt'), 'startAt', 0));
  const maxResults = Math.min(Math.max(intParam(req.query.get('maxResults'), 'maxResults', 100), 1), 100);
  const all = core.store.history(rec);
  const ctx = renderContext(core, req);
  const values = all.slice(startAt, startAt + maxResults).map((h) => renderHistory(ctx, h));
  const isLast = startAt + values.length >= all.length;
  const self = `${core.baseUrl}/rest/api/${req.api}/issue/${rec.id}/changelog`;
  return {
    status: 200,
    body: {
      self: `${self}?maxResults=${maxResults}&startAt=${startAt}`,
      ...(isLast ? {} : { nextPage: `${self}?maxResults=${maxResults}&startAt=${startAt + values.length}` }),
      maxResults, startAt, total: all.length, isLast, values,
    },
  };
}

/** GET /issue/{key}/comment/{id}. */
export function getComment(core: Core, req: ApiRequest): Reply {
  const rec = visibleIssue(core, req.params[0]);
  const c = core.store.comments(rec).find((x) => String(x.id) === req.params[1]);
  if (!c) throw new HttpError(404, [`Can not find a comment for the id: ${req.params[1]}.`]);
  return { status: 200, body: renderComment(renderContext(core, req), c) };
}

/** POST /issue/{key}/comment: v3 wants an ADF document, v2 wiki-markup text. */
export function addComment(core: Core, req: ApiRequest): Reply {
  const rec = visibleIssue(core, req.params[0]);
  const b = (req.body ?? {}) as { body?: unknown; visibility?: unknown };
  let doc: Record<string, unknown>;
  if (req.api === 3) {
    if (b.body === undefined || b.body === null || b.body === '') throw new HttpError(400, [], { comment: 'Comment body can not be empty!' });
    if (!isAdfDoc(b.body)) throw new HttpError(400, [], { comment: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' });
    doc = b.body;
  } else {
    if (typeof b.body !== 'string' || b.body.trim() === '') throw new HttpError(400, [], { comment: 'Comment body can not be empty!' });
    doc = wikiToAdf(b.body);
  }
  let visibility: { type: string; value: string } | undefined;
  if (b.visibility !== undefined) {
    const v = b.visibility as { type?: unknown; value?: unknown };
    if ((v.type !== 'group' && v.type !== 'role') || typeof v.value !== 'string') throw new HttpError(400, [], { commentLevel: 'Visibility must have a type of group or role and a value.' });
    visibility = { type: v.type, value: v.value };
  }
  const now = Date.now();
  const c = core.store.addComment(rec, doc, req.userIndex, now, visibility);
  // Commenting updates the issue, as in Jira.
  rec.updated = now;
  rec.lastWrite = now;
  return { status: 201, body: renderComment(renderContext(core, req), c) };
}

/** GET /issue/{key}/transitions. */
export function listTransitions(core: Core, req: ApiRequest): Reply {
  const rec = visibleIssue(core, req.params[0]);
  const only = req.query.get('transitionId');
  const ctx = renderContext(core, req);
  const transitions = core.store.availableTransitions(rec).filter((t) => !only || t.id === only).map((t) => ({
    id: t.id,
    name: t.name,
    to: renderStatusName(ctx, t.to),
    hasScreen: Boolean(t.requiredFields?.length),
    isGlobal: t.from === undefined,
    isInitial: false,
    isAvailable: true,
    isConditional: false,
    looped: false,
  }));
  return { status: 200, body: { expand: 'transitions', transitions } };
}

/** POST /issue/{key}/transitions: applies a transition the workflow offers; 204. */
export function doTransition(core: Core, req: ApiRequest): Reply {
  const rec = visibleIssue(core, req.params[0]);
  const b = (req.body ?? {}) as { transition?: { id?: unknown; name?: unknown } };
  const id = b.transition?.id === undefined ? undefined : String(b.transition.id);
  if (id === undefined) throw new HttpError(400, ["Missing 'transition' identifier"]);
  const t = core.store.availableTransitions(rec).find((x) => x.id === id);
  const from = rec.status;
  if (!t) throw new HttpError(400, [`Transition id '${id}' is not valid for this issue.`]);
  if (t.validatorError) throw new HttpError(400, [t.validatorError]);
  const given = ((req.body ?? {}) as { fields?: Record<string, unknown> }).fields ?? {};
  const missing = (t.requiredFields ?? []).filter((f) => given[f] === undefined || given[f] === null || given[f] === '');
  if (missing.length) throw new HttpError(400, [], Object.fromEntries(missing.map((f) => [f, `${f[0].toUpperCase()}${f.slice(1)} is required.`])));
  updateIssue(core.store, rec.key, { status: t.to }, req.userIndex);
  core.store.recordTransition(rec, { issueKey: rec.key, id: t.id, name: t.name, from, to: t.to, at: Date.now(), body: req.body });
  return { status: 204 };
}
