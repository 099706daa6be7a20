/**
 * Fingerprints of a JIRASync spec, from one normalisation of it. Pure: no I/O.
 *
 * - `configHash` covers what changes what is synced and where (target, destination, custom
 *   fields, the Jira Secret). The reconciler stores it in status.syncState.configHash; a spec edit
 *   that leaves it unchanged (retry policy, failure policy, schedule, suspend) does not re-run.
 * - `scopeHash` covers what decides which files a sync writes (target, custom fields, the file
 *   format). The engine stores it in the repository's `.jirasync/state.json`; when it changes an
 *   incremental sync starts over with a full sync. Changing how it is computed would throw away
 *   every incremental cursor in users' repositories, so its encoding is fixed (and pinned by
 *   test/api/fingerprint.test.ts).
 *
 * Both read the spec through `normalizeSpec`, so both ignore the same differences: the order of
 * keys and custom fields, duplicates, the case of issue and project keys, whitespace around the
 * JQL, and how the destination path is spelled (`./a//b/` is `a/b`).
 */
import { createHash } from 'node:crypto';
import { DEFAULTS, type JIRASyncSpec, type SyncType } from './jirasync.ts';

/** Bumped when the stored files change shape; a new version changes scopeHash and so forces a full resync. */
export const FORMAT_VERSION = 1;

/** The spec as both fingerprints see it. */
export interface NormalizedSpec {
  syncType: SyncType;
  target: { issueKeys?: string[]; jqlQuery?: string; projectKey?: string; epicKey?: string };
  repository: string;
  branch: string;
  path: string;
  customFields: string[];
  jiraSecret: string;
}

const sortedSet = (values: readonly string[]): string[] => [...new Set(values)].sort(compare);

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The one normalisation both fingerprints use. */
export function normalizeSpec(spec: JIRASyncSpec): NormalizedSpec {
  const t = spec.target ?? {};
  return {
    syncType: spec.syncType,
    target: {
      issueKeys: t.issueKeys ? sortedSet(t.issueKeys.map((k) => k.trim().toUpperCase())) : undefined,
      jqlQuery: t.jqlQuery?.trim(),
      projectKey: t.projectKey?.toUpperCase(),
      epicKey: t.epicKey?.toUpperCase(),
    },
    repository: spec.destination.repository,
    branch: spec.destination.branch ?? DEFAULTS.branch,
    path: normalizePath(spec.destination.path ?? DEFAULTS.path),
    customFields: sortedSet(spec.customFields ?? []),
    jiraSecret: spec.jira?.secretRef?.name ?? '',
  };
}

/** A stable 16-hex fingerprint of the spec parts that change what is synced and where. */
export function configHash(spec: JIRASyncSpec): string {
  const n = normalizeSpec(spec);
  const relevant = {
    syncType: n.syncType,
    target: n.target,
    repository: n.repository,
    branch: n.branch,
    path: n.path,
    customFields: n.customFields,
    jiraSecret: n.jiraSecret,
    // A new limit or confirmation must re-run a sync the deletion guard refused (it stalls until
    // the spec changes); scopeHash leaves it out, so the incremental cursor survives.
    deletionPolicy: spec.deletionPolicy,
  };
  return sha16(canonicalJson(relevant));
}

/**
 * A stable 16-hex fingerprint of everything that decides which files a sync writes. Its encoding
 * (field order, plain JSON) is fixed: stored cursors depend on it.
 */
export function scopeHash(spec: JIRASyncSpec): string {
  const n = normalizeSpec(spec);
  const basis = {
    formatVersion: FORMAT_VERSION,
    syncType: n.syncType,
    target: { issueKeys: n.target.issueKeys, jqlQuery: n.target.jqlQuery, projectKey: n.target.projectKey, epicKey: n.target.epicKey },
    customFields: n.customFields,
  };
  return sha16(JSON.stringify(basis));
}

function sha16(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** JSON with sorted keys and no undefined values, so equal objects hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function normalizePath(p: string): string {
  return p.split('/').filter((s) => s && s !== '.').join('/');
}
