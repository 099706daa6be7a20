/**
 * A JIRASync target → what to ask Jira for. Validates the target (a wrong one is a stalling
 * error: retrying cannot fix it), builds JQL with safe quoting, and formats incremental date
 * bounds the way Jira reads them: minutes only, in the Jira user's own time zone.
 */
import { createHash } from 'node:crypto';
import type { JIRASyncSpec, SyncType } from '../api/jirasync.ts';
import { formatJqlDateTime, jqlDateTimeAtOrBefore } from '../jira/jql.ts';
import { StallingError } from './errors.ts';
import { ISSUE_KEY, compare } from './render/document.ts';

/** Bumped when the stored files change shape; a new version forces a full resync. */
export const FORMAT_VERSION = 1;

const PROJECT_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;

/** What one sync covers. */
export type Scope =
  | { kind: 'keys'; keys: string[]; label: string; query: string }
  | { kind: 'jql'; jql: string; label: string; query: string }
  | { kind: 'epic'; epicKey: string; label: string; query: string };

/** A JQL string literal. */
export function quoteJql(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The JQL without a trailing ORDER BY clause (ignoring "order by" inside quoted strings). */
export function stripOrderBy(jql: string): string {
  // Mask quoted text so a value such as "order by" is never mistaken for the clause.
  let masked = '';
  let quote: string | undefined;
  for (let i = 0; i < jql.length; i++) {
    const c = jql[i];
    if (quote) {
      if (c === '\\') {
        masked += '  ';
        i++;
        continue;
      }
      if (c === quote) quote = undefined;
      masked += ' ';
    } else {
      if (c === '"' || c === "'") quote = c;
      masked += c === '"' || c === "'" ? ' ' : c;
    }
  }
  const m = /\border\s+by\b/i.exec(masked);
  return (m ? jql.slice(0, m.index) : jql).trim();
}

function checkKey(key: unknown, what: string): string {
  if (typeof key !== 'string' || !ISSUE_KEY.test(key.trim())) {
    throw new StallingError(`${what} ${JSON.stringify(key)} is not a valid Jira issue key (expected PROJECT-123)`);
  }
  return key.trim().toUpperCase();
}

/** `key in ("A-1", "A-2")` style clause. */
export function inClause(field: string, keys: readonly string[]): string {
  return `${field} in (${keys.map(quoteJql).join(', ')})`;
}

/** The project clause for a project key. */
export function projectJql(projectKey: string): string {
  return `project = ${quoteJql(projectKey)}`;
}

/** Validates the target for the sync type and returns the scope; throws StallingError. */
export function resolveScope(spec: JIRASyncSpec): Scope {
  const t = spec.target ?? {};
  const type: SyncType = spec.syncType;
  const jqlScope = (jqlQuery: string): Scope => {
    const jql = stripOrderBy(jqlQuery);
    if (jql === '') throw new StallingError('target.jqlQuery has no search condition');
    return { kind: 'jql', jql, label: 'JQL query', query: jql };
  };
  const projectScope = (projectKey: string): Scope => {
    if (!PROJECT_KEY.test(projectKey)) throw new StallingError(`target.projectKey ${JSON.stringify(projectKey)} is not a valid project key`);
    const key = projectKey.toUpperCase();
    return { kind: 'jql', jql: projectJql(key), label: key, query: projectJql(key) };
  };
  switch (type) {
    case 'single':
    case 'batch': {
      const keys = (t.issueKeys ?? []).map((k) => checkKey(k, 'target.issueKeys entry'));
      const unique = [...new Set(keys)];
      if (unique.length === 0) throw new StallingError(`syncType ${type} needs at least one key in target.issueKeys`);
      if (type === 'single' && unique.length !== 1) throw new StallingError('syncType single takes exactly one key in target.issueKeys');
      const label = unique.length <= 3 ? unique.join(', ') : `${unique.slice(0, 3).join(', ')} and ${unique.length - 3} more`;
      return { kind: 'keys', keys: unique, label, query: inClause('key', unique) };
    }
    case 'jql':
      if (!t.jqlQuery?.trim()) throw new StallingError('syncType jql needs target.jqlQuery');
      return jqlScope(t.jqlQuery);
    case 'project':
      if (!t.projectKey) throw new StallingError('syncType project needs target.projectKey');
      return projectScope(t.projectKey);
    case 'epic': {
      const epicKey = checkKey(t.epicKey, 'target.epicKey');
      return { kind: 'epic', epicKey, label: `epic ${epicKey}`, query: `key = ${quoteJql(epicKey)} OR parent = ${quoteJql(epicKey)} (and their sub-tasks)` };
    }
    case 'incremental':
      // The JQL, when given, is the more specific of the two.
      if (t.jqlQuery?.trim()) return jqlScope(t.jqlQuery);
      if (t.projectKey) return projectScope(t.projectKey);
      throw new StallingError('syncType incremental needs target.projectKey or target.jqlQuery');
    default:
      throw new StallingError(`unknown syncType ${JSON.stringify(type)}`);
  }
}

/**
 * A short hash of everything that decides which files a sync writes; when it changes, an
 * incremental sync starts over with a full sync.
 */
export function scopeHash(spec: JIRASyncSpec): string {
  const basis = {
    formatVersion: FORMAT_VERSION,
    syncType: spec.syncType,
    target: {
      issueKeys: spec.target?.issueKeys ? [...spec.target.issueKeys].sort(compare) : undefined,
      jqlQuery: spec.target?.jqlQuery?.trim(),
      projectKey: spec.target?.projectKey?.toUpperCase(),
      epicKey: spec.target?.epicKey?.toUpperCase(),
    },
    customFields: [...new Set(spec.customFields ?? [])].sort(compare),
  };
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 16);
}

/** `yyyy/MM/dd HH:mm` of the instant in the time zone (the minute is floored, as Jira reads it). */
export function formatJqlDate(date: Date, timeZone: string): string {
  return formatJqlDateTime(date, timeZone);
}

/**
 * The incremental query: the scope restricted to issues updated since cursor − overlap, as a wall
 * time in the Jira user's zone that is at or before that instant even around a DST fall-back
 * (controller/jira/jql.ts does the zone arithmetic).
 */
export function incrementalJql(baseJql: string, cursor: Date, overlapMs: number, timeZone: string): string {
  const since = jqlDateTimeAtOrBefore(cursor, timeZone, overlapMs / 60_000);
  return `(${baseJql}) AND updated >= ${quoteJql(since)} ORDER BY updated ASC`;
}

/** Splits keys into `field in (...)` clauses of at most `size` keys. */
export function chunkedIn(field: string, keys: readonly string[], size = 50): string[] {
  const out: string[] = [];
  for (let i = 0; i < keys.length; i += size) out.push(inClause(field, keys.slice(i, i + size)));
  return out;
}

/** Parses durations like `6h`, `90m`, `1h30m`, `45s`, `2d` into milliseconds; undefined if malformed. */
export function parseDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  const src = text.trim();
  while ((m = re.exec(src)) !== null) {
    total += Number(m[1]) * unit[m[2]];
    consumed = re.lastIndex;
  }
  return consumed === src.length && consumed > 0 ? total : undefined;
}
