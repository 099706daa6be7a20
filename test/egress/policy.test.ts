import t from 'tap';
import { EgressPolicy, type EgressConfig } from '../../controller/egress/policy.ts';

const none: EgressConfig = { allow: [], deny: [], allowHttp: [], clusterCidrs: [] };
const cases: { name: string; cfg?: Partial<EgressConfig>; url: string; denied: RegExp | false }[] = [
  { name: 'a public https host with no lists', url: 'https://example.atlassian.net/', denied: false },
  { name: 'plain http by default', url: 'http://example.atlassian.net/', denied: /plain http/ },
  { name: 'plain http for a named host', cfg: { allowHttp: ['jira.internal'] }, url: 'http://jira.internal/', denied: false },
  { name: 'another scheme', url: 'ftp://example.com/', denied: /scheme ftp/ },
  { name: 'loopback', url: 'https://127.0.0.1:8443/', denied: /loopback/ },
  { name: 'loopback spelled as a decimal number', url: 'https://2130706433/', denied: /127\.0\.0\.1/ },
  { name: 'loopback spelled in hex and short form', url: 'https://0x7f.1/', denied: /127\.0\.0\.1/ },
  { name: 'loopback as an IPv4-mapped IPv6 address', url: 'https://[::ffff:127.0.0.1]/', denied: /127\.0\.0\.1/ },
  { name: 'IPv6 loopback', url: 'https://[::1]/', denied: /loopback/ },
  { name: 'the cloud metadata address (link-local)', url: 'https://169.254.169.254/latest/', denied: /169\.254\.169\.254/ },
  { name: 'IPv6 link-local', url: 'https://[fe80::1]/', denied: /loopback, link-local/ },
  { name: 'the unspecified address', url: 'https://0.0.0.0/', denied: /unspecified/ },
  { name: 'a cluster service address', cfg: { clusterCidrs: ['10.96.0.0/12'] }, url: 'https://10.96.0.1/', denied: /cluster/ },
  { name: 'loopback opened on purpose by an allow CIDR', cfg: { allow: ['127.0.0.0/8'] }, url: 'https://127.0.0.1:8443/', denied: false },
  { name: 'a host matching an allow pattern', cfg: { allow: ['*.atlassian.net'] }, url: 'https://acme.atlassian.net/', denied: false },
  { name: 'the pattern does not match the bare domain look-alike', cfg: { allow: ['*.atlassian.net'] }, url: 'https://evilatlassian.net/', denied: /not on the allow list/ },
  { name: 'a deny pattern beats everything', cfg: { allow: ['*.example.com'], deny: ['bad.example.com'] }, url: 'https://bad.example.com/', denied: /deny list/ },
  { name: 'a deny CIDR beats an allow CIDR', cfg: { allow: ['10.0.0.0/8'], deny: ['10.1.0.0/16'] }, url: 'https://10.1.2.3/', denied: /deny list/ },
];
for (const c of cases) {
  t.test(`egress: ${c.name}`, async (t) => {
    const p = new EgressPolicy({ ...none, ...c.cfg });
    if (c.denied) {
      t.throws(() => p.checkUrl(c.url), { name: 'EgressDeniedError', failureReason: 'EgressDenied', message: c.denied });
    } else t.doesNotThrow(() => p.checkUrl(c.url));
  });
}

t.test('a denial names the host, never the path or query', async (t) => {
  const p = new EgressPolicy(none);
  const err = (() => {
    try {
      p.checkUrl('https://169.254.169.254/latest/meta-data/iam?token=abc');
    } catch (e) {
      return e as Error;
    }
  })();
  t.match(err?.message, /169\.254\.169\.254/);
  t.notMatch(err?.message, /meta-data|token=abc/);
});

t.test('an allow pattern does not open a default-denied address (DNS rebinding)', async (t) => {
  const p = new EgressPolicy({ ...none, allow: ['*.corp.example'] });
  t.throws(() => p.checkAddress('jira.corp.example', '169.254.169.254'), { name: 'EgressDeniedError', message: /169\.254\.169\.254/ });
  t.doesNotThrow(() => p.checkAddress('jira.corp.example', '203.0.113.7'));
});
