import t from 'tap';
import { classifyError, StallingError, WaitingError, withContext } from '../../controller/sync/errors.ts';
import { JiraAuthError, JiraBadRequestError, JiraRateLimitedError, JiraUnavailableError } from '../../controller/jira/errors.ts';
import { GitAuthError, GitInvalidTargetError, GitUnavailableError } from '../../controller/git/errors.ts';

const site = { endpoint: 'search/jql', method: 'POST' };
const cases: { name: string; err: unknown; expected: unknown }[] = [
  { name: 'a stalling error', err: new StallingError('bad spec'), expected: { reason: 'InvalidSpec', kind: 'stalling' } },
  { name: 'an ownership conflict', err: new StallingError('path taken', { reason: 'OwnershipConflict' }), expected: { reason: 'OwnershipConflict', kind: 'stalling' } },
  { name: 'a waiting error keeps its delay', err: new WaitingError('slow down', 30), expected: { reason: 'RateLimited', kind: 'waiting', retryAfterSeconds: 30 } },
  {
    name: 'a Jira rate limit deep in the cause chain',
    err: new Error('outer', { cause: new Error('mid', { cause: new JiraRateLimitedError(site, 12) }) }),
    expected: { reason: 'RateLimited', kind: 'waiting', retryAfterSeconds: 12 },
  },
  { name: 'a rate limit without Retry-After', err: new JiraRateLimitedError(site, -1), expected: { reason: 'RateLimited', kind: 'waiting' } },
  { name: 'bad JQL from the Jira layer', err: new JiraBadRequestError(400, site, ['bad']), expected: { reason: 'JiraRequestRejected', kind: 'stalling' } },
  { name: 'a Jira 401 (fixed by rotating the Secret, so retried)', err: new JiraAuthError(401, site, 'no'), expected: { reason: 'AuthenticationFailed', kind: 'retryable' } },
  { name: 'a Jira 403', err: new JiraAuthError(403, site, 'no'), expected: { reason: 'PermissionDenied', kind: 'retryable' } },
  { name: 'a Jira 5xx', err: new JiraUnavailableError('server', 503, site, '503'), expected: { reason: 'JiraUnavailable', kind: 'retryable' } },
  { name: 'an invalid git target', err: new GitInvalidTargetError('not https'), expected: { reason: 'GitTargetInvalid', kind: 'stalling' } },
  { name: 'a git 401', err: new GitAuthError('https://git.example/r.git', 401), expected: { reason: 'GitAuthFailed', kind: 'retryable' } },
  { name: 'a git outage', err: new GitUnavailableError('https://git.example/r.git', 'reset'), expected: { reason: 'GitUnavailable', kind: 'retryable' } },
  { name: 'an object claiming an unknown reason', err: Object.assign(new Error('x'), { failureReason: 'Nonsense' }), expected: { reason: 'SyncFailed', kind: 'retryable' } },
  { name: 'a plain error', err: new Error('boom'), expected: { reason: 'SyncFailed', kind: 'retryable' } },
  { name: 'a thrown string', err: 'boom', expected: { reason: 'SyncFailed', kind: 'retryable' } },
];
for (const c of cases) {
  t.test(`classify ${c.name}`, async (t) => {
    t.same(classifyError(c.err), c.expected);
  });
}

t.test('context is prefixed, the cause and the reason are kept, aborts pass through', async (t) => {
  const inner = new JiraRateLimitedError(site, 5);
  const wrapped = withContext('fetching', inner);
  t.match(wrapped.message, /^fetching: Jira POST search\/jql: 429/);
  t.equal(wrapped.cause, inner);
  t.match(wrapped, { failureReason: 'RateLimited', kind: 'waiting', retryAfterSeconds: 5 });
  const abort = new DOMException('stop', 'AbortError');
  t.equal(withContext('x', abort), abort);
});

t.test('a StallingError refuses a reason that is not stalling', async (t) => {
  t.throws(() => new StallingError('x', { reason: 'JiraUnavailable' }), /not a stalling reason/);
});
