import t from 'tap';
import { parseJql } from './jql/parser.ts';
import { parseJqlDate } from './jql/dates.ts';
import { apiError, cloudClient, emulator, searchAll } from './testkit.ts';

t.test('the parser reads the JQL grammar', async (t) => {
  const cases: [string, string][] = [
    ['project = PROJ', '{"where":{"kind":"clause","field":"project","op":"=","value":"PROJ"},"order":[]}'],
    ['"Epic Link" = PROJ-1 ORDER BY key DESC', '{"where":{"kind":"clause","field":"Epic Link","op":"=","value":"PROJ-1"},"order":["key desc"]}'],
    ['status NOT IN (Done, "In Review")', '{"where":{"kind":"clause","field":"status","op":"not in","value":["Done","In Review"]},"order":[]}'],
    ['a = 1 AND (b = 2 OR c = 3)', '{"where":{"kind":"and","children":["a=1",{"kind":"or","children":["b=2","c=3"]}]},"order":[]}'],
    ['a = 1 && b = 2 || c = 3', '{"where":{"kind":"or","children":[{"kind":"and","children":["a=1","b=2"]},"c=3"]},"order":[]}'],
    ["summary ~ 'it\\'s'", '{"where":{"kind":"clause","field":"summary","op":"~","value":"it\'s"},"order":[]}'],
    ['ORDER BY updated ASC, key', '{"order":["updated asc","key asc"]}'],
    ['cf[10014] = X-1', '{"where":{"kind":"clause","field":"cf[10014]","op":"=","value":"X-1"},"order":[]}'],
  ];
  type N = ReturnType<typeof parseJql>['where'];
  const compact = (n: N): unknown => {
    if (!n) return undefined;
    if (n.kind === 'clause') {
      const v = n.operand.kind === 'value' ? n.operand.value.text : n.operand.kind === 'list' ? n.operand.values.map((x) => x.text) : `${n.operand.name}()`;
      return ['a', 'b', 'c'].includes(n.field) ? `${n.field}${n.op}${String(v)}` : { kind: 'clause', field: n.field, op: n.op, value: v };
    }
    if (n.kind === 'not') return { kind: 'not', child: compact(n.child) };
    return { kind: n.kind, children: n.children.map(compact) };
  };
  for (const [jql, expected] of cases) {
    const q = parseJql(jql);
    t.equal(JSON.stringify({ where: compact(q.where), order: q.orderBy.map((o) => `${o.field} ${o.dir}`) }), expected, jql);
  }
});

t.test('JQL dates are wall-clock minutes in the user zone, or periods from now', async (t) => {
  const now = Date.UTC(2024, 6, 1, 12, 0);
  t.equal(parseJqlDate('2024/03/10 11:30', 'updated', now, 'Europe/Berlin'), Date.UTC(2024, 2, 10, 10, 30), 'CET is UTC+1');
  t.equal(parseJqlDate('2024-07-01 11:30', 'updated', now, 'Europe/Berlin'), Date.UTC(2024, 6, 1, 9, 30), 'CEST is UTC+2');
  t.equal(parseJqlDate('2024-03-10', 'updated', now, 'America/New_York'), Date.UTC(2024, 2, 10, 5, 0), 'a date is midnight in the zone');
  t.equal(parseJqlDate('2024/03/31 02:30', 'updated', now, 'Europe/Berlin'), Date.UTC(2024, 2, 31, 1, 30), 'a time in the DST gap moves forward');
  t.equal(parseJqlDate('-6h', 'updated', now, 'UTC'), now - 6 * 3600_000);
  t.equal(parseJqlDate('-2d', 'updated', now, 'UTC'), now - 2 * 86400_000);
  t.equal(parseJqlDate('-1w 2d', 'updated', now, 'UTC'), now - 9 * 86400_000);
  t.equal(parseJqlDate('-90m', 'updated', now, 'UTC'), now - 90 * 60_000);
  for (const bad of ['2024/13/01', '2024-02-30', 'yesterday', '2024/01/01 24:00', '-6x']) {
    t.throws(() => parseJqlDate(bad, 'updated', now, 'UTC'), { message: `Date value '${bad}' for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.` }, bad);
  }
});

