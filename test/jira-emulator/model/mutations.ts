/**
 * Writes to the data, shared by the control API and the REST routes so both behave the same: every
 * write bumps `updated` (unless the caller sets it), stamps `lastWrite` for eventual consistency and
 * records changelog items.
 */
import { ISSUE_TYPES, type ChangeItem, type IssueRecord, type IssueTypeName, type WorkflowTransition } from './types.ts';
import { PRIORITIES, findLinkType } from './catalog.ts';
import { summaryOf } from './content.ts';
import { IssueStore, StoreError } from './store.ts';
import { plainDoc } from './text.ts';
import { hash32 } from './random.ts';
import { isAdfDoc } from '../render/adf.ts';
import type { AttachmentRecord, TimeTrackingRecord, WorklogRecord } from './extras.ts';

/** Fields the control API accepts when creating or updating an issue. */
export interface IssueFieldsInput {
  summary?: string;
  /** ADF document, plain text (becomes paragraphs) or null. */
  description?: string | Record<string, unknown> | null;
  /** Issue type name: Epic, Story, Task, Bug, Subtask (Sub-task accepted). */
  issuetype?: string;
  status?: string;
  labels?: string[];
  /** accountId, display name, Data Center username, or null for unassigned. */
  assignee?: string | null;
  reporter?: string;
  /** Priority name (Highest…Lowest). */
  priority?: string;
  /** Parent key: a subtask's parent, or (for other types) the epic. */
  parent?: string | null;
  /** Epic key (the Data Center Epic Link); same as `parent` for non-subtasks. */
  epic?: string | null;
  /** Epoch ms or an ISO date-time. */
  created?: number | string;
  updated?: number | string;
  /** `YYYY-MM-DD` or null. */
  duedate?: string | null;
  /** Affected version names. */
  versions?: string[];
  /** Plain text or null. */
  environment?: string | null;
  timetracking?: TimeTrackingRecord;
  /** Attachments (metadata; there are no bytes), replacing the issue's; ids and times are assigned. */
  attachments?: Array<{ filename: string; size?: number; mimeType?: string }>;
  /** Worklogs, replacing the issue's; ids assigned, `started` defaults to now. */
  worklogs?: Array<{ timeSpentSeconds: number; started?: number | string; comment?: string }>;
  /** Any customfield_NNNNN value (v3 form); the sprint field (customfield_10020) takes sprint numbers. */
  [customField: `customfield_${string}`]: unknown;
}

function toMs(v: number | string, name: string): number {
  const ms = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) throw new StoreError(`Invalid ${name}: ${String(v)}`);
  return ms;
}

function findUser(store: IssueStore, who: string): number {
  const lower = who.toLowerCase();
  const i = store.users.findIndex((u) => u.accountId === who || u.displayName.toLowerCase() === lower || u.name === lower || u.email === lower);
  if (i < 0) throw new StoreError(`Unknown user '${who}'`);
  return i;
}

function typeOf(name: string): IssueTypeName {
  const n = name.toLowerCase() === 'sub-task' ? 'subtask' : name.toLowerCase();
  const t = ISSUE_TYPES.find((x) => x.toLowerCase() === n);
  if (!t) throw new StoreError(`Unknown issue type '${name}' (use ${ISSUE_TYPES.join(', ')})`);
  return t;
}

function item(field: string, from: string | null, fromString: string | null, to: string | null, toString: string | null, fieldId = field): ChangeItem {
  return { field, fieldtype: fieldId.startsWith('customfield_') ? 'custom' : 'jira', fieldId, from, fromString, to, toString };
}

