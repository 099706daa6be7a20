import t from 'tap';
import { wikiToMarkdown } from '../../../controller/sync/render/wiki.ts';

const cases: { name: string; wiki: string; md: string }[] = [
  { name: 'headings become hashes', wiki: 'h1. Big\nh3. Small', md: '# Big\n### Small' },
  { name: 'bold, italic, strike and monospace convert', wiki: '*bold* _it_ -gone- {{a*b*c}}', md: '**bold** *it* ~~gone~~ `a*b*c`' },
  { name: 'hyphens and asterisks inside words are left alone', wiki: 'well-known 2*3*4 snake_case_name', md: 'well-known 2*3*4 snake_case_name' },
  { name: 'links with text, bare links and mentions convert', wiki: '[Docs|https://x.test/a_b] [https://x.test] [~jdoe] [~accountid:5b10]', md: '[Docs](https://x.test/a_b) <https://x.test> @jdoe @5b10' },
  { name: 'nested lists indent by the parent marker, after a blank line, as ADF lists render', wiki: '* one\n** inner\n# first\n## sub', md: '- one\n\n  - inner\n1. first\n\n   1. sub' },
  { name: 'numbered items count up and restart in a new list', wiki: '# a\n# b\n#* x\n#* y\n# c\n\n# again', md: '1. a\n2. b\n\n   - x\n   - y\n3. c\n\n1. again' },
  { name: 'code blocks keep their content verbatim', wiki: '{code:java}\nint *x* = 1;\n{code}', md: '```java\nint *x* = 1;\n```' },
  { name: 'noformat blocks are fenced without a language', wiki: '{noformat}\nraw _text_\n{noformat}', md: '```\nraw _text_\n```' },
  { name: 'a code block on one line works', wiki: '{code}x = 1{code}', md: '```\nx = 1\n```' },
  { name: 'tables convert with a header row', wiki: '||A||B||\n|1|2|\n|3|4|', md: '| A | B |\n| --- | --- |\n| 1 | 2 |\n| 3 | 4 |' },
  { name: 'a table without a header gets an empty one', wiki: '|1|2|', md: '|  |  |\n| --- | --- |\n| 1 | 2 |' },
  { name: 'quotes prefix their lines', wiki: '{quote}\nwise\nwords\n{quote}\nafter', md: '> wise\n> words\nafter' },
  { name: 'bq. is a one-line quote', wiki: 'bq. quoted', md: '> quoted' },
  { name: 'a forced line break splits the line', wiki: 'a\\\\b', md: 'a\nb' },
  { name: 'colour markup is dropped, its text kept', wiki: '{color:red}alert{color}', md: 'alert' },
  { name: 'images become attachment references', wiki: '!screen.png|thumbnail!', md: '[attachment: screen.png]' },
  { name: 'an unclosed code block runs to the end without throwing', wiki: '{code}\nnever closed', md: '```\nnever closed\n```' },
  { name: 'a rule converts', wiki: 'a\n----\nb', md: 'a\n---\nb' },
  { name: 'plain text passes through', wiki: 'Just text: with # and "quotes"', md: 'Just text: with # and "quotes"' },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    t.equal(wikiToMarkdown(c.wiki), c.md);
  });
}
