/**
 * A Jira issue (REST JSON) → the plain document we store as YAML. The document holds only what a
 * reader of the repository needs, in a fixed key order, with every list in a defined order, so the
 * same Jira data always gives the same document (and therefore byte-identical YAML).
 */
import type { JiraIssue } from '../../jira/source.ts';
import { adfToMarkdown } from './adf.ts';
import { wikiToMarkdown } from './wiki.ts';

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
] as const;

/** An issue key safe to use as a path component (Jira keys are PROJECT-NUMBER). */
export const ISSUE_KEY = /^[A-Za-z][A-Za-z0-9_]*-[0-9]+$/;

export interface PersonDoc {
  name: string;
  email?: string;
}

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
  parent: string | null;
  epic: string | null;
  links: LinkDoc[];
  subtasks: string[];
  resolution: string | null;
  customFields?: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** Strings as stored: lone UTF-16 surrogates (unencodable as UTF-8) become U+FFFD before sorting. */
function str(v: unknown): string | null {
  return typeof v === 'string' ? v.toWellFormed() : typeof v === 'number' ? String(v) : null;
}

function nameOf(v: unknown): string | null {
  const o = obj(v);
  return o ? (str(o.name) ?? str(o.value)) : str(v);
}

function person(v: unknown): PersonDoc | null {
  const o = obj(v);
  if (!o) return null;
  const name = str(o.displayName) ?? str(o.name) ?? str(o.accountId) ?? '';
  const email = str(o.emailAddress);
  return email ? { name, email } : { name };
}

function names(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map(nameOf).filter((s): s is string => s !== null).sort(compare);
}

/** Code-point order, independent of locale (localeCompare varies between ICU builds). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rich text of either flavour: ADF object (Cloud) or wiki markup string (Data Center). */
export function richText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return wikiToMarkdown(v.toWellFormed());
  return adfToMarkdown(v).toWellFormed();
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
  // Users: Cloud's have an accountId; Data Center's a key and a name (e-mail may be hidden on both).
  if (typeof o.accountId === 'string' || typeof o.emailAddress === 'string' || (typeof o.key === 'string' && typeof o.displayName === 'string')) return person(o);
  if (typeof o.value === 'string') {
    const child = obj(o.child);
    return (child && typeof child.value === 'string' ? `${o.value} / ${child.value}` : o.value).toWellFormed();
  }
  if (typeof o.name === 'string' && typeof o.self === 'string') return o.name.toWellFormed();
  const out: Obj = {};
  const keys = Object.keys(o)
    .filter((k) => !DROP_KEYS.has(k))
    .map((k) => [k.toWellFormed(), k] as const)
    .sort((a, b) => compare(a[0], b[0]));
  for (const [safe, k] of keys) out[safe] = customValue(o[k], depth + 1);
  return out;
}

/** Builds the document for one issue; throws only when the issue has no usable key. */
export function issueDocument(issue: JiraIssue, customFields: readonly string[] = []): IssueDocument {
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
    created: str(f.created),
    updated: str(f.updated),
    priority: nameOf(f.priority),
    issuetype: nameOf(f.issuetype),
    labels: Array.isArray(f.labels) ? f.labels.map(str).filter((l): l is string => l !== null).sort(compare) : [],
    components: names(f.components),
    fixVersions: names(f.fixVersions),
    parent: parentKey,
    epic: parentKey && parentIsEpic(parent) ? parentKey : null,
    links: links(f.issuelinks),
    subtasks: Array.isArray(f.subtasks) ? f.subtasks.map(issueKey).filter((k): k is string => k !== null) : [],
    resolution: nameOf(f.resolution),
  };
  if (customFields.length > 0) {
    const cf: Obj = {};
    for (const id of [...customFields].sort(compare)) cf[id] = customValue(f[id]);
    doc.customFields = cf;
  }
  return doc;
}
