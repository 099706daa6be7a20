/**
 * EmulatorState: the in-process control surface tests use to arrange data, inspect what clients
 * did, and switch faults. The same operations are served over HTTP under /_emulator (control.ts).
 */
import type { Core } from './core.ts';
import type { Fail5xxOptions, FaultSnapshot, RateLimitOptions } from './faults.ts';
import { generateProject } from './model/generate.ts';
import { assertTimeZone } from './render/dates.ts';
import * as m from './model/mutations.ts';
import type { IssueFieldsInput } from './model/mutations.ts';
import { summaryOf } from './model/content.ts';
import type { ReceivedTransition, WorkflowTransition } from './model/types.ts';
import type { RequestLogEntry } from './requestlog.ts';

/** A comment a client posted, as the emulator stored it. */
export interface PostedComment {
  id: string;
  /** accountId (Cloud) or username (Data Center) of the author. */
  author: string;
  /** ADF document (v2 wiki-markup posts are stored converted). */
  body: Record<string, unknown>;
  created: string;
  visibility?: { type: string; value: string };
}

/** A compact view of an issue for assertions. */
export interface IssueSummary {
  id: string;
  key: string;
  project: string;
  type: string;
  status: string;
  summary: string;
  labels: string[];
  created: string;
  updated: string;
  hidden: boolean;
  parent?: string;
  epic?: string;
}

export class EmulatorState {
  readonly #core: Core;

  constructor(core: Core) {
    this.#core = core;
  }

  /**
   * How many comments a fetched issue embeds in its `comment` field (Jira's first page, oldest
   * first; default 5,000, the most an issue can have); clients read the rest from GET …/comment.
   */
  embeddedComments(n: number): void {
    if (!(Number.isInteger(n) && n >= 0)) throw new Error('embeddedComments: n must be an integer >= 0');
    this.#core.store.embeddedComments = n;
  }

  /**
   * The API users change their profile's time zone: /myself, JQL date literals and every date in
   * responses follow it from the next request (what a bot user's zone change does in Jira).
   */
  setUserTimeZone(timeZone: string): void {
    assertTimeZone(timeZone);
    const store = this.#core.store;
    for (let i = store.apiUserStart; i < store.users.length; i++) store.users[i].timeZone = timeZone;
  }

