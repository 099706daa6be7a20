/**
 * The commit message of a sync, made from the tree diff the git writer computed (so the numbers
 * are what the commit really contains, even after a replay onto a moved remote). Conventional
 * Commits subject, a body listing the keys (truncated), and trailers naming the JIRASync and the
 * Jira query so `git log --grep` and `git interpret-trailers` can find a sync's commits.
 */
import type { TreeDiff } from '../git/destination.ts';

/** Keys listed per section before "… and N more". */
export const MAX_LISTED_KEYS = 50;

export interface IssueChanges {
  added: string[];
  updated: string[];
  removed: string[];
}

/** Natural key order: project, then number (A-2 before A-10). */
export function compareKeys(a: string, b: string): number {
  const i = a.lastIndexOf('-');
  const j = b.lastIndexOf('-');
  const pa = a.slice(0, i);
  const pb = b.slice(0, j);
  if (pa !== pb) return pa < pb ? -1 : 1;
  return Number(a.slice(i + 1)) - Number(b.slice(j + 1));
}

/** The issue keys whose YAML files the diff adds, changes or removes. */
export function issueChanges(diff: TreeDiff, root: string): IssueChanges {
  const prefix = `${root}projects/`;
  const keyOf = (p: string): string | undefined => {
    if (!p.startsWith(prefix)) return undefined;
    const m = /^[^/]+\/issues\/([^/]+)\.yaml$/.exec(p.slice(prefix.length));
    return m ? m[1] : undefined;
  };
  const pick = (paths: string[]) => paths.map(keyOf).filter((k): k is string => k !== undefined).sort(compareKeys);
  return { added: pick(diff.added), updated: pick(diff.modified), removed: pick(diff.removed) };
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function section(title: string, keys: string[]): string | undefined {
  if (keys.length === 0) return undefined;
  const shown = keys.slice(0, MAX_LISTED_KEYS).join(', ');
  const more = keys.length > MAX_LISTED_KEYS ? ` … and ${keys.length - MAX_LISTED_KEYS} more` : '';
  return `${title} (${keys.length}): ${shown}${more}`;
}

/** The full commit message. */
export function commitMessage(opts: { label: string; changes: IssueChanges; owner: string; query: string; note?: string }): string {
  const { added, updated, removed } = opts.changes;
  const subject = `chore(jirasync): sync ${oneLine(opts.label)} — ${added.length} added, ${updated.length} updated, ${removed.length} removed`;
  const body = [section('Added', added), section('Updated', updated), section('Removed', removed), opts.note]
    .filter((s): s is string => s !== undefined)
    .join('\n');
  const trailers = `JIRASync: ${opts.owner}\nJira-Query: ${oneLine(opts.query)}`;
  return `${subject}\n\n${body === '' ? 'Relationships or sync state changed; no issue file changed.' : body}\n\n${trailers}\n`;
}