t.test('each supported JQL form selects exactly the matching issues', async (t) => {
  const emu = await emulator(t, { seed: 3, timeZone: 'Europe/Berlin', projects: [{ key: 'JQL', issues: 0 }, { key: 'OTHER', issues: 2 }] });
  const s = emu.state;
  const now = Date.now();
  s.createIssue('JQL', { issuetype: 'Epic', summary: 'The epic', updated: '2024-01-01T00:00:00Z' });
  s.createIssue('JQL', { issuetype: 'Story', parent: 'JQL-1', labels: ['backend'], status: 'In Progress', updated: '2024-03-10T10:30:00Z' });
  s.createIssue('JQL', { issuetype: 'Story', epic: 'JQL-1', labels: ['frontend', 'ux'], status: 'Done', updated: '2024-03-10T10:29:59Z' });
  s.createIssue('JQL', { issuetype: 'Task', updated: '2024-03-11T00:00:00Z' });
  s.createIssue('JQL', { issuetype: 'Subtask', parent: 'JQL-2', updated: now - 60_000 });
  s.createIssue('JQL', { issuetype: 'Bug', status: 'Blocked', updated: now - 3 * 3600_000 });
  const jira = cloudClient(emu);
  const keys = async (jql: string) => (await searchAll(jira, jql, { fields: ['key'], maxResults: 3 })).issues.map((i) => i.key);
  const sorted = async (jql: string) => (await keys(jql)).sort();

  const cases: [string, string[]][] = [
    ['project = JQL', ['JQL-1', 'JQL-2', 'JQL-3', 'JQL-4', 'JQL-5', 'JQL-6']],
    ['project in (JQL, OTHER) AND key in (JQL-1, OTHER-2)', ['JQL-1', 'OTHER-2']],
    ['project = "JQL" AND project != OTHER', ['JQL-1', 'JQL-2', 'JQL-3', 'JQL-4', 'JQL-5', 'JQL-6']],
    ['key = JQL-2', ['JQL-2']],
    ['issuekey in (JQL-2, jql-3)', ['JQL-2', 'JQL-3']],
    ['parent = JQL-1', ['JQL-2', 'JQL-3']],
    ['parent = JQL-2', ['JQL-5']],
    ['"Epic Link" = JQL-1', ['JQL-2', 'JQL-3']],
    ['status = "In Progress"', ['JQL-2']],
    ['project = JQL AND status in ("To Do", blocked)', ['JQL-1', 'JQL-4', 'JQL-5', 'JQL-6']],
    ['project = JQL AND status != Done', ['JQL-1', 'JQL-2', 'JQL-4', 'JQL-5', 'JQL-6']],
    ['labels = backend', ['JQL-2']],
    ['labels in (ux, backend)', ['JQL-2', 'JQL-3']],
    ['project = JQL AND labels != backend', ['JQL-3']],
    ['project = JQL AND updated >= "2024/03/10 11:30"', ['JQL-2', 'JQL-4', 'JQL-5', 'JQL-6']],
    ['project = JQL AND updated > "2024/03/10 11:30"', ['JQL-4', 'JQL-5', 'JQL-6']],
    ['project = JQL AND updated <= "2024-03-10"', ['JQL-1']],
    ['project = JQL AND updated < "2024-03-11 01:00"', ['JQL-1', 'JQL-2', 'JQL-3']],
    ['project = JQL AND updated >= -6h', ['JQL-5', 'JQL-6']],
    ['project = JQL AND updated >= "-2h"', ['JQL-5']],
    ['project = JQL AND updated >= -2d', ['JQL-5', 'JQL-6']],
    ['project = JQL AND (status = Done OR labels = backend)', ['JQL-2', 'JQL-3']],
    ['status = Done AND project = JQL OR key = OTHER-1', ['JQL-3', 'OTHER-1']],
  ];
  for (const [jql, expected] of cases) t.same(await sorted(jql), expected, jql);

  t.same(await keys('project = JQL ORDER BY key DESC'), ['JQL-6', 'JQL-5', 'JQL-4', 'JQL-3', 'JQL-2', 'JQL-1'], 'ORDER BY key DESC');
  t.same(await keys('project = JQL ORDER BY updated ASC'), ['JQL-1', 'JQL-3', 'JQL-2', 'JQL-4', 'JQL-6', 'JQL-5'], 'ORDER BY updated ASC');
  t.same(await keys('project in (OTHER, JQL) ORDER BY issuekey ASC'), ['JQL-1', 'JQL-2', 'JQL-3', 'JQL-4', 'JQL-5', 'JQL-6', 'OTHER-1', 'OTHER-2'], 'keys sort by project then number');
});

