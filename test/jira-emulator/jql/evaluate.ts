/**
 * Compiles a parsed JQL query into a predicate and a sort order over issue records. Supports the
 * subset syncs use; every other field, operator or function is a JqlError (HTTP 400), never a
 * silent match-all.
 */
import type { IssueStore } from '../model/store.ts';
import type { IssueRecord } from '../model/types.ts';
import { parseJqlDate } from './dates.ts';
import { JqlError } from './errors.ts';
import { parseJql, type Node, type Operand, type Operator, type Value } from './parser.ts';

export interface JqlContext {
  store: IssueStore;
  now: number;
  timeZone: string;
}

export type SortValue = string | number;

export interface CompiledQuery {
  /** False when the query has no restriction (enhanced search and approximate-count refuse those). */
  bounded: boolean;
  match(rec: IssueRecord): boolean;
  /** The tuple the results are sorted by, ending with the id as a tie-breaker. */
  sortKey(rec: IssueRecord): SortValue[];
  /** Sort direction for each position of sortKey (1 ascending, -1 descending). */
  directions: number[];
}

type FieldName = 'project' | 'key' | 'parent' | 'epic' | 'status' | 'labels' | 'updated';

const FIELDS: Record<string, FieldName> = {
  project: 'project', key: 'key', issuekey: 'key', issue: 'key', id: 'key', parent: 'parent',
  'epic link': 'epic', 'cf[10014]': 'epic', status: 'status', labels: 'labels', updated: 'updated', updateddate: 'updated',
};
const OPERATORS: Record<FieldName, Operator[]> = {
  project: ['=', '!=', 'in', 'not in'],
  key: ['=', '!=', 'in', 'not in'],
  parent: ['=', '!=', 'in', 'not in'],
  epic: ['=', '!=', 'in', 'not in'],
  status: ['=', '!=', 'in', 'not in'],
  labels: ['=', '!=', 'in', 'not in'],
  updated: ['=', '!=', '>', '>=', '<', '<='],
};
/** Real Jira fields the emulator does not evaluate: a clear 400 rather than a wrong answer. */
const KNOWN_UNSUPPORTED = new Set(['summary', 'description', 'text', 'comment', 'environment', 'assignee', 'reporter', 'creator',
  'created', 'createddate', 'priority', 'type', 'issuetype', 'resolution', 'resolved', 'resolutiondate', 'due', 'duedate', 'sprint',
  'component', 'fixversion', 'affectedversion', 'statuscategory', 'watcher', 'watchers', 'votes', 'voter', 'worklogdate', 'timespent',
  'rank', 'lastviewed', 'attachments', 'filter', 'issuefunction', 'cf[10016]', 'cf[10050]', 'story point estimate', 'team', 'epic name', 'cf[10011]']);
const SUPPORTED = 'project, key, issuekey, parent, "Epic Link", status, labels, updated';
const KNOWN_FUNCTIONS = new Set(['currentuser', 'now', 'startofday', 'endofday', 'startofweek', 'endofweek', 'startofmonth', 'endofmonth',
  'membersof', 'issuehistory', 'linkedissues', 'opensprints', 'closedsprints', 'updatedby', 'portfoliochildissuesof', 'currentlogin']);

function resolveField(name: string): FieldName {
  const lower = name.toLowerCase();
  const f = FIELDS[lower];
  if (f) return f;
  if (KNOWN_UNSUPPORTED.has(lower)) throw new JqlError(`The Jira emulator does not support the field '${name}' in JQL (supported: ${SUPPORTED}).`);
  throw new JqlError(`Field '${name}' does not exist or you do not have permission to view it.`);
}

function operandValues(field: string, operand: Operand): Value[] {
  if (operand.kind === 'function') {
    const n = operand.name.toLowerCase();
    if (KNOWN_FUNCTIONS.has(n)) throw new JqlError(`The Jira emulator does not support JQL functions such as '${operand.name}()'.`);
    throw new JqlError(`Unable to find JQL function '${operand.name}()'.`);
  }
  const values = operand.kind === 'value' ? [operand.value] : operand.values;
  for (const v of values) {
    const t = v.text.toLowerCase();
    if (!v.quoted && (t === 'empty' || t === 'null')) throw new JqlError(`The Jira emulator does not support EMPTY/NULL values (field '${field}').`);
  }
  return values;
}

/** The set-membership predicate for =, !=, in, not in over a record's values. */
function membership(op: Operator, wanted: Set<string | number>, get: (r: IssueRecord) => (string | number)[]): (r: IssueRecord) => boolean {
  const positive = op === '=' || op === 'in';
  return (r) => {
    const have = get(r);
    // Like Jira, a negative clause does not match issues where the field is empty.
    if (have.length === 0) return false;
    const hit = have.some((h) => wanted.has(h));
    return positive ? hit : !hit;
  };
}

function issueRef(ctx: JqlContext, v: Value, field: string): IssueRecord {
  const rec = ctx.store.get(v.text);
  if (!/^(\d+|[A-Za-z][A-Za-z0-9_]*-\d+)$/.test(v.text)) throw new JqlError(`The issue key '${v.text}' for field '${field}' is invalid.`);
  if (!rec || rec.hidden) throw new JqlError(`An issue with key '${v.text}' does not exist for field '${field}'.`);
  return rec;
}

