import t from 'tap';
import { classifyError, StallingError, WaitingError, withContext } from '../../controller/sync/errors.ts';

const cases: { name: string; err: unknown; expected: unknown }[] = [
  { name: 'a stalling error', err: new StallingError('bad spec'), expected: { kind: 'stalling' } },
  { name: 'a waiting error keeps its delay', err: new WaitingError('slow down', 30), expected: { kind: 'waiting', retryAfterSeconds: 30 } },
  { name: 'a Jira rate limit deep in the cause chain', err: new Error('outer', { cause: new Error('mid', { cause: Object.assign(new Error('429'), { kind: 'rateLimited', retryAfterSeconds: 12 }) }) }), expected: { kind: 'waiting', retryAfterSeconds: 12 } },
  { name: 'bad JQL from the Jira layer', err: Object.assign(new Error('400'), { kind: 'badRequest' }), expected: { kind: 'stalling' } },
  { name: 'an invalid git target', err: Object.assign(new Error('not https'), { kind: 'invalidTarget' }), expected: { kind: 'stalling' } },
  { name: 'a Jira auth failure (fixed by rotating the Secret, so retried)', err: Object.assign(new Error('401'), { kind: 'auth' }), expected: { kind: 'retryable' } },
  { name: 'a plain error', err: new Error('boom'), expected: { kind: 'retryable' } },
  { name: 'a thrown string', err: 'boom', expected: { kind: 'retryable' } },
];
for (const c of cases) {
  t.test(`classify ${c.name}`, async (t) => {
    t.same(classifyError(c.err), c.expected);
  });
}

t.test('context is prefixed, the cause and the kind are kept, aborts pass through', async (t) => {
  const inner = Object.assign(new Error('429'), { kind: 'rateLimited', retryAfterSeconds: 5 });
  const wrapped = withContext('fetching', inner);
  t.equal(wrapped.message, 'fetching: 429');
  t.equal(wrapped.cause, inner);
  t.match(wrapped, { kind: 'waiting', retryAfterSeconds: 5 });
  const abort = new DOMException('stop', 'AbortError');
  t.equal(withContext('x', abort), abort);
});
