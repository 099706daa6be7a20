/**
 * A Jira issue (REST JSON) → the plain document we store as YAML. The document holds only what a
 * reader of the repository needs, in a fixed key order, with every list in a defined order, so the
 * same Jira data always gives the same document (and therefore byte-identical YAML).
 */
import type { JiraIssue } from '../../jira/source.ts';
import { adfToMarkdown } from './adf.ts';
import * as content from './content.ts';
import { compare, names, obj, person, richText, str, utc, type PersonDoc, type RenderPlan } from './content.ts';

export { compare, richText, type PersonDoc } from './content.ts';

/** Jira fields the document is built from (custom fields are added by the caller). */
export const ISSUE_FIELDS = [
  'summary',
  'description',
  'status',
  'assignee',
  'reporter',
  'created',
  'updated',
  'priority',
  'issuetype',
  'labels',
  'components',
  'fixVersions',
  'parent',
  'issuelinks',
  'subtasks',
  'resolution',
  'versions',
  'duedate',
  'environment',
  'timetracking',
] as const;

/** An issue key safe to use as a path component (Jira keys are PROJECT-NUMBER). */
export const ISSUE_KEY = /^[A-Za-z][A-Za-z0-9_]*-[0-9]+$/;

export interface LinkDoc {
  /** The link type's outward phrase ("blocks", "relates to"): read "KEY <type> OTHER" for outward. */
  type: string;
  direction: 'outward' | 'inward';
  key: string;
}

/** The stored form of one issue. Key order here is the order in the YAML file. */
export interface IssueDocument {
  key: string;
  summary: string | null;
  description: string | null;
  status: { name: string | null; category: string | null } | null;
  assignee: PersonDoc | null;
  reporter: PersonDoc | null;
  created: string | null;
  updated: string | null;
  priority: string | null;
  issuetype: string | null;
  labels: string[];
  components: string[];
  fixVersions: string[];
  affectsVersions: string[];
  parent: string | null;
  epic: string | null;
  links: LinkDoc[];
  subtasks: string[];
  resolution: string | null;
  dueDate: string | null;
  environment: string | null;
  timeTracking: content.TimeTrackingDoc | null;
  storyPoints: number | null;
  sprints: content.SprintDoc[];
  /** spec.customFields: `{<field name>: {id, value}}`. */
  customFields?: Record<string, { id: string; value: unknown }>;
  attachments?: content.AttachmentDoc[];
  comments?: content.CommentDoc[];
  worklogs?: content.WorklogDoc[];
  changelog?: content.HistoryDoc[];
  /** Entries left out (the oldest) because the file would exceed the size limit (render/fit.ts). */
  omittedForSize?: Partial<Record<'comments' | 'changelog' | 'worklogs' | 'attachments', number>>;
}

type Obj = Record<string, unknown>;

function nameOf(v: unknown): string | null {
  const o = obj(v);
  return o ? (str(o.name) ?? str(o.value)) : str(v);
}

function issueKey(v: unknown): string | null {
  const k = str(obj(v)?.key);
  return k && ISSUE_KEY.test(k) ? k : null;
}

function links(v: unknown): LinkDoc[] {
  if (!Array.isArray(v)) return [];
  const out: LinkDoc[] = [];
  for (const raw of v) {
    const l = obj(raw);
    const type = obj(l?.type);
    if (!l || !type) continue;
    const typeName = str(type.outward) ?? str(type.name) ?? 'relates to';
    const outward = issueKey(l.outwardIssue);
    const inward = issueKey(l.inwardIssue);
    if (outward) out.push({ type: typeName, direction: 'outward', key: outward });
    if (inward) out.push({ type: typeName, direction: 'inward', key: inward });
  }
  out.sort((a, b) => compare(a.type, b.type) || compare(a.direction, b.direction) || compare(a.key, b.key));
  return out.filter((l, i) => i === 0 || compare(JSON.stringify(l), JSON.stringify(out[i - 1])) !== 0);
}

/** Is the parent an epic? Cloud says so by hierarchy level 1; older data only by the type name. */
function parentIsEpic(parent: Obj | undefined): boolean {
  const type = obj(obj(parent?.fields)?.issuetype);
  if (!type) return false;
  if (typeof type.hierarchyLevel === 'number') return type.hierarchyLevel === 1;
  return str(type.name)?.toLowerCase() === 'epic';
}

const DROP_KEYS = new Set(['self', 'avatarUrls', 'iconUrl', 'expand']);

/**
 * A custom field's value in readable form: options by their value, users by name, versions and
 * similar by name, rich text as Markdown, anything else as plain data with sorted keys.
 */
