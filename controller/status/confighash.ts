/**
 * A stable fingerprint of the spec parts that change what is synced. A spec edit that leaves it
 * unchanged (retry policy, failure policy, schedule, suspend) does not re-run the sync.
 */
import { createHash } from 'node:crypto';
import { DEFAULTS, type JIRASyncSpec } from '../api/jirasync.ts';

export function configHash(spec: JIRASyncSpec): string {
  const relevant = {
    syncType: spec.syncType,
    target: {
      issueKeys: spec.target.issueKeys ? [...spec.target.issueKeys].sort() : undefined,
      jqlQuery: spec.target.jqlQuery,
      projectKey: spec.target.projectKey,
      epicKey: spec.target.epicKey,
    },
    repository: spec.destination.repository,
    branch: spec.destination.branch ?? DEFAULTS.branch,
    path: normalizePath(spec.destination.path ?? DEFAULTS.path),
    customFields: spec.customFields ? [...spec.customFields].sort() : [],
    jiraSecret: spec.jira?.secretRef?.name ?? '',
    // A new limit or confirmation must re-run a sync the guard refused (it stalls until the spec
    // changes); scopeHash leaves it out, so the incremental cursor survives.
    deletionPolicy: spec.deletionPolicy,
  };
  return createHash('sha256').update(canonicalJson(relevant)).digest('hex').slice(0, 16);
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
