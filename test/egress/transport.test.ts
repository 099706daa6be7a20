/**
 * The egress policy and the response caps on real connections (git, Jira Cloud's global fetch, and
 * the Jira Data Center client on that same fetch): a hostile server on loopback
 * records every request, so "denied" is proven by what it did not receive.
 */
import t from 'tap';
import { createTransport } from '../../controller/git/http.ts';
import { EgressPolicy } from '../../controller/egress/policy.ts';
import { installEgressDispatcher } from '../../controller/egress/dispatcher.ts';
import { classifyError } from '../../controller/sync/errors.ts';
import { createJiraSource, createLimiter } from '../../controller/jira/jira.ts';
import { startHostileServer } from '../fixtures/hostile-server.ts';

const hostile = await startHostileServer();
t.teardown(() => hostile.stop());
const other = await startHostileServer();
t.teardown(() => other.stop());
const port = new URL(hostile.url).port;
const denyAll = new EgressPolicy({ allow: [], deny: [], allowHttp: [], clusterCidrs: [] });
const allowLoopback = new EgressPolicy({ allow: ['127.0.0.0/8'], deny: [], allowHttp: ['127.0.0.1', 'localhost'], clusterCidrs: [] });
const reasonOf = (err: unknown) => classifyError(err).reason;

const deniedUrls = [
  hostile.url,
  `https://2130706433:${port}/`,
  `https://[::ffff:127.0.0.1]:${port}/`,
  `https://localhost:${port}/`, // a name: denied at connect time, after resolution
];
for (const url of deniedUrls) {
  t.test(`git: ${url} is denied by default and the server receives nothing`, async (t) => {
    const before = hostile.requests.length;
    const transport = createTransport({ caCertificates: hostile.caPem, egress: denyAll });
    t.teardown(() => transport.close());
    const err = await transport.request({ url: `${url.replace(/\/$/, '')}/repo.git/info/refs?service=git-upload-pack`, method: 'GET', headers: { Authorization: 'Basic c2VjcmV0' } }).catch((e: unknown) => e);
    t.equal(reasonOf(err), 'EgressDenied', String(err));
    t.notMatch(String((err as Error).message), /info\/refs|service=/, 'the error names the host, not the path');
    t.equal(hostile.requests.length, before, 'nothing reached the server');
  });
}

t.test('git: a cross-origin redirect is not followed and no Authorization reaches the other origin', async (t) => {
  hostile.mode = { kind: 'redirect', location: `${other.url}/stolen` };
  t.teardown(() => (hostile.mode = { kind: 'ok' }));
  const transport = createTransport({ caCertificates: hostile.caPem + other.caPem, egress: allowLoopback });
  t.teardown(() => transport.close());
  const res = await transport.request({ url: `${hostile.url}/repo.git/info/refs?service=git-upload-pack`, method: 'GET', headers: { Authorization: 'Basic c2VjcmV0' } });
  res.body.resume();
  t.equal(res.statusCode, 302, 'the redirect comes back to the caller');
  t.equal(other.requests.length, 0, 'the other origin received nothing');
});

t.test('git: an endless body ends with ResponseTooLarge at the cap', async (t) => {
  hostile.mode = { kind: 'endless' };
  t.teardown(() => (hostile.mode = { kind: 'ok' }));
  const transport = createTransport({ caCertificates: hostile.caPem, egress: allowLoopback, maxResponseBytes: 1024 * 1024 });
  t.teardown(() => transport.close());
  const res = await transport.request({ url: `${hostile.url}/repo.git/info/refs`, method: 'GET' });
  let bytes = 0;
  const err = await (async () => {
    for await (const c of res.body) bytes += (c as Buffer).length;
  })().catch((e: unknown) => e);
  t.equal(reasonOf(err), 'ResponseTooLarge', String(err));
  t.ok(bytes <= 1024 * 1024, `no more than the cap was handed on (${bytes} bytes)`);
});

t.test('Jira (global fetch): a name resolving to loopback is denied at connect time; a huge answer is cut at the cap', async (t) => {
  const plain = await startHostileServer({ plain: true });
  t.teardown(() => plain.stop());
  const plainPort = new URL(plain.url).port;
  const close = installEgressDispatcher(new EgressPolicy({ allow: [], deny: [], allowHttp: ['localhost'], clusterCidrs: [] }), { maxResponseBytes: 64 * 1024 });
  const err = await fetch(`http://localhost:${plainPort}/rest/api/3/myself`).catch((e: unknown) => e);
  await close();
  t.equal(reasonOf(err), 'EgressDenied', String((err as Error).cause ?? err));
  t.equal(plain.requests.length, 0, 'nothing reached the server');

  const closeCapped = installEgressDispatcher(allowLoopback, { maxResponseBytes: 64 * 1024 });
  t.teardown(closeCapped);
  plain.mode = { kind: 'endless' };
  const res = await fetch(`http://127.0.0.1:${plainPort}/rest/api/3/search/jql`);
  const bodyErr = await res.arrayBuffer().catch((e: unknown) => e);
  t.ok(bodyErr instanceof Error, 'reading the body fails');
  let cur: unknown = bodyErr;
  let code: unknown;
  for (let i = 0; i < 5 && cur instanceof Error; i++, cur = cur.cause) code ??= (cur as { code?: unknown }).code;
  t.equal(code, 'UND_ERR_RES_EXCEEDED_MAX_SIZE', 'undici stops at the cap');
});

t.test('Jira Data Center (our REST v2 client on the same global fetch): denied at connect time, cut at the cap', async (t) => {
  const plain = await startHostileServer({ plain: true });
  t.teardown(() => plain.stop());
  const plainPort = new URL(plain.url).port;
  const opts = { limiter: createLimiter({ maxConcurrent: 2, requestsPerSecond: Infinity }), retry: { maxRetries: 0 } };
  const dc = (host: string) => createJiraSource({ baseUrl: `http://${host}:${plainPort}`, deploymentType: 'datacenter', credentials: { kind: 'bearer', token: 'dc-pat-egress-test' } }, opts);

  const close = installEgressDispatcher(new EgressPolicy({ allow: [], deny: [], allowHttp: ['localhost'], clusterCidrs: [] }), { maxResponseBytes: 64 * 1024 });
  const denied = await dc('localhost').timeZone().catch((e: unknown) => e);
  await close();
  t.equal(reasonOf(denied), 'EgressDenied', String(denied));
  t.equal(plain.requests.length, 0, 'nothing reached the server');

  const closeCapped = installEgressDispatcher(allowLoopback, { maxResponseBytes: 64 * 1024 });
  t.teardown(closeCapped);
  plain.mode = { kind: 'endless' };
  const cut = await dc('127.0.0.1').timeZone().catch((e: unknown) => e);
  t.equal((cut as { failureReason?: unknown }).failureReason, 'ResponseTooLarge', String(cut));
});