function compileClause(node: Extract<Node, { kind: 'clause' }>, ctx: JqlContext): (r: IssueRecord) => boolean {
  const field = resolveField(node.field);
  if (!OPERATORS[field].includes(node.op)) {
    throw new JqlError(`The operator '${node.op.toUpperCase()}' is not supported by the '${node.field}' field.`);
  }
  const values = operandValues(node.field, node.operand);
  if (node.operand.kind === 'list' && node.op !== 'in' && node.op !== 'not in') {
    throw new JqlError(`The operator '${node.op.toUpperCase()}' does not support the list value '(${values.map((v) => v.text).join(', ')})' for field '${node.field}'.`);
  }
  const { store } = ctx;
  switch (field) {
    case 'project': {
      const keys = new Set(values.map((v) => {
        const p = store.project(v.text);
        if (!p) throw new JqlError(`The value '${v.text}' does not exist for the field '${node.field}'.`);
        return p.key;
      }));
      return membership(node.op, keys, (r) => [r.project]);
    }
    case 'key': {
      const ids = new Set(values.map((v) => issueRef(ctx, v, node.field).id));
      return membership(node.op, ids, (r) => [r.id]);
    }
    case 'parent': {
      const ids = new Set(values.map((v) => issueRef(ctx, v, node.field).id));
      // Cloud's parent covers both subtask→parent and child→epic; Data Center's only subtasks.
      const cloud = store.mode === 'cloud';
      return membership(node.op, ids, (r) => (r.parentId !== undefined ? [r.parentId] : cloud && r.epicId !== undefined ? [r.epicId] : []));
    }
    case 'epic': {
      const ids = new Set(values.map((v) => issueRef(ctx, v, node.field).id));
      return membership(node.op, ids, (r) => (r.epicId !== undefined ? [r.epicId] : []));
    }
    case 'status': {
      const names = new Set(values.map((v) => {
        const s = store.status(v.text);
        if (!s) throw new JqlError(`The value '${v.text}' does not exist for the field '${node.field}'.`);
        return s.name.toLowerCase();
      }));
      return membership(node.op, names, (r) => [r.status.toLowerCase()]);
    }
    case 'labels': {
      const labels = new Set(values.map((v) => v.text));
      return membership(node.op, labels, (r) => r.labels);
    }
    case 'updated': {
      const t = parseJqlDate(values[0].text, node.field, ctx.now, ctx.timeZone);
      switch (node.op) {
        case '>=': return (r) => r.updated >= t;
        case '>': return (r) => r.updated > t;
        case '<=': return (r) => r.updated <= t;
        case '<': return (r) => r.updated < t;
        case '=': return (r) => r.updated === t;
        default: return (r) => r.updated !== t;
      }
    }
  }
}

function compileNode(node: Node, ctx: JqlContext): (r: IssueRecord) => boolean {
  switch (node.kind) {
    case 'and': {
      const parts = node.children.map((c) => compileNode(c, ctx));
      return (r) => parts.every((p) => p(r));
    }
    case 'or': {
      const parts = node.children.map((c) => compileNode(c, ctx));
      return (r) => parts.some((p) => p(r));
    }
    case 'not':
      throw new JqlError('The Jira emulator does not support NOT in JQL; use != or NOT IN.');
    case 'clause':
      return compileClause(node, ctx);
  }
}

/** Parses and compiles JQL; throws JqlError with Jira's wording on any problem. */
export function compileJql(jql: string, ctx: JqlContext): CompiledQuery {
  const q = parseJql(jql);
  const match = q.where ? compileNode(q.where, ctx) : () => true;
  const getters: ((r: IssueRecord) => SortValue)[] = [];
  const directions: number[] = [];
  for (const s of q.orderBy) {
    const lower = s.field.toLowerCase();
    const dir = s.dir === 'desc' ? -1 : 1;
    if (lower === 'key' || lower === 'issuekey') {
      getters.push((r) => r.project, (r) => Number(r.key.slice(r.key.lastIndexOf('-') + 1)));
      directions.push(dir, dir);
    } else if (lower === 'updated' || lower === 'updateddate') {
      getters.push((r) => r.updated);
      directions.push(dir);
    } else if (KNOWN_UNSUPPORTED.has(lower) || FIELDS[lower]) {
      throw new JqlError(`The Jira emulator does not support ORDER BY '${s.field}' (supported: key, issuekey, updated).`);
    } else {
      throw new JqlError(`Not able to sort using field '${s.field}'.`);
    }
  }
  // Without ORDER BY: newest first (by id). The id always ends the tuple so the order is total.
  getters.push((r) => r.id);
  directions.push(q.orderBy.length === 0 ? -1 : 1);
  return { bounded: q.where !== undefined, match, sortKey: (r) => getters.map((g) => g(r)), directions };
}

/** Compares two sort tuples under the given directions. */
export function compareKeys(a: SortValue[], b: SortValue[], directions: number[]): number {
  for (let i = 0; i < directions.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    return (x < y ? -1 : 1) * directions[i];
  }
  return 0;
}
