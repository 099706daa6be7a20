/**
 * Jira wiki markup (Data Center and REST v2 descriptions) → readable Markdown. Line-oriented and
 * forgiving: constructs we do not recognise stay as they were written, and rendering never throws
 * (on an internal error the original text is returned).
 */

const INLINE_RULES: [RegExp, string | ((...m: string[]) => string)][] = [
  // Links first, so the markup characters inside URLs are not touched by the emphasis rules.
  [/\[~accountid:([^\]\s]+)\]/g, '@$1'],
  [/\[~([^\]]+)\]/g, '@$1'],
  [/\[([^\]|\n]+)\|([^\]\n]+)\]/g, (_m, text, url) => `[${text.trim()}](${url.trim()})`],
  [/\[((?:https?|ftp|mailto):[^\]\s]+)\]/g, '<$1>'],
  [/!([^!\s|]+)(?:\|[^!]*)?!/g, '[attachment: $1]'],
  [/\{color(?::[^}]*)?\}/g, ''],
  [/(^|[\s(\[])\*(\S(?:[^*\n]*\S)?)\*(?=$|[\s).,;:!?\]])/g, '$1**$2**'],
  [/(^|[\s(\[])_(\S(?:[^_\n]*\S)?)_(?=$|[\s).,;:!?\]])/g, '$1*$2*'],
  [/(^|[\s(\[])-(\S(?:[^-\n]*\S)?)-(?=$|[\s).,;:!?\]])/g, '$1~~$2~~'],
  [/(^|[\s(\[])\+(\S(?:[^+\n]*\S)?)\+(?=$|[\s).,;:!?\]])/g, '$1$2'],
  [/(^|[\s(\[])\?\?(\S(?:.*?\S)?)\?\?(?=$|[\s).,;:!?\]])/g, '$1*$2*'],
  [/\\\\/g, '\n'],
];

/** Inline markup of one line; `{{monospace}}` spans are protected from the other rules. */
function inline(text: string): string {
  const parts = text.split(/(\{\{.*?\}\})/);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return `\`${part.slice(2, -2)}\``;
      let out = part;
      for (const [re, rep] of INLINE_RULES) out = out.replace(re, rep as string);
      return out;
    })
    .join('');
}

function tableRow(line: string): { cells: string[]; header: boolean } {
  const header = line.startsWith('||');
  const trimmed = line.replace(/^\|\|?/, '').replace(/\|\|?\s*$/, '');
  const cells = trimmed.split(/\|\|?/).map((c) => inline(c.trim()).replace(/\n/g, '<br>'));
  return { cells, header };
}

function flushTable(rows: { cells: string[]; header: boolean }[], out: string[]): void {
  if (rows.length === 0) return;
  const width = Math.max(...rows.map((r) => r.cells.length));
  const line = (cells: string[]) => `| ${Array.from({ length: width }, (_, i) => cells[i] ?? '').join(' | ')} |`;
  const hasHeader = rows[0].header;
  out.push(line(hasHeader ? rows[0].cells : []), `|${' --- |'.repeat(width)}`);
  for (const r of hasHeader ? rows.slice(1) : rows) out.push(line(r.cells));
  rows.length = 0;
}

function fenceFor(lines: string[]): string {
  let f = '```';
  while (lines.some((l) => l.includes(f))) f += '`';
  return f;
}

/** One open list level: ordered or not, and the number of its current item. */
interface ListLevel {
  ordered: boolean;
  n: number;
}

const markerOf = (l: ListLevel): string => (l.ordered ? `${l.n}. ` : '- ');

/**
 * The prefix of one list line, laid out as the ADF renderer lays out the same list (so Data
 * Center's wiki and Cloud's ADF give the same Markdown): items numbered 1, 2, 3…, a nested list
 * indented by its parent's marker width and set off from the parent's text by a blank line.
 * `levels` is updated in place; `nested` says this line opens a deeper level.
 */
function listLine(levels: ListLevel[], markers: string): { text: string; nested: boolean } {
  const depth = markers.length - 1;
  const nested = levels.length > 0 && depth >= levels.length;
  levels.length = Math.min(levels.length, depth + 1);
  for (let i = 0; i < depth; i++) levels[i] ??= { ordered: markers[i] === '#', n: 1 };
  const ordered = markers[depth] === '#';
  const here = levels[depth];
  if (here && here.ordered === ordered) here.n++;
  else levels[depth] = { ordered, n: 1 };
  const indent = levels.slice(0, depth).map((l) => ' '.repeat(markerOf(l).length)).join('');
  return { text: indent + markerOf(levels[depth]), nested };
}

function convert(src: string): string {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  const table: { cells: string[]; header: boolean }[] = [];
  let quoteDepth = 0;
  const push = (l: string) => out.push(quoteDepth > 0 ? (l === '' ? '>' : `> ${l}`) : l);
  /** The open list levels while consecutive lines are list items. */
  const levels: ListLevel[] = [];

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const block = /^\s*\{(code|noformat)(?::([^}]*))?\}(.*)$/.exec(line);
    if (block) {
      flushTable(table, out);
      levels.length = 0;
      const kind = block[1];
      const lang = kind === 'code' ? (block[2] ?? '').split('|').find((p) => !p.includes('=')) ?? '' : '';
      const body: string[] = [];
      let rest = block[3];
      const close = `{${kind}}`;
      // Gather until the closing tag (which may sit on the same line).
      for (;;) {
        const end = rest.indexOf(close);
        if (end >= 0) {
          body.push(rest.slice(0, end));
          break;
        }
        body.push(rest);
        if (++i >= lines.length) break;
        rest = lines[i];
      }
      while (body.length > 0 && body[0].trim() === '') body.shift();
      while (body.length > 0 && body[body.length - 1].trim() === '') body.pop();
      const f = fenceFor(body);
      push(`${f}${lang.trim()}`);
      for (const b of body) push(b);
      push(f);
      continue;
    }
    if (/^\s*\{(quote|panel(?::[^}]*)?)\}\s*$/.test(line)) {
      flushTable(table, out);
      quoteDepth = quoteDepth > 0 ? 0 : 1; // {quote} both opens and closes
      continue;
    }
    if (/^\s*\|/.test(line)) {
      levels.length = 0;
      table.push(tableRow(line.trim()));
      continue;
    }
    flushTable(table, out);
    const heading = /^\s*h([1-6])\.\s+(.*)$/.exec(line);
    if (heading) {
      levels.length = 0;
      push(`${'#'.repeat(Number(heading[1]))} ${inline(heading[2])}`);
      continue;
    }
    const bq = /^\s*bq\.\s+(.*)$/.exec(line);
    if (bq) {
      levels.length = 0;
      out.push(`> ${inline(bq[1])}`);
      continue;
    }
    if (/^\s*-{4,}\s*$/.test(line)) {
      push('---');
      continue;
    }
    const list = /^\s*([*#-]+)\s+(.*)$/.exec(line);
    if (list && !/^-{2,}$/.test(list[1])) {
      const { text, nested } = listLine(levels, list[1]);
      if (nested) push('');
      push(`${text}${inline(list[2])}`);
      continue;
    }
    levels.length = 0;
    for (const l of inline(line).split('\n')) push(l);
  }
  flushTable(table, out);
  return out.join('\n').replace(/^\n+|\n+$/g, '');
}

/** Markdown for a wiki-markup text; never throws (returns the input on an internal error). */
export function wikiToMarkdown(text: string): string {
  try {
    return convert(text);
  } catch {
    return text;
  }
}
