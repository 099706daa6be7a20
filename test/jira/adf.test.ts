import t from 'tap';
import { failureComment, failureMarker, hasMarker, plainText, recoveryComment, recoveryMarker } from '../../controller/jira/adf.ts';
import { registerSecret } from '../../controller/observability/redact.ts';

const input = {
  syncRef: 'team-a/payments',
  phase: 'Failed',
  error: 'push rejected by origin',
  retryCount: 3,
  when: '2026-05-01T12:00:00Z',
  episode: 'ep-7',
};

t.test('the failure comment names the JIRASync, phase, error, retry count and time, and ends with the marker', async (t) => {
  const doc = failureComment(input);
  t.equal(doc.type, 'doc');
  t.equal(doc.version, 1);
  const text = plainText(doc);
  for (const want of ['team-a/payments', 'Phase: Failed', 'Retries: 3', 'Time: 2026-05-01T12:00:00.000Z', 'push rejected by origin']) {
    t.ok(text.includes(want), `mentions ${want}`);
  }
  t.equal(text.trim().split('\n').at(-1), 'jirasync-episode: team-a/payments/ep-7');
  t.ok(hasMarker(doc, failureMarker('team-a/payments', 'ep-7')));
  t.notOk(hasMarker(doc, failureMarker('team-a/payments', 'ep-8')), 'another episode is not this one');
  t.notOk(hasMarker(doc, failureMarker('team-a/pay', 'ep-7')), 'a prefix of the ref is not a match');
});

t.test('a secret in the error never reaches the comment, and a long error is shortened', async (t) => {
  registerSecret('s3cr3t-token-value');
  const doc = failureComment({ ...input, error: `auth failed with s3cr3t-token-value ${'x'.repeat(5000)}` });
  const text = plainText(doc);
  t.notOk(text.includes('s3cr3t-token-value'));
  t.ok(text.length < 2600);
});

t.test('the recovery comment has its own marker', async (t) => {
  const doc = recoveryComment({ syncRef: 'team-a/payments', episode: 'ep-7', when: new Date('2026-05-02T00:00:00Z') });
  t.ok(hasMarker(doc, recoveryMarker('team-a/payments', 'ep-7')));
  t.notOk(hasMarker(doc, failureMarker('team-a/payments', 'ep-7')));
  t.match(plainText(doc), /healthy again \(since 2026-05-02T00:00:00.000Z\)/);
});

t.test('markers are found in wiki-markup strings and in ADF split into several text nodes', async (t) => {
  const m = failureMarker('ns/n', 'e1');
  t.ok(hasMarker(`some text\n${m}\n`, m));
  const split = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'jirasync-episode: ' }, { type: 'text', text: 'ns/n/e1' }] }] };
  t.ok(hasMarker(split, m));
  t.notOk(hasMarker({ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: `see ${m} above` }] }] }, m), 'a quoted marker inside a sentence does not count');
  t.notOk(hasMarker(undefined, m));
});
