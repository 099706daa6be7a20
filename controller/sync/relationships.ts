/**
 * Which relationship symlinks an issue yields, and where they live. A relationship is a directed
 * edge `kind/FROM/TO` stored at `projects/{project of FROM}/relationships/{kind}/{FROM}/{TO}` and
 * pointing (relatively) at `TO`'s YAML file:
 * - issue links by the link type's outward phrase: "A-1 blocks A-2" → `blocks/A-1/A-2`;
 * - `subtasks/{PARENT}/{SUB}` and `epic/{EPIC}/{STORY}`.
 * Both ends of a Jira link list it, so the same edge is usually yielded by both issues; callers
 * treat the yields as a set. An edge is only materialised when both files exist (no dangling links).
 */
import { isSafeComponent } from '../git/paths.ts';
import type { StoredRelations } from './render/yaml.ts';
import { ISSUE_KEY } from './render/document.ts';

export interface Relationship {
  kind: string;
  from: string;
  to: string;
}

/** The project part of an issue key ("AB-12" → "AB"). */
export function projectOf(key: string): string {
  return key.slice(0, key.lastIndexOf('-'));
}

/**
 * A link phrase as a directory name: lower case, invisible format characters dropped, whitespace
 * runs → '-', path separators and control characters removed; never empty, '.' or '..'.
 */
export function kindDir(phrase: string): string {
  const dir = phrase
    .normalize('NFC')
    .toLowerCase()
    // Invisible format characters (zero-width, direction marks, BOM) would make names that look alike.
    .replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g, '')
    .replace(/[\/\\\u0000-\u001f\u007f]/g, ' ')
    .trim()
    .replace(/\s+/g, '-');
  if (dir === '' || /^\.+$/.test(dir)) return 'linked';
  // A name git refuses (".git", "git~1", HFS/NTFS look-alikes) or a dot-name: a safe spelling.
  return isSafeComponent(dir) && !dir.startsWith('.') ? dir : `link-${dir.replace(/^\.+/, '')}`;
}

/** The reserved directory names for hierarchy edges; a link type that lowercases to one is suffixed. */
const HIERARCHY = new Set(['subtasks', 'epic']);

function linkKind(phrase: string): string {
  const d = kindDir(phrase);
  return HIERARCHY.has(d) ? `${d}-link` : d;
}

/** Every edge the issue takes part in, as far as its own record tells. */
export function relationshipsOf(doc: StoredRelations): Relationship[] {
  const out: Relationship[] = [];
  const add = (kind: string, from: string, to: string) => {
    if (from !== to && ISSUE_KEY.test(from) && ISSUE_KEY.test(to)) out.push({ kind, from, to });
  };
  for (const l of doc.links) {
    if (l.direction === 'outward') add(linkKind(l.type), doc.key, l.key);
    else add(linkKind(l.type), l.key, doc.key);
  }
  for (const sub of doc.subtasks) add('subtasks', doc.key, sub);
  if (doc.epic) add('epic', doc.epic, doc.key);
  // A parent that is not the epic: the issue is a sub-task of it (Jira's only other parent kind
  // that the document shows; higher levels such as initiatives are named the same way).
  if (doc.parent && doc.parent !== doc.epic) add('subtasks', doc.parent, doc.key);
  return out;
}

/** A compact, unique string form of an edge, for sets. */
export function edgeId(r: Relationship): string {
  return `${r.kind}\u0000${r.from}\u0000${r.to}`;
}

export function parseEdgeId(id: string): Relationship {
  const [kind, from, to] = id.split('\u0000');
  return { kind, from, to };
}

/** Path of an issue's YAML file under the sync root ('' or 'dir/'). */
export function issuePath(root: string, key: string): string {
  return `${root}projects/${projectOf(key)}/issues/${key}.yaml`;
}

/** Path of the symlink for an edge, and its relative target. */
export function symlinkFor(root: string, r: Relationship): { path: string; target: string } {
  const fromProject = projectOf(r.from);
  const toProject = projectOf(r.to);
  // The link sits at projects/P/relationships/kind/FROM/TO: three levels up is projects/P.
  const target =
    fromProject === toProject ? `../../../issues/${r.to}.yaml` : `../../../../${toProject}/issues/${r.to}.yaml`;
  return { path: `${root}projects/${fromProject}/relationships/${r.kind}/${r.from}/${r.to}`, target };
}
