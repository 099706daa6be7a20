import t from 'tap';
import { customValue, issueDocument } from '../../../controller/sync/render/document.ts';
import { documentToYaml } from '../../../controller/sync/render/yaml.ts';
import { jiraIssue } from '../../fixtures/jira-issues.ts';

t.test('people carry their display name and account id, and email only when Jira shows it', async (t) => {
  const doc = issueDocument(jiraIssue({ key: 'A-1', assignee: { displayName: 'Ann', emailAddress: 'ann@x.test' }, reporter: { displayName: 'Bob' } }));
  t.same(doc.assignee, { name: 'Ann', accountId: 'acc-Ann', email: 'ann@x.test' });
  t.same(doc.reporter, { name: 'Bob', accountId: 'acc-Bob' });
});

t.test('an unassigned issue has a null assignee', async (t) => {
  t.equal(issueDocument(jiraIssue({ key: 'A-1', assignee: null })).assignee, null);
});

t.test('status carries its category', async (t) => {
  t.same(issueDocument(jiraIssue({ key: 'A-1', status: 'In Review', statusCategory: 'In Progress' })).status, { name: 'In Review', category: 'In Progress' });
});

t.test('a story under an epic names the epic as parent and epic', async (t) => {
  const doc = issueDocument(jiraIssue({ key: 'A-2', parent: { key: 'A-1', issuetype: 'Epic', hierarchyLevel: 1 } }));
  t.equal(doc.parent, 'A-1');
  t.equal(doc.epic, 'A-1');
});

t.test('a sub-task names its parent and no epic', async (t) => {
  const doc = issueDocument(jiraIssue({ key: 'A-3', hierarchyLevel: -1, issuetype: 'Subtask', parent: { key: 'A-2', issuetype: 'Story', hierarchyLevel: 0 } }));
  t.equal(doc.parent, 'A-2');
  t.equal(doc.epic, null);
});

t.test('links carry the outward phrase, the direction and the other key, sorted', async (t) => {
  const doc = issueDocument(jiraIssue({ key: 'A-1', links: [{ type: 'relates', direction: 'outward', key: 'B-1' }, { type: 'blocks', direction: 'inward', key: 'A-9' }, { type: 'blocks', direction: 'outward', key: 'A-2' }] }));
  t.same(doc.links, [
    { type: 'blocks', direction: 'inward', key: 'A-9' },
    { type: 'blocks', direction: 'outward', key: 'A-2' },
    { type: 'relates to', direction: 'outward', key: 'B-1' },
  ]);
});

t.test('wiki-markup descriptions (Data Center) become Markdown', async (t) => {
  t.equal(issueDocument(jiraIssue({ key: 'A-1', description: 'h2. Steps\n* *one*' })).description, '## Steps\n- **one**');
});

t.test('a missing description is null', async (t) => {
  t.equal(issueDocument(jiraIssue({ key: 'A-1', description: null })).description, null);
});

t.test('custom fields listed in the spec appear under their names with their ids, missing ones as null', async (t) => {
  const plan = {
    customFields: [
      { id: 'customfield_10050', name: 'Team' },
      { id: 'customfield_10016', name: 'Story Points' },
      { id: 'customfield_404', name: 'customfield_404' },
    ],
  };
  const doc = issueDocument(jiraIssue({ key: 'A-1', custom: { customfield_10016: 5, customfield_10050: { self: 'https://x', value: 'Platform', id: '3' } } }), plan);
  t.same(doc.customFields, {
    'Story Points': { id: 'customfield_10016', value: 5 },
    Team: { id: 'customfield_10050', value: 'Platform' },
    customfield_404: { id: 'customfield_404', value: null },
  });
  t.same(Object.keys(doc.customFields ?? {}), ['Story Points', 'Team', 'customfield_404'], 'sorted by key');
});

t.test('a custom field named __proto__ (from Jira, so hostile) is a key like any other', async (t) => {
  const doc = issueDocument(jiraIssue({ key: 'A-1', custom: { customfield_1: JSON.parse('{"__proto__": {"polluted": 1}}') } }), { customFields: [{ id: 'customfield_1', name: '__proto__' }] });
  t.same(Object.keys(doc.customFields ?? {}), ['__proto__']);
  t.same(Object.keys((Object.getOwnPropertyDescriptor(doc.customFields, '__proto__')?.value as { value: object }).value), ['__proto__']);
  t.equal(({} as Record<string, unknown>).polluted, undefined);
  t.match(documentToYaml(doc), /__proto__:\n {4}id: customfield_1\n {4}value:\n {6}__proto__:\n {8}polluted: 1\n/);
});

t.test('two custom fields with one name are told apart by their ids', async (t) => {
  const plan = { customFields: [{ id: 'customfield_2', name: 'Team' }, { id: 'customfield_1', name: 'Team' }] };
  const doc = issueDocument(jiraIssue({ key: 'A-1', custom: { customfield_1: 'a', customfield_2: 'b' } }), plan);
  t.same(doc.customFields, { 'Team (customfield_1)': { id: 'customfield_1', value: 'a' }, 'Team (customfield_2)': { id: 'customfield_2', value: 'b' } });
});

const customCases: { name: string; value: unknown; expected: unknown }[] = [
  { name: 'a cascading select joins parent and child', value: { value: 'EU', child: { value: 'Berlin' } }, expected: 'EU / Berlin' },
  { name: 'a user picker becomes a person', value: { accountId: 'x', displayName: 'Ann', avatarUrls: {} }, expected: { name: 'Ann', accountId: 'x' } },
  { name: 'a Data Center user picker becomes a person with username and key', value: { self: 'https://dc/u', name: 'ann', key: 'JIRAUSER1', displayName: 'Ann', active: true }, expected: { name: 'Ann', username: 'ann', userKey: 'JIRAUSER1' } },
  { name: 'a Data Center user picker (name and key, e-mail hidden) is a person like Cloud\'s, with username and key', value: { self: 'https://x/user?username=ann', name: 'ann', key: 'JIRAUSER10100', displayName: 'Ann', active: true }, expected: { name: 'Ann', username: 'ann', userKey: 'JIRAUSER10100' } },
  { name: 'a Data Center user without a name (key and display name only) is still a person', value: { key: 'JIRAUSER10101', displayName: 'Bo' }, expected: { name: 'Bo', userKey: 'JIRAUSER10101' } },
  { name: 'a version picker becomes its name', value: [{ self: 'https://x', name: '1.0', id: '1' }], expected: ['1.0'] },
  { name: 'rich text becomes Markdown', value: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'hi' }] }] }, expected: 'hi' },
  { name: 'other objects keep their data with sorted keys and no self links', value: { z: 1, a: { self: 'u', k: 'v' } }, expected: { a: { k: 'v' }, z: 1 } },
];
for (const c of customCases) {
  t.test(`custom value: ${c.name}`, async (t) => {
    t.same(customValue(c.value), c.expected);
    t.same(Object.keys((customValue(c.value) ?? {}) as object), Object.keys((c.expected ?? {}) as object));
  });
}

t.test('an issue whose key could escape its directory is refused', async (t) => {
  t.throws(() => issueDocument({ id: '1', key: '../../etc/passwd', fields: {} }), /not a valid Jira key/);
});
