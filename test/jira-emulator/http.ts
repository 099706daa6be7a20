/** Request/reply types shared by the routes, and Jira's error body. */
import type { UserRecord } from './model/types.ts';

export interface ApiRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body (undefined when none). */
  body: unknown;
  /** Path parameters captured by the route. */
  params: string[];
  /** REST API version of the path (2 for /rest/api/2 and /latest). */
  api: 2 | 3;
  /** Index of the authenticated user in the store's user list. */
  userIndex: number;
  user: UserRecord;
  /** The credentials were refused and Jira answers as the anonymous user, who may see no issue. */
  anonymous?: boolean;
}

export interface Reply {
  status: number;
  /** JSON body; omitted for 204. */
  body?: unknown;
  /** A non-JSON body (sent as text/plain). */
  text?: string;
  headers?: Record<string, string>;
}

/** An error that becomes a Jira-shaped error response. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly errorMessages: string[];
  readonly errors: Record<string, string>;
  readonly headers: Record<string, string>;
  constructor(status: number, errorMessages: string[], errors: Record<string, string> = {}, headers: Record<string, string> = {}) {
    super(errorMessages[0] ?? Object.values(errors)[0] ?? `HTTP ${status}`);
    this.status = status;
    this.errorMessages = errorMessages;
    this.errors = errors;
    this.headers = headers;
  }
}

/** Jira's standard error body. */
export function errorBody(errorMessages: string[], errors: Record<string, string> = {}): { errorMessages: string[]; errors: Record<string, string> } {
  return { errorMessages, errors };
}

/** The 404 Jira answers for an issue that does not exist or that the user may not see. */
export function issueNotFound(): HttpError {
  return new HttpError(404, ['Issue does not exist or you do not have permission to see it.']);
}

/** The 403 Jira answers for an issue the user may not see (issue-level security, no browse permission). */
export function issueForbidden(): HttpError {
  return new HttpError(403, ['You do not have the permission to see the specified issue.']);
}

/** All values of a query parameter, repeated and/or comma-separated. */
export function queryList(q: URLSearchParams, name: string): string[] | undefined {
  const all = q.getAll(name);
  if (all.length === 0) return undefined;
  return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** An integer query/body parameter, or the fallback; a non-integer is a 400 as in Jira. */
export function intParam(v: unknown, name: string, fallback: number): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw new HttpError(400, [`The '${name}' parameter must be an integer.`]);
  return n;
}
