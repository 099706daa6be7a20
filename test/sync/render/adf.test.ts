import t from 'tap';
import { adfToMarkdown } from '../../../controller/sync/render/adf.ts';

const text = (s: string, marks?: unknown[]) => ({ type: 'text', text: s, ...(marks ? { marks } : {}) });
const p = (...content: unknown[]) => ({ type: 'paragraph', content });
const doc = (...content: unknown[]) => ({ type: 'doc', version: 1, content });
const li = (...content: unknown[]) => ({ type: 'listItem', content });

const cases: { name: string; adf: unknown; md: string }[] = [
  { name: 'paragraphs are separated by a blank line', adf: doc(p(text('one')), p(text('two'))), md: 'one\n\ntwo' },
  { name: 'headings keep their level', adf: doc({ type: 'heading', attrs: { level: 2 }, content: [text('Title')] }), md: '## Title' },
  {
    name: 'marks become Markdown emphasis, code and links',
    adf: doc(p(text('b', [{ type: 'strong' }]), text(' '), text('i', [{ type: 'em' }]), text(' '), text('c', [{ type: 'code' }]), text(' '), text('s', [{ type: 'strike' }]), text(' '), text('site', [{ type: 'link', attrs: { href: 'https://x.test' } }]))),
    md: '**b** *i* `c` ~~s~~ [site](https://x.test)',
  },
  { name: 'a hard break is a line break', adf: doc(p(text('a'), { type: 'hardBreak' }, text('b'))), md: 'a\nb' },
  {
    name: 'bullet lists nest with indentation',
    adf: doc({ type: 'bulletList', content: [li(p(text('one')), { type: 'bulletList', content: [li(p(text('inner')))] }), li(p(text('two')))] }),
    md: '- one\n\n  - inner\n- two',
  },
  {
    name: 'ordered lists number from their start',
    adf: doc({ type: 'orderedList', attrs: { order: 3 }, content: [li(p(text('c'))), li(p(text('d')))] }),
    md: '3. c\n4. d',
  },
  {
    name: 'code blocks are fenced with their language',
    adf: doc({ type: 'codeBlock', attrs: { language: 'ts' }, content: [text('const a = 1;\nconst b = 2;')] }),
    md: '```ts\nconst a = 1;\nconst b = 2;\n```',
  },
  {
    name: 'code keeps its indentation and trailing spaces exactly',
    adf: doc({ type: 'codeBlock', content: [text('  indented  \n\ttab  ')] }),
    md: '```\n  indented  \n\ttab  \n```',
  },
  {
    name: 'a code block containing a fence gets a longer fence',
    adf: doc({ type: 'codeBlock', content: [text('```\nx\n```')] }),
    md: '````\n```\nx\n```\n````',
  },
  {
    name: 'tables become pipe tables with a header row',
    adf: doc({
      type: 'table',
      content: [
        { type: 'tableRow', content: [{ type: 'tableHeader', content: [p(text('H1'))] }, { type: 'tableHeader', content: [p(text('H2'))] }] },
        { type: 'tableRow', content: [{ type: 'tableCell', content: [p(text('a|b'))] }, { type: 'tableCell', content: [p(text('c'))] }] },
      ],
    }),
    md: '| H1 | H2 |\n| --- | --- |\n| a\\|b | c |',
  },
  {
    name: 'mentions, emoji, status and cards render as text',
    adf: doc(p({ type: 'mention', attrs: { id: 'x', text: '@Ann' } }, text(' '), { type: 'emoji', attrs: { shortName: ':smile:', text: '😄' } }, text(' '), { type: 'status', attrs: { text: 'DONE' } }, text(' '), { type: 'inlineCard', attrs: { url: 'https://x.test/1' } })),
    md: '@Ann 😄 [DONE] <https://x.test/1>',
  },
  { name: 'a quote prefixes every line', adf: doc({ type: 'blockquote', content: [p(text('q1')), p(text('q2'))] }), md: '> q1\n>\n> q2' },
  { name: 'a panel is a quote with its kind', adf: doc({ type: 'panel', attrs: { panelType: 'warning' }, content: [p(text('careful'))] }), md: '> **WARNING**\n> careful' },
  { name: 'a rule is a thematic break', adf: doc(p(text('a')), { type: 'rule' }, p(text('b'))), md: 'a\n\n---\n\nb' },
  {
    name: 'task lists show their state',
    adf: doc({ type: 'taskList', content: [{ type: 'taskItem', attrs: { state: 'DONE' }, content: [text('done')] }, { type: 'taskItem', attrs: { state: 'TODO' }, content: [text('todo')] }] }),
    md: '- [x] done\n- [ ] todo',
  },
  { name: 'an unknown node degrades to its text', adf: doc({ type: 'fancyWidget', content: [text('inside'), { type: 'weird', text: ' more' }] }), md: 'inside more' },
  { name: 'malformed content (nulls, numbers, wrong shapes) does not throw', adf: doc(null, 3, { type: 'paragraph', content: 'nope' }, { type: 'heading', attrs: null, content: [text('h')] }, p(text('ok'))), md: '# h\n\nok' },
  { name: 'a non-object renders as empty text', adf: 42, md: '' },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    t.equal(adfToMarkdown(c.adf), c.md);
  });
}

t.test('a deeply nested document renders without throwing', async (t) => {
  let node: unknown = text('deep');
  for (let i = 0; i < 2000; i++) node = { type: 'blockquote', content: [node] };
  t.doesNotThrow(() => adfToMarkdown(doc(node)));
  t.match(adfToMarkdown(doc(node)), /deep/);
});