t.test('unsupported or invalid JQL is a 400 in Jira\'s error shape, never a match-all', async (t) => {
  const emu = await emulator(t, { seed: 3, projects: [{ key: 'JQL', issues: 5 }] });
  emu.state.setHidden('JQL-4', true);
  const moved = emu.state.moveIssue('JQL-5', 'JQL');
  const jira = cloudClient(emu);
  const cases: [string, string | RegExp][] = [
    ['project = ', 'Error in the JQL Query: Expecting either a value, list or function before the end of the query.'],
    ['project = NOPE', "The value 'NOPE' does not exist for the field 'project'."],
    ['foo = bar', "Field 'foo' does not exist or you do not have permission to view it."],
    ['summary ~ "x"', /^The Jira emulator does not support the field 'summary'/],
    ['project ~ JQL', "The operator '~' is not supported by the 'project' field."],
    ['labels is EMPTY', "The operator 'IS' is not supported by the 'labels' field."],
    ['status = Nope', "The value 'Nope' does not exist for the field 'status'."],
    ['key = JQL-999', "An issue with key 'JQL-999' does not exist for field 'key'."],
    ['key = JQL-4', "An issue with key 'JQL-4' does not exist for field 'key'."],
    ['key = JQL-5', "An issue with key 'JQL-5' does not exist for field 'key'."],
    ['parent = "not a key"', "The issue key 'not a key' for field 'parent' is invalid."],
    ['updated >= "2024/13/01"', /^Date value '2024\/13\/01' for field 'updated' is invalid/],
    ['project = JQL AND', 'Error in the JQL Query: Expecting a field name at the end of the query.'],
    ['(project = JQL', "Error in the JQL Query: Expecting ')' before the end of the query."],
    ['project = JQL project = JQL', "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'project'. (line 1, character 15)"],
    ['project = JQL ORDER BY created', /^The Jira emulator does not support ORDER BY 'created'/],
    ['project = "JQL', "Error in the JQL Query: The quoted string 'JQL' has not been completed. (line 1, character 11)"],
    ['project = JQL@x', "Error in the JQL Query: The character '@' is a reserved JQL character. You must enclose it in a string or use the escape '\\u0040' instead. (line 1, character 14)"],
    ['status = in', "Error in the JQL Query: Expecting either a value, list or function but got 'in'. You must surround 'in' in quotation marks to use it as a value. (line 1, character 10)"],
    ['project JQL', /^Error in the JQL Query: Expecting operator but got 'JQL'\. The valid operators are/],
    ['NOT project = JQL', /^The Jira emulator does not support NOT/],
    ['labels = currentUser()', /^The Jira emulator does not support JQL functions/],
    ['labels = frobnicate()', "Unable to find JQL function 'frobnicate()'."],
    ['project = (JQL, JQL)', /^The operator '=' does not support the list value/],
  ];
  for (const [jql, message] of cases) {
    const e = await apiError(jira.issueSearch.searchAndReconsileIssuesUsingJqlPost({ jql }));
    t.equal(e.status, 400, jql);
    t.match(e.body, { errorMessages: [message], errors: {} }, jql);
    const c = await apiError(jira.issueSearch.countIssues({ jql }));
    t.equal(c.status, 400, `${jql} (count)`);
  }
  t.ok(moved.startsWith('JQL-'), 'a moved issue gets a new key');
});
