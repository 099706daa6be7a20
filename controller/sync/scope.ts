/**
 * A JIRASync target → what to ask Jira for. Validates the target (a wrong one is a stalling
 * error: retrying cannot fix it) and names the JQL; composing JQL (quoting, ORDER BY, `in (...)`,
 * incremental bounds) is controller/jira/jql.ts's job, the spec's fingerprints
 * controller/api/fingerprint.ts's.
 */
import type { JIRASyncSpec, SyncType } from '../api/jirasync.ts';
import { inClause, projectJql, quoteJql, stripOrderBy } from '../jira/jql.ts';
import { StallingError } from './errors.ts';
import { ISSUE_KEY } from './render/document.ts';

const PROJECT_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;

/** What one sync covers. */
export type Scope =
  | { kind: 'keys'; keys: string[]; label: string; query: string }
  | { kind: 'jql'; jql: string; label: string; query: string }
  | { kind: 'epic'; epicKey: string; label: string; query: string };

function checkKey(key: unknown, what: string): string {
  if (typeof key !== 'string' || !ISSUE_KEY.test(key.trim())) {
    throw new StallingError(`${what} ${JSON.stringify(key)} is not a valid Jira issue key (expected PROJECT-123)`);
  }
  return key.trim().toUpperCase();
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
