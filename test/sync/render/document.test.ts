import t from 'tap';
import { customValue, issueDocument } from '../../../controller/sync/render/document.ts';
import { jiraIssue } from '../../fixtures/jira-issues.ts';

t.test('people carry their display name, and email only when Jira shows it', async (t) => {
  const doc = issueDocument(jiraIssue({ key: 'A-1', assignee: { displayName: 'Ann', emailAddress: 'ann@x.test' }, reporter: { displayName: 'Bob' } }));
  t.same(doc.assignee, { name: 'Ann', email: 'ann@x.test' });
  t.same(doc.reporter, { name: 'Bob' });
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

t.test('custom fields listed in the spec appear by id, missing ones as null', async (t) => {
  const doc = issueDocument(jiraIssue({ key: 'A-1', custom: { customfield_10016: 5, customfield_10050: { self: 'https://x', value: 'Platform', id: '3' } } }), ['customfield_10050', 'customfield_10016', 'customfield_404']);
  t.same(doc.customFields, { customfield_10016: 5, customfield_10050: 'Platform', customfield_404: null });
});

const customCases: { name: string; value: unknown; expected: unknown }[] = [
  { name: 'a cascading select joins parent and child', value: { value: 'EU', child: { value: 'Berlin' } }, expected: 'EU / Berlin' },
  { name: 'a user picker becomes a person', value: { accountId: 'x', displayName: 'Ann', avatarUrls: {} }, expected: { name: 'Ann' } },
  { name: 'a Data Center user picker (name and key, e-mail hidden) becomes the same person', value: { self: 'https://x/user?username=ann', name: 'ann', key: 'JIRAUSER10100', displayName: 'Ann', active: true }, expected: { name: 'Ann' } },
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
