import t from 'tap';
import { commitMessage, issueChanges, MAX_LISTED_KEYS } from '../../controller/sync/message.ts';

t.test('changes count only issue files under the sync root, in natural key order', async (t) => {
  const diff = {
    added: ['sub/projects/A/issues/A-10.yaml', 'sub/projects/A/issues/A-2.yaml', 'sub/projects/A/relationships/blocks/A-2/A-10', 'README.md'],
    modified: ['sub/.jirasync/state.json', 'sub/projects/B/issues/B-1.yaml'],
    removed: ['sub/projects/A/issues/A-1.yaml'],
  };
  t.same(issueChanges(diff, 'sub/'), { added: ['A-2', 'A-10'], updated: ['B-1'], removed: ['A-1'] });
});

t.test('the message has a Conventional Commits subject, key lists and trailers', async (t) => {
  const msg = commitMessage({ label: 'PROJ', changes: { added: ['P-1', 'P-2', 'P-3'], updated: ['P-4'], removed: ['P-5'] }, owner: 'ns/name', query: 'project = "PROJ"\nAND x' });
  const [subject, , ...rest] = msg.split('\n');
  t.equal(subject, 'chore(jirasync): sync PROJ — 3 added, 1 updated, 1 removed');
  t.match(rest.join('\n'), /Added \(3\): P-1, P-2, P-3\nUpdated \(1\): P-4\nRemoved \(1\): P-5/);
  t.ok(msg.endsWith('\n\nJIRASync: ns/name\nJira-Query: project = "PROJ" AND x\n'));
});

t.test('long key lists are truncated with a count of the rest', async (t) => {
  const keys = Array.from({ length: MAX_LISTED_KEYS + 7 }, (_, i) => `P-${i + 1}`);
  const msg = commitMessage({ label: 'P', changes: { added: keys, updated: [], removed: [] }, owner: 'ns/n', query: 'q' });
  t.match(msg, new RegExp(`P-${MAX_LISTED_KEYS} … and 7 more`));
  t.notMatch(msg, new RegExp(`P-${MAX_LISTED_KEYS + 1}\\b`));
});