/** Applies field values to a record, returning the changelog items. */
function apply(store: IssueStore, rec: IssueRecord, f: IssueFieldsInput): ChangeItem[] {
  const items: ChangeItem[] = [];
  if (f.summary !== undefined) {
    const before = summaryOf(rec);
    rec.overrides.summary = f.summary;
    if (before !== f.summary) items.push(item('summary', null, before, null, f.summary));
  }
  if (f.description !== undefined) {
    const d = f.description;
    if (d !== null && typeof d !== 'string' && !isAdfDoc(d)) throw new StoreError('description must be an ADF document, a string or null');
    rec.overrides.description = typeof d === 'string' ? plainDoc(d) : d;
    items.push(item('description', null, null, null, null));
  }
  if (f.issuetype !== undefined) rec.type = typeOf(f.issuetype);
  if (f.status !== undefined) {
    const s = store.ensureStatus(f.status);
    const before = store.ensureStatus(rec.status);
    if (before.name !== s.name) {
      items.push(item('status', before.id, before.name, s.id, s.name));
      rec.status = s.name;
      rec.statusChanged = Date.now();
    }
  }
  if (f.labels !== undefined) {
    if (!Array.isArray(f.labels) || f.labels.some((l) => typeof l !== 'string' || /\s/.test(l))) throw new StoreError('labels must be strings without spaces');
    items.push(item('labels', null, rec.labels.join(' '), null, f.labels.join(' ')));
    rec.labels = [...f.labels];
  }
  if (f.assignee !== undefined) {
    const before = rec.assignee;
    rec.assignee = f.assignee === null ? -1 : findUser(store, f.assignee);
    const name = (i: number) => (i < 0 ? null : store.users[i].displayName);
    const id = (i: number) => (i < 0 ? null : store.users[i].accountId);
    if (before !== rec.assignee) items.push(item('assignee', id(before), name(before), id(rec.assignee), name(rec.assignee)));
  }
  if (f.reporter !== undefined) rec.reporter = findUser(store, f.reporter);
  if (f.priority !== undefined) {
    const i = PRIORITIES.findIndex((p) => p.name.toLowerCase() === f.priority!.toLowerCase());
    if (i < 0) throw new StoreError(`Unknown priority '${f.priority}'`);
    rec.priority = i;
  }
  const link = (key: string | null, what: string): IssueRecord | undefined => {
    if (key === null) return undefined;
    const target = store.get(key);
    if (!target) throw new StoreError(`${what} ${key} does not exist`);
    if (target.id === rec.id) throw new StoreError(`An issue cannot be its own ${what}`);
    return target;
  };
  if (f.parent !== undefined) {
    const p = link(f.parent, 'parent');
    if (rec.type === 'Subtask') store.setParent(rec, p?.id);
    else rec.epicId = p?.id;
  }
  if (f.epic !== undefined) rec.epicId = link(f.epic, 'epic')?.id;
  applyExtras(store, rec, f, items);
  for (const [k, v] of Object.entries(f)) {
    if (k.startsWith('customfield_')) {
      rec.overrides[k] = v;
      items.push(item(k, null, null, null, v === null ? null : String(typeof v === 'object' ? JSON.stringify(v) : v), k));
    }
  }
  return items;
}

let extraIds = 500_000_000;

/** The fields of model/extras.ts, stored as overrides. */
function applyExtras(store: IssueStore, rec: IssueRecord, f: IssueFieldsInput, items: ChangeItem[]): void {
  if (f.duedate !== undefined) {
    if (f.duedate !== null && !/^\d{4}-\d{2}-\d{2}$/.test(f.duedate)) throw new StoreError('duedate must be YYYY-MM-DD or null');
    rec.overrides.duedate = f.duedate;
    items.push(item('duedate', null, null, f.duedate, f.duedate));
  }
  if (f.versions !== undefined) {
    rec.overrides.versions = [...f.versions];
    items.push(item('Version', null, null, null, f.versions.join(', '), 'versions'));
  }
  if (f.environment !== undefined) {
    rec.overrides.environment = f.environment;
    items.push(item('environment', null, null, null, f.environment));
  }
  if (f.timetracking !== undefined) {
    rec.overrides.timetracking = { ...f.timetracking };
    items.push(item('timeestimate', null, null, null, String(f.timetracking.remainingEstimateSeconds ?? ''), 'timeestimate'));
  }
  const now = Date.now();
  if (f.attachments !== undefined) {
    const list: AttachmentRecord[] = f.attachments.map((a, i) => ({
      id: extraIds++, filename: a.filename, size: a.size ?? 0, mimeType: a.mimeType ?? 'application/octet-stream', author: store.apiUserStart, created: now + i,
    }));
    rec.overrides.attachment = list;
    for (const a of list) items.push(item('Attachment', null, null, String(a.id), a.filename, 'attachment'));
  }
  if (f.worklogs !== undefined) {
    const list: WorklogRecord[] = f.worklogs.map((w) => ({
      id: extraIds++, author: store.apiUserStart, started: w.started === undefined ? now : toMs(w.started, 'started'), timeSpentSeconds: w.timeSpentSeconds,
      ...(w.comment !== undefined ? { comment: w.comment } : {}),
    }));
    rec.overrides.worklog = list;
    items.push(item('timespent', null, null, null, String(list.reduce((n, w) => n + w.timeSpentSeconds, 0)), 'timespent'));
  }
}

function stamp(store: IssueStore, rec: IssueRecord, updated?: number | string): void {
  const now = Date.now();
  rec.updated = updated === undefined ? now : toMs(updated, 'updated');
  rec.lastWrite = now;
  store.touch();
}

/** Creates an issue in a project and returns it. */
export function createIssue(store: IssueStore, project: string, f: IssueFieldsInput = {}, author = store.apiUserStart): IssueRecord {
  const p = store.project(project);
  if (!p) throw new StoreError(`Project ${project} does not exist`);
  const type = f.issuetype ? typeOf(f.issuetype) : 'Task';
  if (type === 'Subtask' && !f.parent) throw new StoreError('A subtask needs a parent');
  const now = Date.now();
  const created = f.created === undefined ? now : toMs(f.created, 'created');
  const rec = store.insert({
    project: p.key, type, status: 'To Do',
    created, updated: created, statusChanged: created, lastWrite: now, labels: [], assignee: -1, reporter: author,
    priority: 2, hidden: false, seed: hash32(`${store.seed}:created:${now}:${store.size}`), generated: false, overrides: {},
  });
  try {
    apply(store, rec, { summary: f.summary ?? `New ${rec.type.toLowerCase()} ${rec.key}`, ...f, issuetype: undefined });
  } catch (err) {
    store.remove(rec);
    throw err;
  }
  stamp(store, rec, f.updated ?? created);
  return rec;
}

