import t from 'tap';
import type { JIRASyncSpec } from '../../controller/api/jirasync.ts';
import { StallingError } from '../../controller/sync/errors.ts';
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

const durations: [string, number | undefined][] = [['6h', 6 * 3_600_000], ['90m', 5_400_000], ['1h30m', 5_400_000], ['2d', 172_800_000], ['45s', 45_000], ['', undefined], ['6 hours', undefined], ['h', undefined]];
for (const [text, ms] of durations) {
  t.test(`duration ${JSON.stringify(text)} is ${ms} ms`, async (t) => {
    t.equal(parseDuration(text), ms);
  });
}
