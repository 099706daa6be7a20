/**
 * The product seam of the Jira layer: the handful of REST calls jirasync makes, one method each,
 * with paging, chunking and reporting logic kept out. cloud.ts implements them with jira.js for
 * Jira Cloud; a Data Center implementation (v2 search with startAt/total, wiki-markup comments)
 * (datacenter.ts) provides the same two interfaces, and issues.ts and report.ts work unchanged on top.
 */
import type { JiraField } from './fields.ts';
import type { IssuePart, IssuePartPage, JiraIssue } from './source.ts';

/** One page of a JQL search; `nextPageToken` is opaque (Cloud's token, or a startAt on Data Center). */
export interface SearchPage {
  issues: JiraIssue[];
  nextPageToken?: string;
  isLast: boolean;
}

export interface SearchRequest {
  jql: string;
  /** Fields to return; only `key` (and `id`) means an ids-only search, which pages up to 5,000. */
  fields: readonly string[];
  maxResults: number;
  /** Jira `expand` values, e.g. `changelog` (its embedded page is Jira's; see IssueSource.issuePart). */
  expand?: readonly string[];
  pageToken?: string;
  /** 1-based page number, for metrics and spans only. */
  page: number;
}

/** Who Jira says the credentials belong to (from /myself). */
export interface JiraIdentity {
  /** The user's accountId (Cloud) or user key (Data Center); never empty: an answer without one is a JiraAuthError. */
  accountId: string;
  /** The user's IANA time zone, in which JQL dates are read. */
  timeZone: string;
}

/** How many issues one request may carry: ids-only pages, pages with fields, issues fetched by key. */
export interface PageSizes {
  ids: number;
  fields: number;
  fetch: number;
}

/** The read calls behind IssueSource. */
export interface JiraSearchApi {
  /**
   * The deployment's page sizes; absent means Cloud's (5,000 / 100 / 100). Read after myself()
   * has answered: an API that detects its deployment knows them only then.
   */
  readonly pageSizes?: PageSizes;
  /** The JQL clause selecting an epic's children; absent means `parent = EPIC` (Cloud). */
  epicChildren?(epicKey: string, signal?: AbortSignal): Promise<string>;
  /** The authenticated user; an anonymous answer or a 401 is a JiraAuthError. */
  myself(signal?: AbortSignal): Promise<JiraIdentity>;
  searchPage(req: SearchRequest, signal?: AbortSignal): Promise<SearchPage>;
  approximateCount(jql: string, signal?: AbortSignal): Promise<number>;
  /** At most 100 keys or ids; missing or hidden issues are left out, as Jira does. */
  bulkFetch(keysOrIds: readonly string[], fields: readonly string[], signal?: AbortSignal, expand?: readonly string[]): Promise<JiraIssue[]>;
  /** The site's field list (GET /field); optional: without it, fields are known only by id. */
  fieldList?(signal?: AbortSignal): Promise<JiraField[]>;
  /** One page of an issue's comments, worklogs or changelog, oldest first (see IssueSource.issuePart). */
  issuePart?(key: string, part: IssuePart, startAt: number, maxResults: number, signal?: AbortSignal): Promise<IssuePartPage>;
}

/** A comment as far as reporting cares: its id and its body (an ADF document on Cloud, wiki markup on Data Center). */
export interface IssueComment {
  id: string;
  body: unknown;
}

export interface CommentPage {
  comments: IssueComment[];
  /** Where the next page starts, absent on the last page. */
  nextStartAt?: number;
}

export interface IssueTransitionOption {
  id: string;
  name: string;
  /** Name of the status the transition leads to. */
  to: string;
}

/** The write-side calls failure reporting needs. */
export interface JiraWorkflowApi {
  /** Name of the issue's current status. */
  issueStatus(key: string, signal?: AbortSignal): Promise<string>;
  /** Newest comments first. */
  comments(key: string, startAt: number, signal?: AbortSignal): Promise<CommentPage>;
  /** Posts an ADF document as a comment (as wiki markup on Data Center); returns its id. */
  addComment(key: string, body: AdfDocument, signal?: AbortSignal): Promise<string>;
  /** Transitions the workflow offers from the issue's current status. */
  transitions(key: string, signal?: AbortSignal): Promise<IssueTransitionOption[]>;
  transition(key: string, transitionId: string, signal?: AbortSignal): Promise<void>;
}

/** Both sides plus the request counter used by benchmarks. */
export interface JiraApi extends JiraSearchApi, JiraWorkflowApi {
  requestCount(): number;
}

/** A minimal Atlassian Document Format document (a type alias, so it fits jira.js's open record). */
export type AdfDocument = {
  type: 'doc';
  version: 1;
  content: Array<Record<string, unknown>>;
};
