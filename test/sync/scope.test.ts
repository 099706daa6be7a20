import t from 'tap';
import type { JIRASyncSpec } from '../../controller/api/jirasync.ts';
import { StallingError } from '../../controller/sync/errors.ts';
import { scopeHash } from '../../controller/api/fingerprint.ts';
import { chunkedIn, formatJqlDateTime as formatJqlDate, incrementalJql, quoteJql, stripOrderBy } from '../../controller/jira/jql.ts';
import { parseDuration, resolveScope } from '../../controller/sync/scope.ts';

const spec = (syncType: JIRASyncSpec['syncType'], target: JIRASyncSpec['target']): JIRASyncSpec => ({ syncType, target, destination: { repository: 'https://g.test/r.git' } });

const scopes: { name: string; spec: JIRASyncSpec; expected: unknown }[] = [
  { name: 'single takes its key', spec: spec('single', { issueKeys: ['ab-1'] }), expected: { kind: 'keys', keys: ['AB-1'], query: 'key in ("AB-1")' } },
  { name: 'batch removes duplicate keys', spec: spec('batch', { issueKeys: ['A-1', 'A-2', 'A-1'] }), expected: { kind: 'keys', keys: ['A-1', 'A-2'] } },
  { name: 'project becomes a quoted project clause', spec: spec('project', { projectKey: 'proj' }), expected: { kind: 'jql', jql: 'project = "PROJ"', label: 'PROJ' } },
  { name: 'jql loses its ORDER BY', spec: spec('jql', { jqlQuery: 'project = A AND summary ~ "order by" ORDER BY rank' }), expected: { kind: 'jql', jql: 'project = A AND summary ~ "order by"' } },
  { name: 'epic names its key', spec: spec('epic', { epicKey: 'A-7' }), expected: { kind: 'epic', epicKey: 'A-7' } },
  { name: 'incremental prefers the JQL over the project', spec: spec('incremental', { projectKey: 'A', jqlQuery: 'project = A AND type = Bug' }), expected: { kind: 'jql', jql: 'project = A AND type = Bug' } },
  { name: 'incremental on a project', spec: spec('incremental', { projectKey: 'A' }), expected: { kind: 'jql', jql: 'project = "A"' } },
];
for (const c of scopes) {
  t.test(`scope: ${c.name}`, async (t) => {
    t.match(resolveScope(c.spec), c.expected);
  });
}

const invalid: { name: string; spec: JIRASyncSpec; message: RegExp }[] = [
  { name: 'single with two keys', spec: spec('single', { issueKeys: ['A-1', 'A-2'] }), message: /exactly one key/ },
  { name: 'batch without keys', spec: spec('batch', {}), message: /at least one key/ },
  { name: 'a key with a path in it', spec: spec('batch', { issueKeys: ['A-1/../../x'] }), message: /not a valid Jira issue key/ },
  { name: 'project without a key', spec: spec('project', {}), message: /needs target.projectKey/ },
  { name: 'project key with quotes', spec: spec('project', { projectKey: 'A" OR 1=1' }), message: /not a valid project key/ },
  { name: 'jql that is only an ORDER BY', spec: spec('jql', { jqlQuery: 'ORDER BY created' }), message: /no search condition/ },
  { name: 'incremental with no target', spec: spec('incremental', {}), message: /projectKey or target.jqlQuery/ },
];
for (const c of invalid) {
  t.test(`a target with ${c.name} is a stalling error`, async (t) => {
    t.throws(() => resolveScope(c.spec), StallingError);
    t.throws(() => resolveScope(c.spec), c.message);
  });
}

t.test('JQL strings are quoted with escapes', async (t) => {
  t.equal(quoteJql('a "b" \\c'), '"a \\"b\\" \\\\c"');
});

t.test('ORDER BY inside quotes is kept; a real one is cut', async (t) => {
  t.equal(stripOrderBy("summary ~ 'x order by y'"), "summary ~ 'x order by y'");
  t.equal(stripOrderBy('a = 1 order   by b'), 'a = 1');
});

const dates: [string, string, string][] = [
  ['2024-03-10T06:59:59Z', 'UTC', '2024/03/10 06:59'],
  ['2024-03-10T06:59:59Z', 'America/New_York', '2024/03/10 01:59'],
  ['2024-03-10T07:00:00Z', 'America/New_York', '2024/03/10 03:00'],
  ['2024-12-31T23:30:00Z', 'Asia/Kolkata', '2025/01/01 05:00'],
  ['2024-06-01T00:00:00Z', 'Australia/Lord_Howe', '2024/06/01 10:30'],
];
for (const [iso, tz, expected] of dates) {
  t.test(`${iso} reads as ${expected} in ${tz}`, async (t) => {
    t.equal(formatJqlDate(new Date(iso), tz), expected);
  });
}

t.test('the incremental query starts one overlap window before the cursor, in the user time zone', async (t) => {
  t.equal(incrementalJql('project = "A"', new Date('2024-03-01T12:04:30Z'), 5 * 60_000, 'Europe/Berlin'), '(project = "A") AND updated >= "2024/03/01 12:59" ORDER BY updated ASC');
});

t.test('an unknown time zone is an error naming it', async (t) => {
  t.throws(() => formatJqlDate(new Date(), 'Mars/Olympus'), /Mars\/Olympus/);
});

t.test('key lists are chunked into IN clauses', async (t) => {
  t.same(chunkedIn('parent', ['A-1', 'A-2', 'A-3'], 2), ['parent in ("A-1", "A-2")', 'parent in ("A-3")']);
});

const durations: [string, number | undefined][] = [['6h', 6 * 3_600_000], ['90m', 5_400_000], ['1h30m', 5_400_000], ['2d', 172_800_000], ['45s', 45_000], ['', undefined], ['6 hours', undefined], ['h', undefined]];
for (const [text, ms] of durations) {
  t.test(`duration ${JSON.stringify(text)} is ${ms} ms`, async (t) => {
    t.equal(parseDuration(text), ms);
  });
}

t.test('the scope hash changes with the target and custom fields, not with their order', async (t) => {
  const a = { ...spec('incremental', { projectKey: 'A' }), customFields: ['customfield_1', 'customfield_2'] };
  t.equal(scopeHash(a), scopeHash({ ...a, customFields: ['customfield_2', 'customfield_1'] }));
  t.not(scopeHash(a), scopeHash({ ...a, customFields: ['customfield_1'] }));
  t.not(scopeHash(a), scopeHash({ ...a, target: { projectKey: 'B' } }));
});

t.test('around a DST fall-back the incremental bound is early enough for both readings of the wall time', async (t) => {
  // 2024-11-03 01:30 happens twice in New York; cursor − overlap is the first one (05:30Z), and
  // Jira could read "01:30" as the second (06:30Z), which would skip an hour of updates.
  const jql = incrementalJql('x', new Date('2024-11-03T05:35:00Z'), 5 * 60_000, 'America/New_York');
  const since = /"(.*)"/.exec(jql)?.[1] ?? '';
  t.ok(since <= '2024/11/03 00:30', `bound ${since} is read before the cursor in either offset`);
});
