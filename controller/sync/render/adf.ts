/**
 * Atlassian Document Format (Jira Cloud rich text) → readable Markdown. Covers the nodes people
 * actually write (paragraphs, headings, lists, code, tables, quotes, panels, links, mentions,
 * emoji, task lists, dates, status lozenges, media). Any node we do not know, or one whose
 * attributes are malformed, degrades to the text of its children: rendering never throws, so one
 * odd description cannot fail a sync.
 */

interface AdfNode {
  type?: unknown;
  text?: unknown;
  attrs?: Record<string, unknown>;
  marks?: { type?: unknown; attrs?: Record<string, unknown> }[];
  content?: unknown;
}

function children(node: AdfNode): AdfNode[] {
  return Array.isArray(node.content) ? (node.content.filter((c) => c && typeof c === 'object') as AdfNode[]) : [];
}

function attr(node: AdfNode, name: string): string | undefined {
  const v = node.attrs && typeof node.attrs === 'object' ? node.attrs[name] : undefined;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/** Every text in a subtree, concatenated: the fallback for unknown nodes. */
export function adfPlainText(node: unknown): string {
  if (!node || typeof node !== 'object') return '';
  const n = node as AdfNode;
  if (typeof n.text === 'string') return n.text;
  const own = attr(n, 'text') ?? '';
  return own + children(n).map(adfPlainText).join('');
}

function applyMarks(text: string, node: AdfNode): string {
  if (!Array.isArray(node.marks) || text === '') return text;
  let out = text;
  let link: string | undefined;
  for (const mark of node.marks) {
    switch (mark?.type) {
      case 'code':
        out = out.includes('`') ? `\`\` ${out} \`\`` : `\`${out}\``;
        break;
      case 'strong':
        out = `**${out}**`;
        break;
      case 'em':
        out = `*${out}*`;
        break;
      case 'strike':
        out = `~~${out}~~`;
        break;
      case 'link': {
        const href = mark.attrs?.href;
        if (typeof href === 'string') link = href;
        break;
      }
      default:
        break; // underline, textColor, subsup, backgroundColor: no Markdown form; keep the text
    }
  }
  return link ? `[${out}](${link})` : out;
}

function inline(node: AdfNode): string {
  switch (node.type) {
    case 'text':
      return applyMarks(typeof node.text === 'string' ? node.text : '', node);
    case 'hardBreak':
      return '\n';
    case 'mention': {
      const t = attr(node, 'text') ?? attr(node, 'id') ?? '';
      return t.startsWith('@') ? t : `@${t}`;
    }
    case 'emoji':
      return attr(node, 'text') ?? attr(node, 'shortName') ?? '';
    case 'inlineCard':
    case 'blockCard':
    case 'embedCard': {
      const url = attr(node, 'url');
      return url ? `<${url}>` : '';
    }
    case 'status':
      return `[${attr(node, 'text') ?? ''}]`;
    case 'date': {
      const ts = Number(attr(node, 'timestamp'));
      return Number.isFinite(ts) ? new Date(ts).toISOString().slice(0, 10) : '';
    }
    case 'placeholder':
      return '';
    case 'media':
    case 'mediaInline': {
      const name = attr(node, 'alt') ?? attr(node, 'id') ?? 'attachment';
      return `[attachment: ${name}]`;
    }
    default:
      return children(node).map(inlineSafe).join('') || (typeof node.text === 'string' ? node.text : '');
  }
}

function inlineSafe(node: AdfNode): string {
  try {
    return inline(node);
  } catch {
    return adfPlainText(node);
  }
}

function inlineContent(node: AdfNode): string {
  return children(node).map(inlineSafe).join('');
}

/** Prefixes the first line with `first` and indents the others (blank lines stay blank). */
function indent(lines: string[], prefix: string, first: string): string[] {
  return lines.map((l, i) => (i === 0 ? first + l : l === '' ? '' : prefix + l));
}

function listItems(node: AdfNode, ordered: boolean): string[] {
  const out: string[] = [];
  let n = ordered ? Number(attr(node, 'order') ?? 1) || 1 : 0;
  for (const item of children(node)) {
    const marker = ordered ? `${n++}. ` : '- ';
    let body: string[];
    if (item.type === 'taskItem') {
      body = [`[${attr(item, 'state') === 'DONE' ? 'x' : ' '}] ${inlineContent(item)}`];
    } else {
      body = blocksOf(item.type === 'listItem' ? children(item) : [item]);
    }
    if (body.length === 0) body = [''];
    out.push(...indent(body, ' '.repeat(marker.length), marker));
  }
  return out;
}

function tableCell(cell: AdfNode): string {
  const text = blocksOf(children(cell))
    .filter((l) => l.trim() !== '')
    .join('<br>');
  return text.replace(/\|/g, '\\|').replace(/\n/g, '<br>');
}

function table(node: AdfNode): string[] {
  const rows = children(node).filter((r) => r.type === 'tableRow').map((r) => children(r));
  if (rows.length === 0) return [];
  const width = Math.max(...rows.map((r) => r.length), 1);
  const line = (cells: string[]) => `| ${Array.from({ length: width }, (_, i) => cells[i] ?? '').join(' | ')} |`;
  const cellsOf = (r: AdfNode[]) => r.map(tableCell);
  const hasHeader = rows[0].length > 0 && rows[0].every((c) => c.type === 'tableHeader');
  const header = hasHeader ? cellsOf(rows[0]) : [];
  const body = hasHeader ? rows.slice(1) : rows;
  return [line(header), `|${' --- |'.repeat(width)}`, ...body.map((r) => line(cellsOf(r)))];
}

function fence(text: string): string {
  let f = '```';
  while (text.includes(f)) f += '`';
  return f;
}

function block(node: AdfNode): string[] {
  switch (node.type) {
    case 'paragraph':
      return inlineContent(node).split('\n');
    case 'heading': {
      const level = Math.min(Math.max(Number(attr(node, 'level') ?? 1) || 1, 1), 6);
      return [`${'#'.repeat(level)} ${inlineContent(node).replace(/\n/g, ' ')}`];
    }
    case 'bulletList':
    case 'taskList':
    case 'decisionList':
      return listItems(node, false);
    case 'orderedList':
      return listItems(node, true);
    case 'codeBlock': {
      const text = adfPlainText(node);
      const f = fence(text);
      return [`${f}${attr(node, 'language') ?? ''}`, ...text.split('\n'), f];
    }
    case 'blockquote':
      return blocksOf(children(node)).map((l) => (l === '' ? '>' : `> ${l}`));
    case 'panel': {
      const kind = (attr(node, 'panelType') ?? 'info').toUpperCase();
      const body = blocksOf(children(node));
      return [`> **${kind}**`, ...body.map((l) => (l === '' ? '>' : `> ${l}`))];
    }
    case 'expand':
    case 'nestedExpand': {
      const title = attr(node, 'title');
      return [...(title ? [`**${title}**`, ''] : []), ...blocksOf(children(node))];
    }
    case 'rule':
      return ['---'];
    case 'table':
      return table(node);
    case 'mediaSingle':
    case 'mediaGroup':
      return [children(node).map(inlineSafe).join(' ')];
    case 'decisionItem':
      return [`Decision: ${inlineContent(node)}`];
    case 'doc':
    case 'layoutSection':
    case 'layoutColumn':
    case 'bodiedExtension':
    case 'listItem':
      return blocksOf(children(node));
    default: {
      // Unknown block: its inline rendering if it has inline children, else its plain text.
      const text = children(node).length > 0 ? blocksOf(children(node)).join('\n') : inline(node);
      return text === '' ? [] : text.split('\n');
    }
  }
}

function blockSafe(node: AdfNode): string[] {
  try {
    return block(node);
  } catch {
    const t = adfPlainText(node);
    return t === '' ? [] : t.split('\n');
  }
}

const INLINE_TYPES = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard', 'status', 'date', 'placeholder', 'mediaInline', 'inlineExtension']);
const KNOWN_BLOCKS = new Set(['paragraph', 'heading', 'bulletList', 'orderedList', 'taskList', 'decisionList', 'codeBlock', 'blockquote', 'panel', 'expand', 'nestedExpand', 'rule', 'table', 'mediaSingle', 'mediaGroup', 'decisionItem', 'doc', 'layoutSection', 'layoutColumn', 'bodiedExtension', 'extension', 'listItem', 'taskItem', 'blockCard', 'embedCard']);

/** Known inline nodes, and unknown ones that carry text or nothing at all (they join the line). */
function isInline(n: AdfNode): boolean {
  if (typeof n.type === 'string' && INLINE_TYPES.has(n.type)) return true;
  if (typeof n.type === 'string' && KNOWN_BLOCKS.has(n.type)) return false;
  return typeof n.text === 'string' || children(n).length === 0;
}

/** Renders consecutive blocks, separated by one blank line; inline runs stay together. */
function blocksOf(nodes: AdfNode[]): string[] {
  const out: string[] = [];
  let prevInline = false;
  for (const n of nodes) {
    if (isInline(n)) {
      const piece = inlineSafe(n).split('\n');
      if (prevInline && out.length > 0) out[out.length - 1] += piece.shift() ?? '';
      else if (out.length > 0) out.push('');
      out.push(...piece);
      prevInline = true;
      continue;
    }
    const lines = blockSafe(n);
    prevInline = false;
    if (lines.length === 0) continue;
    if (out.length > 0) out.push('');
    out.push(...lines);
  }
  return out;
}

/**
 * Markdown for an ADF document (or any ADF node). Non-objects render as ''. The result has no
 * leading or trailing blank lines.
 */
export function adfToMarkdown(doc: unknown): string {
  if (!doc || typeof doc !== 'object') return '';
  let lines: string[];
  try {
    lines = blockSafe(doc as AdfNode);
  } catch {
    lines = adfPlainText(doc).split('\n');
  }
  // Lines keep their trailing spaces: code blocks must round-trip exactly.
  return lines.join('\n').replace(/^\n+|\n+$/g, '');
}
