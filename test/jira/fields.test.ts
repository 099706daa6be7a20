import t from 'tap';
import {
  FIELD_LIST_TTL_MS, FLOAT_TYPE, SPRINT_TYPE, STORY_POINTS_TYPE, parseFieldList, resolveFields, sharedFieldList, type JiraField,
} from '../../controller/jira/fields.ts';
import { createJiraSource } from '../../controller/jira/jira.ts';
import { emulator } from '../jira-emulator/testkit.ts';

const f = (id: string, name: string, custom?: string): JiraField => ({ id, name, custom: id.startsWith('customfield_'), schema: custom ? { type: 'any', custom } : { type: 'string' } });

const site = [
  f('summary', 'Summary'),
  f('customfield_10020', 'Sprint', SPRINT_TYPE),
  f('customfield_10031', 'Story Points', FLOAT_TYPE),
  f('customfield_10016', 'Story point estimate', STORY_POINTS_TYPE),
  f('customfield_10050', 'Team', 'com.atlassian.jira.plugin.system.customfieldtypes:select'),
  f('customfield_10060', 'Region', 'com.atlassian.jira.plugin.system.customfieldtypes:select'),
  f('customfield_10061', 'Region', 'com.atlassian.jira.plugin.system.customfieldtypes:textfield'),
];

const cases: { name: string; fields: JiraField[]; custom: string[]; expect: unknown }[] = [
  {
    name: 'story points by the Jira Software type before a number field by name; the sprint by gh-sprint',
    fields: site, custom: [], expect: { storyPoints: 'customfield_10016', sprint: 'customfield_10020', customFields: [] },
  },
  {
    name: 'story points by name when only a number field carries it',
    fields: [f('customfield_10031', 'Story Points', FLOAT_TYPE), f('customfield_10032', 'Story Points', 'com.atlassian.jira.plugin.system.customfieldtypes:textfield')],
    custom: [], expect: { storyPoints: 'customfield_10031', customFields: [] },
  },
  { name: 'neither on a site without them', fields: [f('summary', 'Summary')], custom: [], expect: { customFields: [] } },
  {
    name: 'custom fields by id, exact name and case-insensitive name, in the order given, each once',
    fields: site, custom: ['Team', 'customfield_10031', 'story point estimate', 'customfield_10050'],
    expect: { customFields: [{ id: 'customfield_10050', name: 'Team' }, { id: 'customfield_10031', name: 'Story Points' }, { id: 'customfield_10016', name: 'Story point estimate' }] },
  },
  {
    name: 'an id the user cannot see is kept (written as null, as before)',
    fields: site, custom: ['customfield_99999'], expect: { customFields: [{ id: 'customfield_99999', name: 'customfield_99999' }] },
  },
];
for (const c of cases) {
  t.test(`field list: ${c.name}`, async (t) => {
    t.match(resolveFields(c.fields, c.custom), c.expect);
  });
}

t.test('a name matching no field or several is refused with the ids to use instead', async (t) => {
  t.throws(() => resolveFields(site, ['Nope']), /no Jira field is named "Nope"/);
  t.throws(() => resolveFields(site, ['Region']), /2 Jira fields are named "Region" \(customfield_10060, customfield_10061\); name one by its id/);
});

t.test('a field list answer is read defensively', async (t) => {
  t.same(parseFieldList([{ id: 'a', name: 'A', custom: false, schema: { type: 'string', extra: 1 } }, { id: 3 }, null, 'x']), [{ id: 'a', name: 'A', custom: false, schema: { type: 'string' } }]);
  t.same(parseFieldList({}), []);
});

t.test('one connection reads its field list once per TTL, and a failure is not kept', async (t) => {
  let loads = 0;
  const load = async () => (++loads, site);
  await sharedFieldList('k', load, 1_000);
  await sharedFieldList('k', load, 2_000);
  t.equal(loads, 1);
  await sharedFieldList('k', load, 1_000 + FIELD_LIST_TTL_MS);
  t.equal(loads, 2, 'reloaded after the TTL');
  await t.rejects(sharedFieldList('bad', async () => Promise.reject(new Error('boom')), 1_000));
  t.same(await sharedFieldList('bad', load, 1_001), site, 'the next call loads again');
});

t.test('two runs on one connection share one GET /field; the emulator answers with jira.js schemas enforced', async (t) => {
  const emu = await emulator(t, { projects: [{ key: 'FLD', issues: 1 }] });
  const conn = { baseUrl: emu.url, credentials: { kind: 'basic' as const, email: emu.email, apiToken: emu.apiToken } };
  const a = createJiraSource(conn, { onSchemaMismatch: 'throw' });
  const b = createJiraSource(conn, { onSchemaMismatch: 'throw' });
  const list = await a.fieldList?.();
  await b.fieldList?.();
  t.match(resolveFields(list ?? [], ['Team']), { storyPoints: 'customfield_10016', sprint: 'customfield_10020', customFields: [{ id: 'customfield_10050' }] });
  t.equal(emu.state.requestLog.filter((r) => r.path.endsWith('/field')).length, 1);
});
