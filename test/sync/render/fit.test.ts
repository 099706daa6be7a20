import t from 'tap';
import { parse } from 'yaml';
import { planFor } from '../../../controller/sync/render/content.ts';
import { MAX_ISSUE_BYTES, renderIssue } from '../../../controller/sync/stage.ts';
import { adf, jiraIssue } from '../../fixtures/jira-issues.ts';

const many = (n: number, size: number) => ({
  startAt: 0, maxResults: n, total: n,
  comments: Array.from({ length: n }, (_, i) => ({
    id: String(1000 + i), author: { accountId: 'a', displayName: 'Ann' }, body: adf(`${i} ${'x'.repeat(size)}`),
    created: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(), updated: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
  })),
});

t.test('a file that comments would push over the size limit keeps the newest ones and says how many were left out', async (t) => {
  const issue = jiraIssue({ key: 'A-1' });
  issue.fields.comment = many(1000, 2000);
  const r = renderIssue(issue, planFor([], { comments: 1000 }));
  t.ok(Buffer.byteLength(r.text) <= MAX_ISSUE_BYTES, `${Buffer.byteLength(r.text)} bytes`);
  const doc = parse(r.text);
  t.equal(doc.comments.at(-1).id, '1999', 'the newest comment stays');
  t.equal(doc.omittedForSize.comments + doc.comments.length, 1000, 'every comment is either written or counted as omitted');
});

t.test('a file under the limit is written whole, with no omittedForSize key', async (t) => {
  const issue = jiraIssue({ key: 'A-1' });
  issue.fields.comment = many(10, 100);
  const doc = parse(renderIssue(issue, planFor([], { comments: 1000 })).text);
  t.equal(doc.comments.length, 10);
  t.notOk('omittedForSize' in doc);
});

t.test('a file too big without any optional part still fails that issue', async (t) => {
  const issue = jiraIssue({ key: 'A-1', description: adf('y'.repeat(MAX_ISSUE_BYTES + 10)) });
  t.throws(() => renderIssue(issue, planFor([], { comments: 10 })), /over the 1048576-byte limit/);
});