/** Updates fields; `updated` moves to now unless given. */
export function updateIssue(store: IssueStore, key: string, f: IssueFieldsInput, author = store.apiUserStart): IssueRecord {
  const rec = store.require(key);
  const items = apply(store, rec, f);
  stamp(store, rec, f.updated);
  store.recordHistory(rec, author, rec.updated, items);
  return rec;
}

export function deleteIssue(store: IssueStore, key: string): void {
  store.remove(store.require(key));
}

/** Moves an issue (and its subtasks) to another project; returns the new key. */
export function moveIssue(store: IssueStore, key: string, project: string): string {
  const rec = store.require(key);
  const target = store.project(project);
  if (!target) throw new StoreError(`Project ${project} does not exist`);
  const oldKey = rec.key;
  store.rekey(rec, target.key);
  for (const s of store.subtasksOf(rec.id)) {
    store.rekey(s, target.key);
    stamp(store, s);
  }
  stamp(store, rec);
  store.recordHistory(rec, store.apiUserStart, rec.updated, [item('Key', null, oldKey, null, rec.key, 'issuekey'), item('project', null, oldKey.split('-')[0], null, target.key)]);
  return rec.key;
}

export function setHidden(store: IssueStore, key: string, hidden: boolean, status: 403 | 404 = 404): void {
  if (status !== 403 && status !== 404) throw new StoreError('setHidden: status must be 403 or 404');
  const rec = store.require(key);
  rec.hidden = hidden;
  if (hidden && status === 403) rec.hiddenStatus = 403;
  else delete rec.hiddenStatus;
  store.touch();
}

export function addLink(store: IssueStore, from: string, type: string, to: string): void {
  const t = findLinkType(type, store.linkTypes);
  if (!t) throw new StoreError(`Unknown link type '${type}' (use ${store.linkTypes.map((l) => l.name).join(', ')} or their verbs)`);
  // "A is blocked by B" means B blocks A.
  const inwardVerb = t.inward === type.toLowerCase() && t.inward !== t.outward;
  const a = store.require(from);
  const b = store.require(to);
  if (inwardVerb) store.addLink(t.name, b, a);
  else store.addLink(t.name, a, b);
  stamp(store, a, a.updated);
}

/** Adds a link type, as a Jira admin may, with any name and verbs (hostile names included). */
export function defineLinkType(store: IssueStore, name: string, outward: string, inward: string): void {
  if (![name, outward, inward].every((x) => typeof x === 'string' && x !== '')) throw new StoreError('a link type needs name, outward and inward');
  if (findLinkType(name, store.linkTypes)) throw new StoreError(`Link type '${name}' exists`);
  store.linkTypes.push({ id: String(10000 + store.linkTypes.length), name, outward, inward });
}

/** Replaces a project's workflow; unknown target/source statuses are created. */
export type WorkflowTransitionInput = Omit<WorkflowTransition, 'id'> & { id?: string };

export function setWorkflow(store: IssueStore, project: string, transitions: WorkflowTransitionInput[]): WorkflowTransition[] {
  const p = store.project(project);
  if (!p) throw new StoreError(`Project ${project} does not exist`);
  if (!Array.isArray(transitions)) throw new StoreError('transitions must be an array');
  p.workflow = transitions.map((t, i) => {
    if (typeof t.name !== 'string' || typeof t.to !== 'string') throw new StoreError('each transition needs name and to');
    store.ensureStatus(t.to);
    for (const f of t.from ?? []) store.ensureStatus(f);
    if (t.requiredFields !== undefined && !(Array.isArray(t.requiredFields) && t.requiredFields.every((f) => typeof f === 'string'))) {
      throw new StoreError('requiredFields must be a list of field ids');
    }
    if (t.validatorError !== undefined && typeof t.validatorError !== 'string') throw new StoreError('validatorError must be a string');
    return {
      id: t.id ?? String((i + 1) * 10 + 1), name: t.name, to: store.ensureStatus(t.to).name,
      ...(t.from ? { from: t.from.map((f) => store.ensureStatus(f).name) } : {}),
      ...(t.requiredFields?.length ? { requiredFields: [...t.requiredFields] } : {}),
      ...(t.validatorError ? { validatorError: t.validatorError } : {}),
    };
  });
  store.touch();
  return p.workflow;
}

export function setIssueStatus(store: IssueStore, key: string, status: string): void {
  updateIssue(store, key, { status });
}
