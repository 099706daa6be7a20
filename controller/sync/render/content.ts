/**
 * The parts of an issue file beyond the core fields (issue 18): well-known fields (due date,
 * affected versions, environment, time tracking, story points, sprints), people with their ids,
 * and the optional parts `spec.content` turns on (comments, attachments, worklogs, changelog).
 * Pure functions of Jira's JSON: every list has a defined order and every timestamp is written in
 * UTC, so neither Jira's answer order nor the bot user's time zone changes a file. Every string
 * from Jira ends up as a YAML value (never a key the renderer did not choose, never a path).
 */
import type { ResolvedField } from '../../jira/fields.ts';
import { adfToMarkdown } from './adf.ts';
import { wikiToMarkdown } from './wiki.ts';

/** What to render for one sync, from spec.content and the field list (content.ts in sync/ builds it). */
export interface RenderPlan {
  /** Field id of story points / the sprint on this site, when it has one. */
  storyPoints?: string;
  sprint?: string;
  /** spec.customFields, resolved. */
  customFields: readonly ResolvedField[];
  /** Per-issue caps of the optional parts; absent = not written. */
  comments?: number;
  attachments?: number;
  worklogs?: number;
  changelog?: number;
}

/** A plan with custom fields known by id only (tests, sources without a field list). */
export function planFor(customFields: readonly string[] = [], parts: Partial<RenderPlan> = {}): RenderPlan {
  return { ...parts, customFields: customFields.map((id) => ({ id, name: id })) };
}

type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** Strings as stored: lone UTF-16 surrogates (unencodable as UTF-8) become U+FFFD. */
export function str(v: unknown): string | null {
  return typeof v === 'string' ? v.toWellFormed() : typeof v === 'number' ? String(v) : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Code-point order, independent of locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rich text of either flavour: ADF object (Cloud) or wiki markup string (Data Center). */
export function richText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return wikiToMarkdown(v.toWellFormed());
  return adfToMarkdown(v).toWellFormed();
}

