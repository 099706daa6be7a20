/**
 * The contract between the sync engine and the Jira client layer. The engine knows Jira only
 * through these interfaces; controller/jira/ implements them with jira.js (Cloud) and a Data
 * Center implementation can be added behind the same interfaces later.
 */

import type { JiraField } from './fields.ts';

/** An issue exactly as Jira REST v3 returns it (only the requested fields are present). */
export interface JiraIssue {
  id: string;
  key: string;
  fields: Record<string, unknown>;
  /** Present when `changelog` was expanded: `{startAt, maxResults, total, histories}`, newest first. */
  changelog?: Record<string, unknown>;
}

/** What an ids-only enumeration yields per issue. */
export interface IssueRef {
  id: string;
  key: string;
  /** Present when the enumeration asked for the `updated` field. */
  updated?: string;
}

/** The paged parts of an issue that are embedded in a fetch only up to Jira's page size. */
export type IssuePart = 'comments' | 'worklogs' | 'changelog';

/** One page of an IssuePart: the raw entries (comments, worklogs or histories) and how many exist. */
export interface IssuePartPage {
  values: Array<Record<string, unknown>>;
  total: number;
}

/** Options of fetch and search beyond the field list. */
export interface FetchOptions {
  /** Jira `expand` values such as `changelog`. */
  expand?: readonly string[];
}

/** Read side: everything a sync needs from Jira. All methods honour the AbortSignal before every request. */
export interface IssueSource {
  /** The Jira user's IANA time zone (from /myself), in which JQL dates are read. */
  timeZone(signal?: AbortSignal): Promise<string>;
  /** Approximate number of issues matching the JQL (for progress; enhanced search has no total). */
  count(jql: string, signal?: AbortSignal): Promise<number>;
  /** Every issue matching the JQL, ids and keys only, a page (up to 5,000) at a time. */
  enumerate(jql: string, signal?: AbortSignal, opts?: { withUpdated?: boolean }): AsyncIterable<IssueRef[]>;
  /** Full issues by key or id, in chunks of at most 100 (bulk fetch); missing or hidden ones are left out. */
  fetch(keysOrIds: readonly string[], fields: readonly string[], signal?: AbortSignal, opts?: FetchOptions): AsyncIterable<JiraIssue[]>;
  /** Issues matching the JQL with their fields (for small result sets such as incremental runs). */
  search(jql: string, fields: readonly string[], signal?: AbortSignal, opts?: FetchOptions): AsyncIterable<JiraIssue[]>;
  /** The site's field list (one request); optional: a source without it knows fields only by id. */
  fieldList?(signal?: AbortSignal): Promise<JiraField[]>;
  /**
   * One page of an issue's comments, worklogs or changelog, oldest first, `startAt` counted from
   * the oldest; for what a fetch embeds only partly. Optional: without it, the embedded page is all.
   */
  issuePart?(key: string, part: IssuePart, startAt: number, maxResults: number, signal?: AbortSignal): Promise<IssuePartPage>;
  /**
   * The JQL clause for an epic's children: `parent = EPIC` on Cloud; on Data Center the "Epic
   * Link" custom field (found through /field) or `parent` where no such field exists. Absent on
   * sources that only know Cloud (the caller then uses `parent`).
   */
  epicChildren?(epicKey: string, signal?: AbortSignal): Promise<string>;
}

/**
 * A Jira connection as resolved from a Secret. Never logged. `basic` is Cloud's email + API token;
 * `bearer` a Data Center personal access token (or a Cloud OAuth token); `password` a Data Center
 * user's password over Basic auth (discouraged: Jira 11 disables it by default).
 */
export type JiraCredentials =
  | { kind: 'basic'; email: string; apiToken: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'password'; username: string; password: string };

/** Which Jira answers: Cloud (REST v3, enhanced search) or Data Center / Server (REST v2, classic search). */
export const DEPLOYMENT_TYPES = ['cloud', 'datacenter'] as const;
export type DeploymentType = (typeof DEPLOYMENT_TYPES)[number];

export interface JiraConnection {
  baseUrl: string;
  credentials: JiraCredentials;
  /**
   * Set explicitly (Secret key `deploymentType`), or left out: then `email`+`apiToken` means
   * Cloud, `username`+`password` Data Center, and a `token` is settled by `/rest/api/2/serverInfo`.
   */
  deploymentType?: DeploymentType;
}

/** Hooks the metrics and tracing layers attach to; called once per HTTP request. */
export interface JiraRequestHooks {
  /** endpoint is a low-cardinality name such as `search/jql` or `issue/bulkfetch`; code is the HTTP status or 0 for a network error. */
  onResponse?(info: { endpoint: string; method: string; code: number; seconds: number; page?: number }): void;
  onRateLimited?(info: { endpoint: string; retryAfterSeconds: number }): void;
  /** Wraps one HTTP call, so tracing can open a span around it. */
  wrap?<T>(info: { endpoint: string; method: string; page?: number }, call: () => Promise<T>): Promise<T>;
}
