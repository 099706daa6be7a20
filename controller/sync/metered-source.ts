/**
 * Wraps an IssueSource to count the Jira requests a run makes (one per call, one per page of a
 * paged result, at least one per paged call) and to check for cancellation after every page.
 * The count is what the engine asked for; the Jira layer's retries are its own business.
 */
import type { FetchOptions, IssuePart, IssueRef, IssueSource, JiraIssue } from '../jira/source.ts';

export interface MeteredSource {
  source: IssueSource;
  requests(): number;
}

export function meteredSource(inner: IssueSource, signal?: AbortSignal): MeteredSource {
  let requests = 0;
  async function* paged<T>(pages: AsyncIterable<T[]>): AsyncIterable<T[]> {
    let n = 0;
    try {
      for await (const page of pages) {
        n++;
        requests++;
        signal?.throwIfAborted();
        yield page;
      }
    } finally {
      if (n === 0) requests++;
    }
  }
  const source: IssueSource = {
    async timeZone(s?: AbortSignal) {
      requests++;
      return inner.timeZone(s);
    },
    async count(jql: string, s?: AbortSignal) {
      requests++;
      return inner.count(jql, s);
    },
    enumerate(jql: string, s?: AbortSignal, opts?: { withUpdated?: boolean }): AsyncIterable<IssueRef[]> {
      return paged(inner.enumerate(jql, s, opts));
    },
    fetch(keys: readonly string[], fields: readonly string[], s?: AbortSignal, o?: FetchOptions): AsyncIterable<JiraIssue[]> {
      return paged(inner.fetch(keys, fields, s, o));
    },
    search(jql: string, fields: readonly string[], s?: AbortSignal, o?: FetchOptions): AsyncIterable<JiraIssue[]> {
      return paged(inner.search(jql, fields, s, o));
    },
  };
  const { fieldList, issuePart } = inner;
  if (fieldList) {
    source.fieldList = (s?: AbortSignal) => {
      requests++;
      return fieldList.call(inner, s);
    };
  }
  if (issuePart) {
    source.issuePart = (key: string, part: IssuePart, startAt: number, max: number, s?: AbortSignal) => {
      requests++;
      return issuePart.call(inner, key, part, startAt, max, s);
    };
  }
  if (inner.epicChildren) {
    const epicChildren = inner.epicChildren.bind(inner);
    // Not counted: no request on Cloud, at most one /field per source on Data Center.
    source.epicChildren = (epicKey: string, s?: AbortSignal) => epicChildren(epicKey, s);
  }
  return { source, requests: () => requests };
}
