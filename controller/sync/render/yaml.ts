/**
 * The issue document ↔ YAML 1.2 text. Output is deterministic (key order comes from the document,
 * no line folding, no anchors) and valid for any text Jira can hold. emit.ts writes it; the
 * `yaml` package's stringify is the fallback for what emit.ts declines, and its parser reads
 * files back when the quick reader below is unsure. Ill-formed UTF-16 (lone surrogates) becomes
 * U+FFFD, because it cannot be encoded as UTF-8 and would otherwise change on every write.
 */
import { Document, Scalar, parse, visit } from 'yaml';
import type { IssueDocument, LinkDoc } from './document.ts';
import { emitYaml } from './emit.ts';

const STRINGIFY = {
  lineWidth: 0, // never fold long lines: folding depends on widths and makes diffs noisy
  minContentWidth: 0,
  aliasDuplicateObjects: false,
  blockQuote: 'literal',
  indentSeq: true,
  nullStr: 'null',
} as const;

function wellFormed(v: unknown): unknown {
  if (typeof v === 'string') return v.toWellFormed();
  if (Array.isArray(v)) return v.map(wellFormed);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k.toWellFormed()] = wellFormed(x);
    return out;
  }
  return v;
}

/** Characters YAML 1.2 does not allow raw in a stream (outside c-printable, or the BOM). */
const NON_PRINTABLE = /[^\t\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u;
const NON_PRINTABLE_ALL = new RegExp(NON_PRINTABLE.source, 'gu');

function escapeChar(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/**
 * The `yaml` package's rendering, for what emit.ts declines: strings holding a non-printable
 * character are double-quoted and those characters escaped (the package escapes C0 controls
 * itself but leaves DEL, C1 controls and the BOM raw, which YAML 1.2 does not allow in a stream).
 */
export function libraryYaml(value: unknown): string {
  const doc = new Document(wellFormed(value), { version: '1.2' });
  let needsEscape = false;
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && NON_PRINTABLE.test(node.value)) {
        node.type = Scalar.QUOTE_DOUBLE;
        needsEscape = true;
      }
    },
  });
  const text = doc.toString(STRINGIFY);
  // Every such character now sits inside a double-quoted scalar, where an escape means the same.
  return needsEscape ? text.replace(NON_PRINTABLE_ALL, escapeChar) : text;
}

/** YAML text of any plain data (ends with a newline). */
export function toYaml(value: unknown): string {
  return (value !== null && typeof value === 'object' ? emitYaml(value) : undefined) ?? libraryYaml(value);
}

/** The YAML text of an issue document (ends with a newline). */
export function documentToYaml(doc: IssueDocument): string {
  return toYaml(doc);
}

/** What the relationship builder needs from a stored document. */
export type StoredRelations = Pick<IssueDocument, 'key' | 'parent' | 'epic' | 'links' | 'subtasks'>;

function keyList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : [];
}

const KEY = /^[A-Za-z][A-Za-z0-9_]*-[0-9]+$/;
const PLAIN_PHRASE = /^[A-Za-z][A-Za-z0-9 ]*[A-Za-z0-9]$/;
const RESERVED = /^(true|false|null|~|yes|no|on|off)$/i;

/**
 * The fast path for files this module wrote: reads the relationship fields line by line, and
 * gives up (undefined) on anything it does not recognise with certainty, so that the full parser
 * decides. An incremental run reads a few of these per changed issue; a full YAML parse of each
 * would dominate a small run.
 */
function quickRelations(text: string): StoredRelations | undefined {
  const lines = text.split('\n');
  const top = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const m = /^([A-Za-z]+):/.exec(lines[i]);
    if (m) {
      if (top.has(m[1])) return undefined;
      top.set(m[1], i);
    }
  }
  const scalar = (name: string): string | null | undefined => {
    const i = top.get(name);
    if (i === undefined) return undefined;
    const v = lines[i].slice(name.length + 2);
    return v === 'null' ? null : KEY.test(v) ? v : undefined;
  };
  const key = scalar('key');
  const parent = scalar('parent');
  const epic = scalar('epic');
  if (!key || parent === undefined || epic === undefined) return undefined;

  const section = (name: string): string[] | undefined => {
    const i = top.get(name);
    if (i === undefined) return undefined;
    if (lines[i] === `${name}: []`) return [];
    if (lines[i] !== `${name}:`) return undefined;
    const body: string[] = [];
    for (let j = i + 1; j < lines.length && lines[j].startsWith(' '); j++) body.push(lines[j]);
    return body;
  };
  const linkLines = section('links');
  const subLines = section('subtasks');
  if (!linkLines || !subLines || linkLines.length % 3 !== 0) return undefined;
  const links: LinkDoc[] = [];
  for (let j = 0; j < linkLines.length; j += 3) {
    const type = /^  - type: (.*)$/.exec(linkLines[j])?.[1];
    const dir = /^    direction: (outward|inward)$/.exec(linkLines[j + 1])?.[1];
    const k = /^    key: (.*)$/.exec(linkLines[j + 2])?.[1];
    if (!type || !PLAIN_PHRASE.test(type) || RESERVED.test(type) || (dir !== 'outward' && dir !== 'inward') || !k || !KEY.test(k)) return undefined;
    links.push({ type, direction: dir, key: k });
  }
  const subtasks: string[] = [];
  for (const l of subLines) {
    const k = /^  - (.*)$/.exec(l)?.[1];
    if (!k || !KEY.test(k)) return undefined;
    subtasks.push(k);
  }
  return { key, parent, epic, links, subtasks };
}

/**
 * Reads back the relationship fields of a stored YAML file (written by any earlier version).
 * Returns undefined when the text is not a mapping with a key: such a file is treated as absent.
 */
export function parseStoredRelations(text: string): StoredRelations | undefined {
  const quick = quickRelations(text);
  if (quick) return quick;
  let value: unknown;
  try {
    value = parse(text, { version: '1.2' });
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  if (typeof o.key !== 'string') return undefined;
  const links: LinkDoc[] = [];
  if (Array.isArray(o.links)) {
    for (const l of o.links) {
      const r = l as Record<string, unknown> | null;
      if (r && typeof r.type === 'string' && typeof r.key === 'string' && (r.direction === 'outward' || r.direction === 'inward')) {
        links.push({ type: r.type, direction: r.direction, key: r.key });
      }
    }
  }
  return {
    key: o.key,
    parent: typeof o.parent === 'string' ? o.parent : null,
    epic: typeof o.epic === 'string' ? o.epic : null,
    links,
    subtasks: keyList(o.subtasks),
  };
}
