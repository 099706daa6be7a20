/**
 * Helpers for the emulator's tests: start an emulator torn down with the test, real jira.js clients
 * that throw on any response not matching Atlassian's schemas, and small assertion helpers.
 */
import { createCloudClient, isApiError, type ApiError, type CloudClient } from 'jira.js';
import { startJiraEmulator, type EmulatorOptions, type JiraEmulator } from './emulator.ts';

interface Teardown { teardown(fn: () => unknown): void }

/** Starts an emulator that stops when the test ends. */
export async function emulator(t: Teardown, opts: EmulatorOptions = {}): Promise<JiraEmulator> {
  const emu = await startJiraEmulator(opts);
  t.teardown(() => emu.stop());
  return emu;
}

/** A jira.js Cloud client with Basic auth that throws on any schema mismatch. */
export function cloudClient(emu: JiraEmulator, auth?: { email: string; apiToken: string }): CloudClient {
  return createCloudClient({
    host: emu.url,
    auth: { type: 'basic', email: auth?.email ?? emu.email, apiToken: auth?.apiToken ?? emu.apiToken },
    onSchemaMismatch: 'throw',
  });
}

/** Awaits a promise that must reject with a jira.js ApiError, and returns the error. */
export async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (isApiError(err)) return err;
    throw err;
  }
  throw new Error('expected the request to fail with an API error, but it succeeded');
}

/** Enumerates a JQL query through the enhanced search; returns every issue and the number of pages. */
export async function searchAll(jira: CloudClient, jql: string, opts: { maxResults?: number; fields?: string[] } = {}) {
  const issues: { id?: string; key?: string; fields?: Record<string, unknown> }[] = [];
  let pages = 0;
  let token: string | undefined;
  for (;;) {
    const page = await jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql, nextPageToken: token, maxResults: opts.maxResults, fields: opts.fields });
    pages++;
    issues.push(...(page.issues ?? []));
    if (page.isLast) {
      if (page.nextPageToken !== undefined) throw new Error('the last page carries a nextPageToken');
      return { issues, pages };
    }
    if (!page.nextPageToken) throw new Error('a page that is not last has no nextPageToken');
    token = page.nextPageToken;
    if (pages > 10_000) throw new Error('runaway pagination');
  }
}

/** Raw fetch with the emulator's Basic credentials, for headers jira.js does not expose. */
export function rawFetch(emu: JiraEmulator, path: string, init: RequestInit = {}): Promise<Response> {
  const auth = `Basic ${Buffer.from(`${emu.email}:${emu.apiToken}`).toString('base64')}`;
  return fetch(`${emu.url}${path}`, { ...init, headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: auth, ...(init.headers ?? {}) } });
}