/** Epoch ms of a Jira timestamp (`2024-01-02T10:20:30.123+0100`, ISO with `Z` or `+01:00`); NaN otherwise. */
export function timeMs(v: unknown): number {
  if (typeof v !== 'string') return Number.NaN;
  return Date.parse(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/**
 * A timestamp in UTC with milliseconds (`2024-01-02T09:20:30.123Z`), whatever zone Jira wrote it
 * in; text that is not a timestamp is kept as it is (it still reads back, and never changes).
 */
export function utc(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const ms = timeMs(v);
  if (Number.isNaN(ms) || typeof v !== 'string' || !/^\d{4}-\d\d-\d\dT/.test(v)) return str(v);
  return new Date(ms).toISOString();
}

/** A person: display name, the account id (Cloud) or username and user key (Data Center), email when shown. */
export interface PersonDoc {
  name: string;
  accountId?: string;
  username?: string;
  userKey?: string;
  email?: string;
}

export function person(v: unknown): PersonDoc | null {
  const o = obj(v);
  if (!o) return null;
  const accountId = str(o.accountId);
  const username = accountId ? null : str(o.name);
  const userKey = accountId ? null : str(o.key);
  const out: PersonDoc = { name: str(o.displayName) ?? username ?? accountId ?? '' };
  if (accountId) out.accountId = accountId;
  if (username) out.username = username;
  if (userKey) out.userKey = userKey;
  const email = str(o.emailAddress);
  if (email) out.email = email;
  return out;
}

/** Names of a list of named objects (versions, components), sorted. */
export function names(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => str(obj(x)?.name) ?? str(x)).filter((s): s is string => s !== null).sort(compare);
}

/** A due date is a calendar date (`2024-05-01`, no zone): written as Jira gives it. */
export function dueDate(v: unknown): string | null {
  return str(v);
}

export interface TimeTrackingDoc {
  originalEstimate?: string;
  originalEstimateSeconds?: number;
  remainingEstimate?: string;
  remainingEstimateSeconds?: number;
  timeSpent?: string;
  timeSpentSeconds?: number;
}

/** Jira's `timetracking` (`{originalEstimate: "2d", originalEstimateSeconds: 57600, …}`); null when empty. */
export function timeTracking(v: unknown): TimeTrackingDoc | null {
  const o = obj(v);
  if (!o) return null;
  const out: TimeTrackingDoc = {};
  for (const k of ['originalEstimate', 'remainingEstimate', 'timeSpent'] as const) {
    const text = str(o[k]);
    const secs = num(o[`${k}Seconds`]);
    if (text !== null) out[k] = text;
    if (secs !== null) out[`${k}Seconds`] = secs;
  }
  return Object.keys(out).length > 0 ? out : null;
}

export interface SprintDoc {
  name: string | null;
  state: string | null;
  startDate: string | null;
  endDate: string | null;
  completeDate: string | null;
}

/** Data Center writes a sprint as `com.atlassian.greenhopper.service.sprint.Sprint@1a2b[id=1,state=ACTIVE,name=S 1,…]`. */
function dataCenterSprint(text: string): Obj | undefined {
  const m = /\[(.*)\]$/s.exec(text);
  if (!m) return undefined;
  const out: Obj = {};
  // Values may hold commas (names); a key is a word followed by '=' after a comma.
  const parts = m[1].split(/,(?=[A-Za-z]+=)/);
  for (const p of parts) {
    const i = p.indexOf('=');
    if (i > 0) {
      const v = p.slice(i + 1);
      out[p.slice(0, i)] = v === '<null>' ? null : v;
    }
  }
  return out;
}

/** The sprint field: a list of sprints (Cloud objects or Data Center strings), ordered by sprint id. */
export function sprints(v: unknown): SprintDoc[] {
  if (!Array.isArray(v)) return [];
  const rows = v
    .map((x) => (typeof x === 'string' ? dataCenterSprint(x) : obj(x)))
    .filter((x): x is Obj => x !== undefined)
    .map((s) => ({
      id: Number(s.id),
      doc: {
        name: str(s.name),
        state: str(s.state)?.toLowerCase() ?? null,
        startDate: utc(s.startDate),
        endDate: utc(s.endDate),
        completeDate: utc(s.completeDate),
      },
    }));
  rows.sort((a, b) => (a.id || 0) - (b.id || 0) || compare(a.doc.name ?? '', b.doc.name ?? ''));
  return rows.map((r) => r.doc);
}

/** Story points as a number (null when unset). */
export function storyPoints(v: unknown): number | null {
  return num(v) ?? (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
}

/** Entries of an embedded page (`{comments: [...]}`, `{worklogs: [...]}`, `{histories: [...]}`) or a bare list. */
export function pageValues(v: unknown, key: string): Obj[] {
  const list = Array.isArray(v) ? v : obj(v)?.[key];
  return Array.isArray(list) ? list.map(obj).filter((x): x is Obj => x !== undefined) : [];
}

/** Oldest first by time, then by numeric id; the newest `cap` kept. */
function newest(entries: Obj[], timeKey: string, cap: number): Obj[] {
  const rows = entries.map((e) => ({ e, t: timeMs(e[timeKey]), id: Number(e.id) }));
  rows.sort((a, b) => (a.t || 0) - (b.t || 0) || (a.id || 0) - (b.id || 0) || compare(String(a.e.id), String(b.e.id)));
  return rows.slice(Math.max(0, rows.length - cap)).map((r) => r.e);
}

function visibility(v: unknown): string | undefined {
  const o = obj(v);
  const type = str(o?.type);
  const value = str(o?.value) ?? str(o?.identifier);
  return type && value ? `${type}: ${value}` : undefined;
}

export interface CommentDoc {
  id: string | null;
  author: PersonDoc | null;
  created: string | null;
  updated: string | null;
  /** Restricted to a role or group in Jira ("role: Developers"). */
  visibility?: string;
  body: string | null;
}

export function comments(v: unknown, cap: number): CommentDoc[] {
  return newest(pageValues(v, 'comments'), 'created', cap).map((c) => {
    const doc: CommentDoc = { id: str(c.id), author: person(c.author), created: utc(c.created), updated: utc(c.updated), body: richText(c.body) };
    const vis = visibility(c.visibility);
    if (vis) return { id: doc.id, author: doc.author, created: doc.created, updated: doc.updated, visibility: vis, body: doc.body };
    return doc;
  });
}

export interface AttachmentDoc {
  id: string | null;
  filename: string | null;
  size: number | null;
  mimeType: string | null;
  author: PersonDoc | null;
  created: string | null;
  /** Where Jira serves the bytes (they are never copied into git). */
  url: string | null;
}

/** Attachment metadata only, oldest first, the newest `cap`. */
export function attachments(v: unknown, cap: number): AttachmentDoc[] {
  return newest(pageValues(v, 'attachments'), 'created', cap).map((a) => ({
    id: str(a.id),
    filename: str(a.filename),
    size: num(a.size),
    mimeType: str(a.mimeType),
    author: person(a.author),
    created: utc(a.created),
    url: str(a.content),
  }));
}

export interface WorklogDoc {
  id: string | null;
  author: PersonDoc | null;
  started: string | null;
  timeSpent: string | null;
  timeSpentSeconds: number | null;
  comment: string | null;
}

export function worklogs(v: unknown, cap: number): WorklogDoc[] {
  return newest(pageValues(v, 'worklogs'), 'started', cap).map((w) => ({
    id: str(w.id),
    author: person(w.author),
    started: utc(w.started),
    timeSpent: str(w.timeSpent),
    timeSpentSeconds: num(w.timeSpentSeconds),
    comment: richText(w.comment),
  }));
}

export interface ChangeDoc {
  field: string | null;
  from: string | null;
  to: string | null;
}

export interface HistoryDoc {
  id: string | null;
  author: PersonDoc | null;
  created: string | null;
  changes: ChangeDoc[];
}

/** The changelog as a list of field changes (display values), oldest first, the newest `cap` entries. */
export function changelog(v: unknown, cap: number): HistoryDoc[] {
  return newest(pageValues(v, 'histories'), 'created', cap).map((h) => ({
    id: str(h.id),
    author: person(h.author),
    created: utc(h.created),
    changes: pageValues(h.items, 'items').map((i) => ({ field: str(i.field), from: str(i.fromString) ?? str(i.from), to: str(i.toString) ?? str(i.to) })),
  }));
}