  /** Adds a project with `issues` generated issues (deterministic for the emulator's seed). */
  addProject(key: string, issues = 0, name?: string): void {
    generateProject(this.#core.store, key, issues, { name });
  }

  projects(): { key: string; id: string; name: string; issues: number }[] {
    const counts = new Map<string, number>();
    for (const r of this.#core.store.all()) counts.set(r.project, (counts.get(r.project) ?? 0) + 1);
    return [...this.#core.store.projects.values()].map((p) => ({ key: p.key, id: p.id, name: p.name, issues: counts.get(p.key) ?? 0 }));
  }

  /** Creates an issue; returns its key. */
  createIssue(project: string, fields: IssueFieldsInput = {}): string {
    return m.createIssue(this.#core.store, project, fields).key;
  }

  /** Updates fields; bumps `updated` to now unless `fields.updated` is given. */
  updateIssue(key: string, fields: IssueFieldsInput): void {
    m.updateIssue(this.#core.store, key, fields);
  }

  deleteIssue(key: string): void {
    m.deleteIssue(this.#core.store, key);
  }

  /**
   * Moves an issue to another project; returns the new key. As in Jira, GET issue (and its comments
   * and transitions) and bulk fetch still find it under the old key and answer with the new one;
   * JQL and this control API know only the new key.
   */
  moveIssue(key: string, newProject: string): string {
    return m.moveIssue(this.#core.store, key, newProject);
  }

  /**
   * Permission-hides an issue: left out of search, count and bulk fetch; GET issue, its comments and
   * its transitions answer `status` — 404 (default, "does not exist or you do not have permission")
   * or 403 (issue-level security: the user may not see it).
   */
  setHidden(key: string, hidden: boolean, status: 403 | 404 = 404): void {
    m.setHidden(this.#core.store, key, hidden, status);
  }

  /** Adds a link type with any name and verbs, as a Jira admin may (hostile names for path tests). */
  defineLinkType(name: string, outward: string, inward: string): void {
    m.defineLinkType(this.#core.store, name, outward, inward);
  }

  /** Links two issues: type is a name (Blocks, Relates, Duplicate, Cloners) or a verb ("blocks", "is blocked by"…). */
  addLink(from: string, type: string, to: string): void {
    m.addLink(this.#core.store, from, type, to);
  }

  /** The issue as the emulator holds it (hidden issues included), or undefined. */
  issue(key: string): IssueSummary | undefined {
    const s = this.#core.store;
    const r = s.get(key);
    if (!r) return undefined;
    const keyOf = (id?: number) => (id === undefined ? undefined : s.get(id)?.key);
    return {
      id: String(r.id), key: r.key, project: r.project, type: r.type, status: r.status, summary: summaryOf(r), labels: [...r.labels],
      created: new Date(r.created).toISOString(), updated: new Date(r.updated).toISOString(), hidden: r.hidden,
      ...(r.parentId !== undefined ? { parent: keyOf(r.parentId) } : {}), ...(r.epicId !== undefined ? { epic: keyOf(r.epicId) } : {}),
    };
  }

  /** Comments clients posted on the issue (generated comments are not included). */
  comments(key: string): PostedComment[] {
    const s = this.#core.store;
    return s.postedComments(s.require(key)).map((c) => {
      const u = s.users[c.author];
      return { id: String(c.id), author: s.mode === 'cloud' ? u.accountId : u.name, body: c.body, created: new Date(c.created).toISOString(),
        ...(c.visibility ? { visibility: c.visibility } : {}) };
    });
  }

  /** Transitions clients performed on the issue, in order. */
  transitionsReceived(key: string): ReceivedTransition[] {
    const s = this.#core.store;
    return s.transitionsReceived(s.require(key)).map((t) => ({ ...t }));
  }

  /**
   * Replaces a project's workflow. `from` absent = offered from every status. Ids default to 11, 21,
   * 31… A transition with `requiredFields` is a 400 unless the POST sets them; one with
   * `validatorError` is always a 400 with that message (a failing workflow validator).
   */
  setWorkflow(project: string, transitions: m.WorkflowTransitionInput[]): WorkflowTransition[] {
    return m.setWorkflow(this.#core.store, project, transitions);
  }

  workflow(project: string): WorkflowTransition[] {
    const p = this.#core.store.project(project);
    if (!p) throw new Error(`Project ${project} does not exist`);
    return p.workflow.map((t) => ({ ...t }));
  }

  setIssueStatus(key: string, status: string): void {
    m.setIssueStatus(this.#core.store, key, status);
  }

  /** Requests clients made (oldest first), excluding the control API. */
  get requestLog(): RequestLogEntry[] {
    return this.#core.log.entries();
  }

  /** Requests after a sequence number (see RequestLogEntry.seq). */
  requestsSince(seq: number): RequestLogEntry[] {
    return this.#core.log.entries(seq);
  }

  resetRequestLog(): void {
    this.#core.log.reset();
    this.#core.faults.resetStats();
  }

  rateLimit(opts: RateLimitOptions): void {
    this.#core.faults.rateLimit(opts);
  }

  /** Issues written in the last `seconds` are left out of search and count (0 turns it off). */
  eventualConsistency(seconds: number): void {
    this.#core.faults.eventualConsistency(seconds);
  }

  fail5xx(opts: Fail5xxOptions): void {
    this.#core.faults.fail5xx(opts);
  }

  /** Delays responses by ms (only for paths containing `path`, if given); 0 removes it. */
  latency(ms: number, path?: string): void {
    this.#core.faults.latency(ms, path);
  }

  /** Closes the next `count` connections without answering. */
  dropConnections(count: number, path?: string): void {
    this.#core.faults.dropConnections(count, path);
  }

  /** Answers the next `count` successful JSON responses with truncated JSON. */
  malformedJson(count: number, path?: string): void {
    this.#core.faults.malformedJson(count, path);
  }

  /** Enhanced search stops paging early: isLast and no nextPageToken once `afterIssues` issues were served. */
  /** Every authenticated request answered 403, as a site IP allowlist the client is outside does. */
  ipAllowlistDenies(on = true): void {
    this.#core.faults.ipAllowlistDenies(on);
  }

  truncatePaging(afterIssues: number): void {
    this.#core.faults.truncatePaging(afterIssues);
  }

  /**
   * Makes an API token (default: the first user's) or a PAT stop authenticating, as when it expires
   * or is revoked; `expired: false` makes it valid again. A refused token answers 401, or — in
   * expired-token mode — the anonymous user's answer on the routes Jira serves anonymously.
   */
  expireToken(token?: string, expired = true): void {
    const t = token ?? this.#core.defaultApiToken;
    if (expired) this.#core.auth.expired.add(t);
    else this.#core.auth.expired.delete(t);
  }

  /**
   * Jira Cloud's answer to a wrong or expired token (on by `on`): search/jql, approximate-count,
   * bulk fetch and serverInfo answer 200 as the anonymous user — zero issues, count 0 — with
   * `X-Seraph-LoginReason: AUTHENTICATED_FAILED`; every other route (e.g. /myself) is a 401.
   */
  expiredTokenMode(on = true): void {
    this.#core.auth.expiredTokenMode = on;
  }

  /** Expired tokens (count only, never the values) and whether expired-token mode is on. */
  auth(): { expiredTokens: number; expiredTokenMode: boolean } {
    return { expiredTokens: this.#core.auth.expired.size, expiredTokenMode: this.#core.auth.expiredTokenMode };
  }

  clearFaults(): void {
    this.#core.faults.clear();
  }

  /** Current fault settings and counters (rate-limited, early retries, 5xx, drops, malformed). */
  faults(): FaultSnapshot {
    return this.#core.faults.snapshot();
  }
}
