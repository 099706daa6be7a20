import t from 'tap';
import type { JIRASyncSpec } from '../../controller/api/jirasync.ts';
import { configHash, normalizeSpec, scopeHash } from '../../controller/api/fingerprint.ts';

const d = { repository: 'https://git.example.com/org/issues.git' };

// Values computed by the two functions before they shared one module (status/confighash.ts and
// sync/scope.ts). A changed scopeHash would send every incremental sync back to a full sync (its
// cursor in .jirasync/state.json no longer matches); a changed configHash re-runs every sync once.
// The scopeHash values were re-pinned once, deliberately, for FORMAT_VERSION 2 (issue 18: UTC
// timestamps and new fields change every file, so every mirror gets one full re-render run).
const pinned: { name: string; spec: JIRASyncSpec; configHash: string; scopeHash: string }[] = [
  { name: 'single', spec: { syncType: 'single', target: { issueKeys: ['PROJ-123'] }, destination: d }, configHash: 'f112ac9e536d693a', scopeHash: 'b78ac0055c6d79c5' },
  {
    name: 'batch with branch, path and custom fields',
    spec: { syncType: 'batch', target: { issueKeys: ['A-10', 'A-2', 'B-1'] }, destination: { ...d, branch: 'mirror', path: './jira//out/' }, customFields: ['customfield_2', 'customfield_1'] },
    configHash: '000cd04ad6109ec3', scopeHash: '63f3025735d848d8',
  },
  { name: 'jql with a Secret', spec: { syncType: 'jql', target: { jqlQuery: 'project = A ORDER BY rank' }, destination: d, jira: { secretRef: { name: 'jira' } } }, configHash: '2702b051d1bd9d34', scopeHash: '4b6e489d86ceb9a6' },
  { name: 'project', spec: { syncType: 'project', target: { projectKey: 'PROJ' }, destination: { ...d, path: 'mirror' } }, configHash: '363e62f9c1c8b4c7', scopeHash: '0f2ce45440899096' },
  { name: 'epic', spec: { syncType: 'epic', target: { epicKey: 'PROJ-7' }, destination: d }, configHash: '6486fd3f8843a03c', scopeHash: '5d8ad0d3649efb97' },
  {
    name: 'scheduled incremental',
    spec: { syncType: 'incremental', target: { projectKey: 'OPS', jqlQuery: 'project = OPS AND type = Bug' }, destination: d, customFields: ['customfield_10016'], schedule: '*/5 * * * *' },
    configHash: 'e3bf300d7c20cdb8', scopeHash: '7a418387b0e3fccf',
  },
];
for (const c of pinned) {
  t.test(`the fingerprints of an existing ${c.name} spec are unchanged`, async (t) => {
    t.equal(configHash(c.spec), c.configHash, 'configHash');
    t.equal(scopeHash(c.spec), c.scopeHash, 'scopeHash');
  });
}

const base: JIRASyncSpec = { syncType: 'batch', target: { issueKeys: ['A-1', 'A-2'] }, destination: d, customFields: ['customfield_1', 'customfield_2'] };
const same: [string, JIRASyncSpec][] = [
  ['key order', { ...base, target: { issueKeys: ['A-2', 'A-1'] } }],
  ['duplicate keys', { ...base, target: { issueKeys: ['A-1', 'A-2', 'A-1'] } }],
  ['key case', { ...base, target: { issueKeys: ['a-1', 'A-2'] } }],
  ['custom field order and duplicates', { ...base, customFields: ['customfield_2', 'customfield_1', 'customfield_2'] }],
  ['retry policy, schedule, suspend', { ...base, retryPolicy: { maxRetries: 9 }, schedule: '@hourly', suspend: true }],
];
for (const [what, spec] of same) {
  t.test(`both fingerprints ignore ${what}`, async (t) => {
    t.equal(configHash(spec), configHash(base), 'configHash');
    t.equal(scopeHash(spec), scopeHash(base), 'scopeHash');
  });
}

t.test('whitespace around the JQL changes neither fingerprint', async (t) => {
  const jql: JIRASyncSpec = { syncType: 'jql', target: { jqlQuery: 'project = A' }, destination: d };
  const padded: JIRASyncSpec = { ...jql, target: { jqlQuery: '  project = A\n' } };
  t.equal(scopeHash(padded), scopeHash(jql));
  t.equal(configHash(padded), configHash(jql));
});

const differs: [string, JIRASyncSpec, { config: boolean; scope: boolean }][] = [
  ['another key set', { ...base, target: { issueKeys: ['A-1', 'A-3'] } }, { config: true, scope: true }],
  ['another custom field', { ...base, customFields: ['customfield_1'] }, { config: true, scope: true }],
  ['another repository', { ...base, destination: { repository: 'https://git.example.com/org/other.git' } }, { config: true, scope: false }],
  ['another branch', { ...base, destination: { ...d, branch: 'other' } }, { config: true, scope: false }],
  ['another path', { ...base, destination: { ...d, path: 'x' } }, { config: true, scope: false }],
  ['another Jira Secret', { ...base, jira: { secretRef: { name: 'other' } } }, { config: true, scope: false }],
];
for (const [what, spec, want] of differs) {
  t.test(`${what} changes configHash${want.scope ? ' and scopeHash' : ', not scopeHash'}`, async (t) => {
    t.equal(configHash(spec) !== configHash(base), want.config, 'configHash');
    t.equal(scopeHash(spec) !== scopeHash(base), want.scope, 'scopeHash');
  });
}

t.test('the normalisation spells the destination path one way and defaults the branch', async (t) => {
  const n = normalizeSpec({ ...base, destination: { ...d, path: './a//b/' } });
  t.equal(n.path, 'a/b');
  t.equal(n.branch, normalizeSpec(base).branch);
  t.same(normalizeSpec({ ...base, target: { issueKeys: [' b-2', 'A-10', 'A-2'] } }).target.issueKeys, ['A-10', 'A-2', 'B-2']);
});

t.test('the scope hash changes with the target and custom fields, not with their order', async (t) => {
  const a = { syncType: 'incremental' as const, target: { projectKey: 'A' }, destination: d, customFields: ['customfield_1', 'customfield_2'] };
  t.equal(scopeHash(a), scopeHash({ ...a, customFields: ['customfield_2', 'customfield_1'] }));
  t.not(scopeHash(a), scopeHash({ ...a, customFields: ['customfield_1'] }));
  t.not(scopeHash(a), scopeHash({ ...a, target: { projectKey: 'B' } }));
});

t.test('spec.content changes both fingerprints, a spelled-out default cap does not', async (t) => {
  const on: JIRASyncSpec = { ...base, content: { comments: {} } };
  t.not(scopeHash(on), scopeHash(base), 'turning comments on re-renders every file');
  t.not(configHash(on), configHash(base));
  t.equal(scopeHash({ ...base, content: { comments: { maxPerIssue: 100 } } }), scopeHash(on), 'the default cap written out is the same');
  t.not(scopeHash({ ...base, content: { comments: { maxPerIssue: 5 } } }), scopeHash(on), 'another cap is not');
  t.equal(scopeHash({ ...base, content: {} }), scopeHash(base), 'an empty content block is no content');
});
