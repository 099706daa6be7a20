/**
 * Who the default connections are offered to: namespaces by name (or `*`), and for git only
 * repositories under a parsed URL prefix, never a raw string prefix.
 */
import t from 'tap';
import { defaultsScopeFromEnv, urlUnderPrefix } from '../../controller/config.ts';
import { defaultsFromEnv, gitDefaultAllowed, jiraDefaultAllowed } from '../../controller/reconcile/credentials.ts';

const cases: { name: string; url: string; prefix: string; under: boolean }[] = [
  { name: 'a repository under an origin-only prefix', url: 'https://git.example.com/org/repo.git', prefix: 'https://git.example.com', under: true },
  { name: 'a look-alike host that starts with the same text', url: 'https://git.example.com.evil.io/org/repo.git', prefix: 'https://git.example.com', under: false },
  { name: 'a userinfo trick putting the allowed host before @', url: 'https://git.example.com@evil.io/org/repo.git', prefix: 'https://git.example.com', under: false },
  { name: 'another port of the same host', url: 'https://git.example.com:8443/org/repo.git', prefix: 'https://git.example.com', under: false },
  { name: 'the default port written out', url: 'https://git.example.com:443/org/repo.git', prefix: 'https://git.example.com', under: true },
  { name: 'host case does not matter', url: 'https://GIT.Example.com/org/repo.git', prefix: 'https://git.example.com/org/', under: true },
  { name: 'http instead of https', url: 'http://git.example.com/org/repo.git', prefix: 'https://git.example.com', under: false },
  { name: 'a path under the prefix', url: 'https://git.example.com/org/repo.git', prefix: 'https://git.example.com/org', under: true },
  { name: 'a sibling path sharing the prefix text', url: 'https://git.example.com/org-evil/repo.git', prefix: 'https://git.example.com/org', under: false },
  { name: 'dot segments climbing out of the prefix', url: 'https://git.example.com/org/../evil/repo.git', prefix: 'https://git.example.com/org/', under: false },
  { name: 'encoded dot segments climbing out', url: 'https://git.example.com/org/%2e%2e/evil/repo.git', prefix: 'https://git.example.com/org/', under: false },
  { name: 'an encoded slash', url: 'https://git.example.com/org%2F..%2Fevil/repo.git', prefix: 'https://git.example.com/org', under: false },
  { name: 'not a URL', url: 'git.example.com/org/repo.git', prefix: 'https://git.example.com', under: false },
];

for (const c of cases) {
  t.test(`${c.name}: ${c.under ? 'under' : 'not under'} the prefix`, async (t) => {
    t.equal(urlUnderPrefix(c.url, c.prefix), c.under);
  });
}

t.test('the scope is empty unless configured: the defaults are offered to nobody', async (t) => {
  const scope = defaultsScopeFromEnv({});
  t.notOk(jiraDefaultAllowed(scope, 'team-a'));
  t.notOk(gitDefaultAllowed(scope, 'team-a', 'https://git.example.com/org/repo.git'));
});

t.test('git defaults need both the namespace and the prefix', async (t) => {
  const scope = defaultsScopeFromEnv({
    JIRASYNC_DEFAULT_JIRA_NAMESPACES: '*',
    JIRASYNC_DEFAULT_GIT_NAMESPACES: 'team-a, team-b',
    JIRASYNC_DEFAULT_GIT_URL_PREFIXES: 'https://git.example.com/org/',
  });
  t.ok(jiraDefaultAllowed(scope, 'anyone'), '* offers Jira to every namespace');
  t.ok(gitDefaultAllowed(scope, 'team-b', 'https://git.example.com/org/repo.git'));
  t.notOk(gitDefaultAllowed(scope, 'team-c', 'https://git.example.com/org/repo.git'), 'another namespace');
  t.notOk(gitDefaultAllowed(scope, 'team-a', 'https://git.example.com/other/repo.git'), 'another path');
});

t.test('a malformed scope fails at start with the variable named', async (t) => {
  t.throws(() => defaultsScopeFromEnv({ JIRASYNC_DEFAULT_GIT_URL_PREFIXES: 'git.example.com' }), /JIRASYNC_DEFAULT_GIT_URL_PREFIXES: "git.example.com" is not a URL/);
  t.throws(() => defaultsScopeFromEnv({ JIRASYNC_DEFAULT_GIT_URL_PREFIXES: 'http://git.example.com' }), /must be an https URL/);
  t.throws(() => defaultsScopeFromEnv({ JIRASYNC_DEFAULT_GIT_URL_PREFIXES: 'https://u:p@git.example.com' }), /credentials/);
  t.throws(() => defaultsScopeFromEnv({ JIRASYNC_DEFAULT_JIRA_NAMESPACES: 'Team_A' }), /JIRASYNC_DEFAULT_JIRA_NAMESPACES must list namespace names/);
});

t.test('the default Jira connection: Cloud by email + API token, Data Center by deploymentType, token or username + password', async (t) => {
  const base = { JIRA_BASE_URL: 'https://jira.example.com' };
  t.same(defaultsFromEnv({ ...base, JIRA_EMAIL: 'a@example.com', JIRA_API_TOKEN: 'tok-123456' }).jira,
    { baseUrl: base.JIRA_BASE_URL, credentials: { kind: 'basic', email: 'a@example.com', apiToken: 'tok-123456' } });
  t.same(defaultsFromEnv({ ...base, JIRA_TOKEN: 'pat-123456' }).jira,
    { baseUrl: base.JIRA_BASE_URL, credentials: { kind: 'bearer', token: 'pat-123456' } }, 'a token alone: detected at the first request');
  t.same(defaultsFromEnv({ ...base, JIRA_TOKEN: 'pat-123456', JIRA_DEPLOYMENT_TYPE: 'DataCenter' }).jira?.deploymentType, 'datacenter');
  t.same(defaultsFromEnv({ ...base, JIRA_USERNAME: 'bot', JIRA_PASSWORD: 'pw-123456' }).jira,
    { baseUrl: base.JIRA_BASE_URL, credentials: { kind: 'password', username: 'bot', password: 'pw-123456' } });
  t.throws(() => defaultsFromEnv({ ...base, JIRA_TOKEN: 'pat-123456', JIRA_DEPLOYMENT_TYPE: 'mainframe' }), /JIRA_DEPLOYMENT_TYPE/);
});
