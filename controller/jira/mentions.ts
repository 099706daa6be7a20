/**
 * Mentions in Data Center descriptions and comments, made to read as Cloud's. Data Center's wiki markup names a
 * mentioned user by username (`[~jdoe]`) where Cloud's ADF carries the display name, so the same
 * issue would render `@jdoe` from one and `@Jane Doe` from the other. Each username met is looked
 * up once per API (one run) with `GET /rest/api/2/user?username=`, and the mention rewritten to
 * `[~Jane Doe]`, which the wiki renderer turns into Cloud's `@Jane Doe`.
 *
 * Bounded: at most MAX_LOOKUPS distinct names per run (a description can name anyone); an unknown
 * user (404), a name that is not a plausible username, or a display name that would break the
 * markup keeps the username. Results are never shared between connections: what one tenant's
 * credentials may see is not handed to another's.
 */
import { isJiraError } from './errors.ts';
import { record } from './response.ts';
import type { JiraIssue } from './source.ts';
import type { V2Http } from './v2-http.ts';

/** Distinct usernames looked up per run at most; further ones stay as usernames. */
export const MAX_LOOKUPS = 100;
const MENTION = /\[~(?!accountid:)([^\]\n|]{1,255})\]/g;

export interface MentionResolver {
  /**
   * Rewrites `[~username]` to `[~Display Name]`, in place, in the issues' descriptions and the
   * bodies of their embedded comments (`fields.comment.comments`, with spec.content.comments).
   */
  rewrite(issues: JiraIssue[], signal?: AbortSignal): Promise<void>;
  /** The same for the `body` of each entry (a page of comments read past the embedded one). */
  rewriteBodies(entries: Array<Record<string, unknown>>, signal?: AbortSignal): Promise<void>;
}

/** A piece of wiki markup that may name users, and where to put it back. */
interface Slot {
  text: string;
  set(text: string): void;
}

function bodySlots(entries: readonly unknown[]): Slot[] {
  const out: Slot[] = [];
  for (const raw of entries) {
    const e = record(raw);
    if (e && typeof e.body === 'string') out.push({ text: e.body, set: (t) => (e.body = t) });
  }
  return out;
}

function issueSlots(issues: readonly JiraIssue[]): Slot[] {
  const out: Slot[] = [];
  for (const i of issues) {
    const d = i.fields.description;
    if (typeof d === 'string') out.push({ text: d, set: (t) => (i.fields.description = t) });
    const comments = record(i.fields.comment)?.comments;
    if (Array.isArray(comments)) out.push(...bodySlots(comments));
  }
  return out;
}

export function createMentionResolver(http: V2Http): MentionResolver {
  const names = new Map<string, Promise<string | null>>();

  const lookup = (username: string, signal?: AbortSignal): Promise<string | null> => {
    let p = names.get(username);
    if (!p) {
      if (names.size >= MAX_LOOKUPS) return Promise.resolve(null);
      const info = { endpoint: 'user', method: 'GET' };
      p = http.send(info, { method: 'GET', path: 'user', query: { username } }, signal).then(
        (u) => {
          const display = u && typeof u === 'object' ? (u as Record<string, unknown>).displayName : undefined;
          return typeof display === 'string' && display && !/[\]\n[|]/.test(display) ? display : null;
        },
        (err: unknown) => {
          if (isJiraError(err) && err.kind === 'notFound') return null;
          names.delete(username); // not kept: asked again next time
          throw err;
        },
      );
      names.set(username, p);
    }
    return p;
  };

  const rewriteSlots = async (slots: readonly Slot[], signal?: AbortSignal): Promise<void> => {
    const wanted = new Set<string>();
    for (const s of slots) for (const m of s.text.matchAll(MENTION)) wanted.add(m[1]);
    if (wanted.size === 0) return;
    const resolved = new Map<string, string | null>();
    await Promise.all([...wanted].map(async (n) => resolved.set(n, await lookup(n, signal))));
    for (const s of slots) {
      s.set(s.text.replace(MENTION, (m, n: string) => {
        const display = resolved.get(n);
        return display ? `[~${display}]` : m;
      }));
    }
  };

  return {
    rewrite: (issues, signal) => rewriteSlots(issueSlots(issues), signal),
    rewriteBodies: (entries, signal) => rewriteSlots(bodySlots(entries), signal),
  };
}
