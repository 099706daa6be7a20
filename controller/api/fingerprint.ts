/**
 * Fingerprints of a JIRASync spec, from one normalisation of it. Pure: no I/O.
 *
 * - `configHash` covers what changes what is synced and where (target, destination, custom
 *   fields, content, the Jira Secret). The reconciler stores it in status.syncState.configHash; a spec edit
 *   that leaves it unchanged (retry policy, failure policy, schedule, suspend) does not re-run.
 * - `scopeHash` covers what decides which files a sync writes and what they hold (target, custom
 *   fields, spec.content, the file format). The engine stores it in the repository's `.jirasync/state.json`; when it changes an
 *   incremental sync starts over with a full sync. Changing how it is computed would throw away
 *   every incremental cursor in users' repositories, so its encoding is fixed (and pinned by
 *   test/api/fingerprint.test.ts).
 *
 * Both read the spec through `normalizeSpec`, so both ignore the same differences: the order of
 * keys and custom fields, duplicates, the case of issue and project keys, whitespace around the
 * JQL, and how the destination path is spelled (`./a//b/` is `a/b`).
 */
import { createHash } from 'node:crypto';
import {
  CONTENT_DEFAULT_MAX, CONTENT_MAX, CONTENT_PARTS, DEFAULTS, type ContentPartName, type ContentSpec, type JIRASyncSpec, type SyncType,
} from './jirasync.ts';

/**
 * Bumped when the stored files change shape; a new version changes scopeHash and so forces a full
 * resync. 2: UTC timestamps, people with ids, well-known fields, custom fields by name (issue 18).
 */
export const FORMAT_VERSION = 2;

/** The spec as both fingerprints see it. */
export interface NormalizedSpec {
  syncType: SyncType;
  target: { issueKeys?: string[]; jqlQuery?: string; projectKey?: string; epicKey?: string };
  repository: string;
  branch: string;
  path: string;
  customFields: string[];
  /** spec.content with defaults applied (each present part's cap), absent when nothing is on. */
  content?: Partial<Record<ContentPartName, number>>;
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
    customFields: sortedSet((spec.customFields ?? []).map((f) => f.trim()).filter((f) => f !== '')),
    content: normalizeContent(spec.content),
    jiraSecret: spec.jira?.secretRef?.name ?? '',
  };
}

/** Each present part with its cap (default applied, clamped), in a fixed order; undefined when none is on. */
function normalizeContent(content: ContentSpec | undefined): NormalizedSpec['content'] {
  const out: Partial<Record<ContentPartName, number>> = {};
  for (const part of CONTENT_PARTS) {
    const p = content?.[part];
    if (!p) continue;
    const max = Number.isInteger(p.maxPerIssue) ? (p.maxPerIssue as number) : CONTENT_DEFAULT_MAX;
    out[part] = Math.min(CONTENT_MAX, Math.max(1, max));
  }
  return Object.keys(out).length > 0 ? out : undefined;
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
    content: n.content,
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
    // What files hold: a change re-renders every file (an incremental sync makes one full pass,
    // which also sets a fresh cursor). Absent when nothing is on, so such specs keep their hash.
    content: n.content,
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
