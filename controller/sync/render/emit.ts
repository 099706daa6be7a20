/**
 * A small, strict YAML 1.2 emitter for plain data (null, booleans, numbers, strings, arrays,
 * objects), used for issue files. Why not the `yaml` package's stringify: it builds a node tree
 * per document, and at 100,000 issues that garbage roughly doubled the engine's heap; this writes
 * lines directly. It takes no risks: a string is written plain only when no YAML 1.2 or 1.1
 * reader could take it for anything else (so `yes`, `010` and `2024-01-02` are quoted), as a
 * literal block when it is multi-line and safe for one, and otherwise double-quoted with JSON
 * escapes (a JSON string is a valid YAML double-quoted scalar) plus escapes for the characters
 * YAML does not allow raw. test/sync/render/yaml.test.ts proves the round trip with the `yaml`
 * parser over hostile and random input. Returns undefined for what it does not handle (keys
 * longer than YAML's 1,024-character implicit-key limit), so the caller can fall back.
 */

/** Outside YAML 1.2's printable set, or the BOM; plus NEL, LS, PS, which YAML 1.1 reads as line breaks. */
const UNSAFE_RAW = /[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u;
const UNSAFE_RAW_ALL = new RegExp(UNSAFE_RAW.source, 'gu');
const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`\s]/;
const AMBIGUOUS_WORD = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|<<|=)$/;
const NUMBER_LIKE =
  /^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF|nan|NaN|NAN))$/;
const DATE_LIKE = /^\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*Z|[-+]\d\d?(?::\d\d)?)?)?$/;
const MAX_KEY = 1000;

class Unsupported extends Error {}

function plainSafe(s: string): boolean {
  return (
    s !== '' &&
    !INDICATOR_START.test(s) &&
    !/\s$/.test(s) &&
    !/[\n\r\t]/.test(s) &&
    !s.includes(': ') &&
    !s.includes(' #') &&
    !s.endsWith(':') &&
    !UNSAFE_RAW.test(s) &&
    !AMBIGUOUS_WORD.test(s) &&
    !NUMBER_LIKE.test(s) &&
    !DATE_LIKE.test(s)
  );
}

function literalSafe(s: string): boolean {
  // The first line fixes the block's indentation, so it must not start with white space.
  return s.includes('\n') && !/^[\s]/.test(s) && !s.includes('\r') && !UNSAFE_RAW.test(s);
}

function escapeRaw(c: string): string {
  return `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

/** Double-quoted scalar: JSON escapes, and \uXXXX for what JSON leaves raw but YAML forbids. */
function quoted(s: string): string {
  const json = JSON.stringify(s);
  return UNSAFE_RAW.test(json) ? json.replace(UNSAFE_RAW_ALL, escapeRaw) : json;
}

function keyText(k: string): string {
  if (k.length > MAX_KEY) throw new Unsupported();
  return plainSafe(k) ? k : quoted(k);
}

/** A scalar on one line, or a literal block: its header and content lines (unindented). */
function scalar(v: unknown): { inline: string; block?: string[] } {
  if (v === null || v === undefined) return { inline: 'null' };
  if (typeof v === 'boolean') return { inline: String(v) };
  if (typeof v === 'number') return { inline: Number.isFinite(v) ? String(v) : Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf' };
  if (typeof v === 'bigint') return { inline: String(v) };
  const s = String(v).toWellFormed();
  if (plainSafe(s)) return { inline: s };
  if (!literalSafe(s)) return { inline: quoted(s) };
  let trailing = 0;
  while (trailing < s.length && s[s.length - 1 - trailing] === '\n') trailing++;
  const header = trailing === 0 ? '|-' : trailing === 1 ? '|' : '|+';
  return { inline: header, block: (trailing === 0 ? s : s.slice(0, -1)).split('\n') };
}

function isCollection(v: unknown): v is object {
  return v !== null && typeof v === 'object';
}

function isEmpty(v: object): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
}

/** Appends `prefix` + value: scalars after it, collections on the following lines at `indent`. */
function emitValue(out: string[], prefix: string, v: unknown, indent: number, depth: number): void {
  if (depth > 64) throw new Unsupported();
  if (isCollection(v) && !isEmpty(v)) {
    out.push(prefix);
    if (Array.isArray(v)) emitSeq(out, v, indent, depth + 1);
    else emitMap(out, v as Record<string, unknown>, indent, depth + 1);
    return;
  }
  const s = isCollection(v) ? { inline: Array.isArray(v) ? '[]' : '{}' } : scalar(v);
  out.push(`${prefix} ${s.inline}`);
  if (s.block) {
    const pad = ' '.repeat(indent);
    for (const line of s.block) out.push(line === '' ? '' : pad + line);
  }
}

function emitMap(out: string[], obj: Record<string, unknown>, indent: number, depth: number): void {
  const pad = ' '.repeat(indent);
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    emitValue(out, `${pad}${keyText(k.toWellFormed())}:`, v, indent + 2, depth);
  }
}

function emitSeq(out: string[], arr: unknown[], indent: number, depth: number): void {
  const pad = ' '.repeat(indent);
  for (const item of arr) {
    if (isCollection(item) && !isEmpty(item)) {
      // Compact form: the item's first line goes after "- ", the rest keep its indentation.
      const inner: string[] = [];
      if (Array.isArray(item)) emitSeq(inner, item, indent + 2, depth + 1);
      else emitMap(inner, item as Record<string, unknown>, indent + 2, depth + 1);
      out.push(`${pad}- ${inner[0].slice(indent + 2)}`, ...inner.slice(1));
    } else {
      emitValue(out, `${pad}-`, item, indent + 2, depth);
    }
  }
}

/** YAML text (ending with a newline) of an object or array, or undefined when unsupported. */
export function emitYaml(value: object): string | undefined {
  const out: string[] = [];
  try {
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]\n';
      emitSeq(out, value, 0, 0);
    } else {
      if (Object.keys(value).length === 0) return '{}\n';
      emitMap(out, value as Record<string, unknown>, 0, 0);
    }
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  return `${out.join('\n')}\n`;
}
