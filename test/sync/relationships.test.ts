import t from 'tap';
import { kindDir, relationshipsOf, symlinkFor } from '../../controller/sync/relationships.ts';

const none = { parent: null, epic: null, links: [], subtasks: [] };

t.test('an outward link yields an edge from the issue, an inward link an edge to it', async (t) => {
  t.same(relationshipsOf({ ...none, key: 'A-1', links: [{ type: 'blocks', direction: 'outward', key: 'A-2' }] }), [{ kind: 'blocks', from: 'A-1', to: 'A-2' }]);
  t.same(relationshipsOf({ ...none, key: 'A-2', links: [{ type: 'blocks', direction: 'inward', key: 'A-1' }] }), [{ kind: 'blocks', from: 'A-1', to: 'A-2' }]);
});

t.test('sub-tasks and epic children yield hierarchy edges from both sides', async (t) => {
  t.same(relationshipsOf({ ...none, key: 'A-2', subtasks: ['A-3'] }), [{ kind: 'subtasks', from: 'A-2', to: 'A-3' }]);
  t.same(relationshipsOf({ ...none, key: 'A-3', parent: 'A-2' }), [{ kind: 'subtasks', from: 'A-2', to: 'A-3' }]);
  t.same(relationshipsOf({ ...none, key: 'A-2', parent: 'A-1', epic: 'A-1' }), [{ kind: 'epic', from: 'A-1', to: 'A-2' }]);
});

t.test('keys that are not valid Jira keys yield nothing', async (t) => {
  t.same(relationshipsOf({ ...none, key: 'A-1', links: [{ type: 'blocks', direction: 'outward', key: '../x' }], subtasks: ['A-1'] }), []);
});

const kinds: [string, string][] = [
  ['blocks', 'blocks'],
  ['relates to', 'relates-to'],
  ['Is Cloned By', 'is-cloned-by'],
  ['a/b\\c', 'a-b-c'],
  ['..', 'linked'],
  ['  ', 'linked'],
  ['блокирует', 'блокирует'],
];
for (const [phrase, dir] of kinds) {
  t.test(`link phrase ${JSON.stringify(phrase)} becomes directory ${JSON.stringify(dir)}`, async (t) => {
    t.equal(kindDir(phrase), dir);
  });
}

t.test('a link type named like a hierarchy directory does not mix with it', async (t) => {
  t.same(relationshipsOf({ ...none, key: 'A-1', links: [{ type: 'Epic', direction: 'outward', key: 'A-2' }] }), [{ kind: 'epic-link', from: 'A-1', to: 'A-2' }]);
});

t.test('symlink targets are relative and stay inside projects/', async (t) => {
  t.same(symlinkFor('', { kind: 'blocks', from: 'A-1', to: 'A-2' }), { path: 'projects/A/relationships/blocks/A-1/A-2', target: '../../../issues/A-2.yaml' });
  t.same(symlinkFor('jira/', { kind: 'blocks', from: 'A-1', to: 'OTHER-9' }), { path: 'jira/projects/A/relationships/blocks/A-1/OTHER-9', target: '../../../../OTHER/issues/OTHER-9.yaml' });
});