export function customValue(v: unknown, depth = 0): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v.toWellFormed();
  if (typeof v !== 'object') return v;
  if (depth > 8) return JSON.stringify(v).toWellFormed();
  if (Array.isArray(v)) return v.map((x) => customValue(x, depth + 1));
  const o = v as Obj;
  if (o.type === 'doc' && Array.isArray(o.content)) return adfToMarkdown(o).toWellFormed();
  // Users: Cloud's have an accountId; Data Center's a key and a display name (name usually too; e-mail may be hidden on both).
  const dataCenterUser = typeof o.key === 'string' && typeof o.displayName === 'string';
  if (typeof o.accountId === 'string' || typeof o.emailAddress === 'string' || dataCenterUser) return person(o);
  if (typeof o.value === 'string') {
    const child = obj(o.child);
    return (child && typeof child.value === 'string' ? `${o.value} / ${child.value}` : o.value).toWellFormed();
  }
  if (typeof o.name === 'string' && typeof o.self === 'string') return o.name.toWellFormed();
  const keys = Object.keys(o)
    .filter((k) => !DROP_KEYS.has(k))
    .map((k) => [k.toWellFormed(), k] as const)
    .sort((a, b) => compare(a[0], b[0]));
  return Object.fromEntries(keys.map(([safe, k]) => [safe, customValue(o[k], depth + 1)]));
}

/**
 * spec.customFields under their Jira names, sorted, each with its id; two fields with one name are
 * told apart as `Name (customfield_N)`.
 */
function customFieldsDoc(f: Obj, plan: RenderPlan): Record<string, { id: string; value: unknown }> {
  const count = new Map<string, number>();
  for (const c of plan.customFields) count.set(c.name, (count.get(c.name) ?? 0) + 1);
  const rows = plan.customFields.map((c) => ({ key: (count.get(c.name) ?? 0) > 1 ? `${c.name} (${c.id})` : c.name, c }));
  rows.sort((a, b) => compare(a.key, b.key) || compare(a.c.id, b.c.id));
  // fromEntries defines own properties, so a field named "__proto__" is a key like any other.
  return Object.fromEntries(rows.map(({ key, c }) => [key.toWellFormed(), { id: c.id, value: customValue(f[c.id]) }]));
}

/** Builds the document for one issue; throws only when the issue has no usable key. */
export function issueDocument(issue: JiraIssue, plan: RenderPlan = content.planFor()): IssueDocument {
  if (!ISSUE_KEY.test(issue.key)) throw new Error(`issue key ${JSON.stringify(issue.key)} is not a valid Jira key`);
  const f = issue.fields ?? {};
  const status = obj(f.status);
  const parent = obj(f.parent);
  const parentKey = issueKey(parent);
  const doc: IssueDocument = {
    key: issue.key,
    summary: str(f.summary),
    description: richText(f.description),
    status: status ? { name: str(status.name), category: nameOf(status.statusCategory) } : null,
    assignee: person(f.assignee),
    reporter: person(f.reporter),
    created: utc(f.created),
    updated: utc(f.updated),
    priority: nameOf(f.priority),
    issuetype: nameOf(f.issuetype),
    labels: Array.isArray(f.labels) ? f.labels.map(str).filter((l): l is string => l !== null).sort(compare) : [],
    components: names(f.components),
    fixVersions: names(f.fixVersions),
    affectsVersions: names(f.versions),
    parent: parentKey,
    epic: parentKey && parentIsEpic(parent) ? parentKey : null,
    links: links(f.issuelinks),
    subtasks: Array.isArray(f.subtasks) ? f.subtasks.map(issueKey).filter((k): k is string => k !== null) : [],
    resolution: nameOf(f.resolution),
    dueDate: content.dueDate(f.duedate),
    environment: richText(f.environment),
    timeTracking: content.timeTracking(f.timetracking),
    storyPoints: plan.storyPoints ? content.storyPoints(f[plan.storyPoints]) : null,
    sprints: plan.sprint ? content.sprints(f[plan.sprint]) : [],
  };
  if (plan.customFields.length > 0) doc.customFields = customFieldsDoc(f, plan);
  if (plan.attachments !== undefined) doc.attachments = content.attachments(f.attachment, plan.attachments);
  if (plan.comments !== undefined) doc.comments = content.comments(f.comment, plan.comments);
  if (plan.worklogs !== undefined) doc.worklogs = content.worklogs(f.worklog, plan.worklogs);
  if (plan.changelog !== undefined) doc.changelog = content.changelog(issue.changelog, plan.changelog);
  return doc;
}
