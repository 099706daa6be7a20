import t from 'tap';
import { parse } from 'yaml';
import { planFor } from '../../../controller/sync/render/content.ts';
import { issueDocument } from '../../../controller/sync/render/document.ts';
import { documentToYaml, parseStoredRelations, toYaml } from '../../../controller/sync/render/yaml.ts';
import { adf, jiraIssue } from '../../fixtures/jira-issues.ts';

const HOSTILE = [
  '', ' ', '  leading spaces', 'trailing spaces  ', 'key: value', 'a #comment', '# heading', '- dash', '? question', ': colon',
  "'single'", '"double"', 'mixed \'"\' quotes', 'multi\nline', 'multi\n  indented\n\nblank lines\n', '\n\nstarts with newlines', 'ends with newlines\n\n\n',
  'tab\there', '\ttab first', 'cr\r\nlf', 'lone\rcr', 'nul\u0000byte', 'bell\u0007', 'del\u007f', 'c1\u0085\u0086\u009f', 'bom\ufeffinside', '\ufeffbom first',
  'line\u2028sep', 'para\u2029sep', 'Привет мир', '日本語のテキスト', 'عربى', 'emoji 😀👩‍👩‍👧 🇺🇦', 'null', 'true', 'no', 'yes', '~', '1.0', '0x1F', '1e3', '.inf', '-.nan',
  '---', '...', 'a\n---\nb', '%YAML 1.1', '!tag', '&anchor', '*alias', '|', '>', '{a: 1}', '[1, 2]', '@at', '`backtick', '\\backslash\\', 'x'.repeat(5000),
  'private \ue000 use', 'noncharacter \ufffe \uffff', 'astral \u{10ffff}',
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Random strings built from the characters that trouble YAML emitters most. */
function fuzzStrings(n: number): string[] {
  const pool = [' ', '\n', '\t', '\r', ':', '#', '-', '?', "'", '"', '\\', '|', '>', '&', '*', '!', '%', '@', '`', '{', '}', '[', ']', ',', 'a', 'Z', '0', 'é', 'ж', '中', '😀', '\u0000', '\u0001', '\u001b', '\u007f', '\u0085', '\u00a0', '\u2028', '\ufeff', '\ud800', '\udc00'];
  const next = rng(42);
  return Array.from({ length: n }, () => Array.from({ length: Math.floor(next() * 24) }, () => pool[Math.floor(next() * pool.length)]).join(''));
}

t.test('every hostile string survives a YAML round trip in every field position', async (t) => {
  for (const s of [...HOSTILE, ...fuzzStrings(400)]) {
    const issue = jiraIssue({ key: 'A-1', summary: s, description: s, labels: [s, 'plain'], components: [s], custom: { customfield_1: s, customfield_2: { nested: s, [s]: 'as key' }, comment: { comments: [{ id: '1', author: { displayName: s, accountId: s }, body: s, created: s, updated: s }], total: 1 } } });
    const doc = issueDocument(issue, planFor(['customfield_1', 'customfield_2'], { comments: 10 }));
    const text = documentToYaml(doc);
    const back = parse(text, { version: '1.2' });
    if (JSON.stringify(back) !== JSON.stringify(doc)) {
      t.fail(`round trip changed ${JSON.stringify(s)}`, { text });
      return;
    }
    // Only printable characters (YAML 1.2 c-printable, no BOM) may appear raw in the file.
    if (/[^\t\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u.test(text)) {
      t.fail(`non-printable character written raw for ${JSON.stringify(s)}`, { text });
      return;
    }
  }
  t.pass('all strings round-tripped');
});

t.test('keys appear in the documented order', async (t) => {
  const text = documentToYaml(issueDocument(jiraIssue({ key: 'A-1', custom: { customfield_9: 3 } }), planFor(['customfield_9'], { attachments: 5, comments: 5, worklogs: 5, changelog: 5 })));
  const keys = text.split('\n').filter((l) => /^[a-zA-Z]+:/.test(l)).map((l) => l.slice(0, l.indexOf(':')));
  t.same(keys, ['key', 'summary', 'description', 'status', 'assignee', 'reporter', 'created', 'updated', 'priority', 'issuetype', 'labels', 'components', 'fixVersions', 'affectsVersions', 'parent', 'epic', 'links', 'subtasks', 'resolution',
    'dueDate', 'environment', 'timeTracking', 'storyPoints', 'sprints', 'customFields', 'attachments', 'comments', 'worklogs', 'changelog']);
});

t.test('the same issue renders byte-identical text, whatever the order of Jira JSON keys and lists', async (t) => {
  const a = jiraIssue({ key: 'A-1', labels: ['b', 'a'], components: ['y', 'x'], links: [{ type: 'relates', direction: 'outward', key: 'A-3' }, { type: 'blocks', direction: 'inward', key: 'A-2' }], custom: { customfield_1: { b: 1, a: 2, self: 'https://x' } } });
  const b = structuredClone(a);
  b.fields = Object.fromEntries(Object.entries(b.fields).reverse());
  (b.fields.labels as string[]).reverse();
  (b.fields.components as unknown[]).reverse();
  (b.fields.issuelinks as unknown[]).reverse();
  b.fields.customfield_1 = { self: 'https://y', a: 2, b: 1 };
  t.equal(documentToYaml(issueDocument(b, planFor(['customfield_1']))), documentToYaml(issueDocument(a, planFor(['customfield_1']))));
});

t.test('long lines are never folded', async (t) => {
  const long = 'word '.repeat(100).trim();
  const text = documentToYaml(issueDocument(jiraIssue({ key: 'A-1', summary: long, description: adf(long) })));
  t.ok(text.includes(`summary: ${long}\n`));
});

t.test('stored relations read back from a written file', async (t) => {
  const issue = jiraIssue({ key: 'A-2', parent: { key: 'A-1', issuetype: 'Epic', hierarchyLevel: 1 }, links: [{ type: 'blocks', direction: 'outward', key: 'B-7' }], subtasks: ['A-3'] });
  t.same(parseStoredRelations(documentToYaml(issueDocument(issue))), { key: 'A-2', parent: 'A-1', epic: 'A-1', links: [{ type: 'blocks', direction: 'outward', key: 'B-7' }], subtasks: ['A-3'] });
});

t.test('a stored file that is not an issue mapping reads as absent', async (t) => {
  t.equal(parseStoredRelations('just text'), undefined);
  t.equal(parseStoredRelations('key: [unclosed'), undefined);
  t.equal(parseStoredRelations('- a\n- b\n'), undefined);
});

t.test('plain data with lone surrogates is written as the replacement character', async (t) => {
  t.equal(parse(toYaml({ s: 'a\ud800b' })).s, 'a\ufffdb');
});

t.test('the quick reader of stored relations agrees with the full YAML parser on every shape we write', async (t) => {
  const docs = [
    jiraIssue({ key: 'A-1' }),
    jiraIssue({ key: 'A-2', parent: { key: 'A-1', issuetype: 'Epic', hierarchyLevel: 1 }, subtasks: ['A-3', 'A-4'], links: [{ type: 'relates', direction: 'inward', key: 'B-1' }, { type: 'blocks', direction: 'outward', key: 'A-9' }] }),
    jiraIssue({ key: 'A-3', summary: 'links:\n  - type: fake', description: 'subtasks:\n  - X-1', hierarchyLevel: -1, parent: { key: 'A-2', issuetype: 'Story', hierarchyLevel: 0 } }),
  ];
  const weird = jiraIssue({ key: 'A-5' });
  weird.fields.issuelinks = [{ type: { name: 'Odd', outward: 'needs: "quotes" #', inward: 'x' }, outwardIssue: { key: 'A-6' } }, { type: { name: 'T', outward: 'true', inward: 'x' }, outwardIssue: { key: 'A-7' } }];
  docs.push(weird);
  for (const issue of docs) {
    const text = documentToYaml(issueDocument(issue));
    const full = parse(text, { version: '1.2' });
    t.same(parseStoredRelations(text), { key: full.key, parent: full.parent, epic: full.epic, links: full.links.filter((l: { type: unknown }) => typeof l.type === 'string'), subtasks: full.subtasks }, issue.key);
  }
});
