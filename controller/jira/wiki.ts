/**
 * The failure and recovery comments (adf.ts builds them as ADF) in Jira wiki markup, the comment
 * format of REST v2 on Data Center. Only the nodes those comments use are rendered with markup
 * (paragraphs, bold and code text, bullet lists, code blocks); anything else becomes its plain
 * text. The marker line is written as plain text, so hasMarker() finds it in the wiki body as it
 * finds it in the ADF one: the once-per-episode rule holds on Data Center too.
 */
import type { AdfDocument } from './api.ts';

type Node = Record<string, unknown>;

function nodes(v: unknown): Node[] {
  return Array.isArray(v) ? v.filter((n): n is Node => !!n && typeof n === 'object' && !Array.isArray(n)) : [];
}

/** Text safe outside a code block: the characters that open wiki macros, links and tables are escaped. */
function escapeText(text: string): string {
  return text.replace(/[{}[\]|!\\]/g, (c) => `\\${c}`);
}

function marks(node: Node): string[] {
  return nodes(node.marks).map((m) => String(m.type ?? ''));
}

function inline(content: unknown): string {
  return nodes(content)
    .map((n) => {
      if (n.type === 'hardBreak') return '\n';
      if (typeof n.text !== 'string') return inline(n.content);
      const m = marks(n);
      if (m.includes('code')) return `{{${escapeText(n.text)}}}`;
      let out = escapeText(n.text);
      // Bold only around a word's edges: `*` next to a space does not open bold in wiki markup.
      if (m.includes('strong') && out.trim() === out && out) out = `*${out}*`;
      return out;
    })
    .join('');
}

function block(node: Node, depth: number): string[] {
  switch (node.type) {
    case 'paragraph':
    case 'heading':
      return [inline(node.content)];
    case 'bulletList':
    case 'orderedList': {
      const bullet = (node.type === 'bulletList' ? '*' : '#').repeat(depth + 1);
      return nodes(node.content).flatMap((item) =>
        nodes(item.content).flatMap((child, i) =>
          child.type === 'bulletList' || child.type === 'orderedList' ? block(child, depth + 1) : block(child, depth).map((l) => (i === 0 ? `${bullet} ${l}` : l)),
        ),
      );
    }
    case 'codeBlock': {
      // {noformat} shows its content verbatim; only its own closing tag must not appear inside.
      const text = nodes(node.content).map((n) => (typeof n.text === 'string' ? n.text : '')).join('').replaceAll('{noformat}', '{ noformat}');
      return ['{noformat}', ...text.split('\n'), '{noformat}'];
    }
    default:
      return nodes(node.content).flatMap((c) => block(c, depth));
  }
}

/** A comment document as wiki markup, one block per line. */
export function adfToWiki(doc: AdfDocument): string {
  return nodes(doc.content).flatMap((n) => block(n, 0)).join('\n');
}
