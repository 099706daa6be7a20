import t from 'tap';
import { createClient } from 'jira.js/core';
import { DashboardUserSchema } from 'jira.js/cloud';
import { isAuthError } from 'jira.js';
import { apiError, cloudClient, emulator } from './testkit.ts';

t.test('Cloud: Basic email:apiToken', async (t) => {
  const emu = await emulator(t, {
    timeZone: 'America/New_York',
    users: [{ email: 'bot@example.com', apiToken: 'tok-1', displayName: 'Sync Bot' }, { email: 'other@example.com', apiToken: 'tok-2', displayName: 'Other', accountId: '5b10a2844c20165700ede21g' }],
  });

  t.test('the right credentials see /myself with the time zone', async (t) => {
    const me = await cloudClient(emu).myself.getCurrentUser();
    t.equal(me.emailAddress, 'bot@example.com');
    t.equal(me.displayName, 'Sync Bot');
    t.equal(me.timeZone, 'America/New_York');
    t.equal(me.accountType, 'atlassian');
    const other = await cloudClient(emu, { email: 'other@example.com', apiToken: 'tok-2' }).myself.getCurrentUser();
    t.equal(other.accountId, '5b10a2844c20165700ede21g', 'each configured user authenticates as itself');
  });

  t.test('a wrong token gets 401 with Jira\'s body, and nothing about the credentials', async (t) => {
    const e = await apiError(cloudClient(emu, { email: 'bot@example.com', apiToken: 'wrong' }).myself.getCurrentUser());
    t.ok(isAuthError(e));
    t.equal(e.status, 401);
    t.equal(e.body, 'Client must be authenticated to access this resource.');
    t.notMatch(JSON.stringify(e.body), /wrong|tok-1/);
  });

  t.test('missing credentials get 401 with the JSON error body; serverInfo is anonymous', async (t) => {
    const res = await fetch(`${emu.url}/rest/api/3/myself`);
    t.equal(res.status, 401);
    t.same(await res.json(), { errorMessages: ['You are not authenticated. Authentication required to perform this operation.'], errors: {} });
    const info = await fetch(`${emu.url}/rest/api/3/serverInfo`);
    t.equal(info.status, 200);
    t.match(await info.json(), { deploymentType: 'Cloud' });
  });

  t.test('Cloud does not accept personal access tokens', async (t) => {
    const res = await fetch(`${emu.url}/rest/api/3/myself`, { headers: { Authorization: `Bearer ${emu.pat}` } });
    t.equal(res.status, 401);
  });
});

t.test('Data Center: Bearer personal access tokens', async (t) => {
  const emu = await emulator(t, { mode: 'datacenter', pats: ['pat-one', 'pat-two'], projects: [{ key: 'DC', issues: 5 }] });
  const client = (token: string) => createClient({ host: emu.url, auth: { type: 'bearer', token }, onSchemaMismatch: 'throw' });

  t.test('a configured PAT authenticates', async (t) => {
    for (const token of ['pat-one', 'pat-two']) {
      const me = await client(token).sendRequest({ url: '/rest/api/2/myself', method: 'GET', schema: DashboardUserSchema });
      t.equal(me.displayName, 'Jira Sync Bot', token);
      t.equal((me as Record<string, unknown>).name, 'jirasync', 'Data Center users have a username');
    }
  });

  t.test('an unknown PAT gets 401', async (t) => {
    const e = await apiError(client('nope').sendRequest({ url: '/rest/api/2/myself', method: 'GET', schema: DashboardUserSchema }));
    t.equal(e.status, 401);
  });

  t.test('Basic auth works in Data Center too', async (t) => {
    const res = await fetch(`${emu.url}/rest/api/2/myself`, { headers: { Authorization: `Basic ${Buffer.from(`${emu.email}:${emu.apiToken}`).toString('base64')}` } });
    t.equal(res.status, 200);
  });

  t.test('an issue the user cannot see is 404', async (t) => {
    emu.state.setHidden('DC-2', true);
    const res = await fetch(`${emu.url}/rest/api/2/issue/DC-2`, { headers: { Authorization: 'Bearer pat-one' } });
    t.equal(res.status, 404);
    t.same(await res.json(), { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} });
  });
});
