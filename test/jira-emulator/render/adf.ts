/**
 * Converting between Atlassian Document Format (REST v3) and wiki markup (REST v2 and Data Center).
 * Covers what the generator and typical clients produce: paragraphs, headings, lists, code blocks,
 * tables, quotes, rules, mentions, emoji, links and the common text marks.
 */

type Node = { type?: string; text?: string; attrs?: Record<string, unknown>; marks?: { type: string; attrs?: Record<string, unknown> }[]; content?: Node[] };

function inline(nodes: Node[] = []): string {
  return nodes.map((n) => {
    switch (n.type) {
      case 'text': {
        let t = n.text ?? '';
        for (const m of n.marks ?? []) {
          if (m.type === 'strong') t = `*${t}*`;
          else if (m.type === 'em') t = `_${t}_`;
          else if (m.type === 'code') t = `{{${t}}}`;
          else if (m.type === 'strike') t = `-${t}-`;
          else if (m.type === 'link') t = `[${t}|${String(m.attrs?.href ?? '')}]`;
        }
        return t;
      }
      case 'hardBreak': return '\n';
      case 'mention': return `[~accountid:${String(n.attrs?.id ?? '')}]`;
      case 'emoji': return String(n.attrs?.text ?? n.attrs?.shortName ?? '');
      case 'inlineCard': return `[${String(n.attrs?.url ?? '')}]`;
      default: return inline(n.content);
    }
  }).join('');
}

function block(n: Node, depth = ''): string {
  switch (n.type) {
    case 'paragraph': return inline(n.content);
    case 'heading': return `h${Number(n.attrs?.level ?? 1)}. ${inline(n.content)}`;
    case 'bulletList':
    case 'orderedList': {
      const marker = depth + (n.type === 'bulletList' ? '*' : '#');
      return (n.content ?? []).map((item) => (item.content ?? []).map((c, i) =>
        c.type === 'bulletList' || c.type === 'orderedList' ? block(c, marker) : `${i === 0 ? `${marker} ` : ''}${block(c)}`).join('\n')).join('\n');
    }
    case 'codeBlock': {
      const lang = n.attrs?.language ? `:${String(n.attrs.language)}` : '';
      return `{code${lang}}\n${inline(n.content)}\n{code}`;
    }
    case 'blockquote': return `{quote}\n${(n.content ?? []).map((c) => block(c)).join('\n\n')}\n{quote}`;
    case 'rule': return '----';
    case 'table': return (n.content ?? []).map((row) => {
      const cells = row.content ?? [];
      const header = cells.length > 0 && cells.every((c) => c.type === 'tableHeader');
      const sep = header ? '||' : '|';
      return sep + cells.map((c) => (c.content ?? []).map((x) => block(x)).join(' ')).join(sep) + sep;
    }).join('\n');
    case 'panel': return `{panel}\n${(n.content ?? []).map((c) => block(c)).join('\n\n')}\n{panel}`;
    default: return n.content ? (n.content.map((c) => block(c)).join('\n\n')) : inline([n]);
  }
}

/** Wiki markup for an ADF document (null stays null). */
export function adfToWiki(doc: unknown): string | null {
  if (doc === null || doc === undefined) return null;
  if (typeof doc === 'string') return doc;
  return ((doc as Node).content ?? []).map((n) => block(n)).join('\n\n');
}

function wikiInline(s: string): Node[] {
  const out: Node[] = [];
  const re = /\*([^*\n]+)\*|_([^_\n]+)_|\{\{([^}]+)\}\}|\[~accountid:([^\]]+)\]|\[([^|\]]+)\|([^\]]+)\]/g;
  let last = 0;
  for (const m of s.matchAll(re)) {
    if (m.index > last) out.push({ type: 'text', text: s.slice(last, m.index) });
    if (m[1] !== undefined) out.push({ type: 'text', text: m[1], marks: [{ type: 'strong' }] });
    else if (m[2] !== undefined) out.push({ type: 'text', text: m[2], marks: [{ type: 'em' }] });
    else if (m[3] !== undefined) out.push({ type: 'text', text: m[3], marks: [{ type: 'code' }] });
    else if (m[4] !== undefined) out.push({ type: 'mention', attrs: { id: m[4], text: `@${m[4]}`, accessLevel: '' } });
    else out.push({ type: 'text', text: m[5], marks: [{ type: 'link', attrs: { href: m[6] } }] });
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push({ type: 'text', text: s.slice(last) });
  return out;
}

/** An ADF document for wiki markup, as Jira's v2 endpoints store it. */
export function wikiToAdf(wiki: string): Record<string, unknown> {
  const content: Node[] = [];
  const lines = wiki.replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const code = /^\{code(?::([\w+-]+))?\}(.*)$/.exec(line);
    if (code) {
      const body: string[] = code[2] ? [code[2]] : [];
      i++;
      while (i < lines.length && !lines[i].startsWith('{code}')) body.push(lines[i++]);
      i++;
      content.push({ type: 'codeBlock', ...(code[1] ? { attrs: { language: code[1] } } : {}), content: body.length ? [{ type: 'text', text: body.join('\n') }] : [] });
      continue;
    }
    const heading = /^h([1-6])\.\s+(.*)$/.exec(line);
    if (heading) { content.push({ type: 'heading', attrs: { level: Number(heading[1]) }, content: wikiInline(heading[2]) }); i++; continue; }
    const item = /^([*#])\s+(.*)$/.exec(line);
    if (item) {
      const items: Node[] = [];
      while (i < lines.length && lines[i].startsWith(`${item[1]} `)) {
        items.push({ type: 'listItem', content: [{ type: 'paragraph', content: wikiInline(lines[i].slice(2)) }] });
        i++;
      }
      content.push({ type: item[1] === '*' ? 'bulletList' : 'orderedList', content: items });
      continue;
    }
    if (line.trim() === '') { i++; continue; }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() !== '' && !/^(h[1-6]\.\s|[*#]\s|\{code)/.test(lines[i])) para.push(lines[i++]);
    const inl: Node[] = [];
    para.forEach((p, j) => { if (j > 0) inl.push({ type: 'hardBreak' }); inl.push(...wikiInline(p)); });
    content.push({ type: 'paragraph', content: inl });
  }
  return { type: 'doc', version: 1, content };
}

/** True for a value shaped like an ADF document. */
export function isAdfDoc(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && (v as Node).type === 'doc' && Array.isArray((v as Node).content) &&
    typeof (v as { version?: unknown }).version === 'number';
}
