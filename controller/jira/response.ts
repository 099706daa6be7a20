/**
 * Shape checks for Jira's JSON answers, shared by the Cloud and Data Center clients. Every answer
 * is hostile input: anything that is not the documented shape is a retryable "malformed" error
 * naming the endpoint, never a crash or a silently empty result.
 */
import type { IssueTransitionOption } from './api.ts';
import type { CallInfo } from './call.ts';
import { JiraUnavailableError } from './errors.ts';
import type { JiraIssue } from './source.ts';

/** The value as a plain object, or undefined (arrays and null are not objects here). */
export function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The answer as an object, or a retryable "malformed" error naming the endpoint. */
export function shape(info: CallInfo, value: unknown, check?: (o: Record<string, unknown>) => boolean): Record<string, unknown> {
  const o = record(value);
  if (!o || (check && !check(o))) {
    throw new JiraUnavailableError('malformed', info.okCode ?? 200, info, 'response does not have the documented shape');
  }
  return o;
}

/** A search or bulk-fetch answer's `issues`: each with an id, its fields, and the changelog when expanded. */
export function issuesOf(info: CallInfo, value: unknown): JiraIssue[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new JiraUnavailableError('malformed', 200, info, 'issues is not a list');
  return value.map((raw) => {
    const i = record(raw);
    if (!i || typeof i.id !== 'string') throw new JiraUnavailableError('malformed', 200, info, 'an issue has no id');
    const issue: JiraIssue = { id: i.id, key: typeof i.key === 'string' ? i.key : '', fields: record(i.fields) ?? {} };
    const changelog = record(i.changelog);
    if (changelog) issue.changelog = changelog; // with expand=changelog
    return issue;
  });
}

/** A transitions answer: the transitions that have an id, with their names and target statuses. */
export function transitionsOf(info: CallInfo, value: unknown): IssueTransitionOption[] {
  const res = shape(info, value);
  const list = Array.isArray(res.transitions) ? res.transitions.map(record).filter((x) => x !== undefined) : [];
  return list
    .filter((t) => typeof t.id === 'string')
    .map((t) => ({ id: t.id as string, name: String(t.name ?? ''), to: String(record(t.to)?.name ?? '') }));
}
