import t from 'tap';
import { isSafeComponent } from '../../controller/git/paths.ts';
import { kindDir } from '../../controller/sync/relationships.ts';
import { syncRoot } from '../../controller/sync/tree.ts';

const refused = ['', '.', '..', '.git', '.GIT', '.Git', '.git.', '.git ', '.git. . ', '.git::$INDEX_ALLOCATION', 'git~1', 'GIT~2', '.g\u200cit', '\ufeff.git', '.gi\u200dt',
  'a\\b', 'nul\u0000', 'tab\t', '...', '. .'];
const accepted = ['projects', 'PROJ-1.yaml', '.jirasync', 'git', 'gitlab', '.github', 'is-blocked-by', 'git~x', 'wörter'];
for (const name of refused) t.notOk(isSafeComponent(name), `refused: ${JSON.stringify(name)}`);
for (const name of accepted) t.ok(isSafeComponent(name), `accepted: ${JSON.stringify(name)}`);

t.test('a Jira link type that would spell .git becomes a safe directory name', async (t) => {
  for (const phrase of ['.git', '.GIT', 'git~1', '.g\u200cit', '..', '.hidden']) {
    const dir = kindDir(phrase);
    t.ok(isSafeComponent(dir) && !dir.startsWith('.'), `${JSON.stringify(phrase)} → ${JSON.stringify(dir)}`);
  }
  t.equal(kindDir('is blocked by'), 'is-blocked-by', 'ordinary phrases are unchanged');
});

t.test('destination.path refuses components git refuses', async (t) => {
  for (const path of ['/.git/hooks', '/a/.GIT./b', '/GIT~1', '/x/.g\u200cit']) t.throws(() => syncRoot(path), /git refuses|inside the repository/, path);
  t.equal(syncRoot('/teams/a'), 'teams/a/');
});
