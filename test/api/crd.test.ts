/**
 * The JIRASync CRD against the real API server: valid examples apply, hostile or malformed
 * manifests are rejected with a message naming the field, and kubectl shows the printer columns.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type JIRASync } from '../../controller/api/jirasync.ts';
import { testCluster, stopTestCluster } from '../env/cluster.ts';
import { jirasync } from '../fixtures/jirasync.ts';

const cluster = await testCluster();
t.teardown(stopTestCluster);
const ns = await cluster.newNamespace('crd');
const api = cluster.kc.makeApiClient(k8s.CustomObjectsApi);

async function create(obj: unknown): Promise<JIRASync> {
  return (await api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, body: obj })) as JIRASync;
}

/** The API server's rejection message, or undefined when the object was accepted. */
async function rejection(obj: unknown): Promise<string | undefined> {
  try {
    await create(obj);
    return undefined;
  } catch (err) {
    const e = err as { code?: number; body?: string };
    if (e.code !== 422) throw err;
    const body = JSON.parse(e.body ?? '{}') as { message?: string };
    return body.message ?? '';
  }
}

let n = 0;
const name = () => `obj-${++n}`;

t.test('the status guide examples apply unchanged', async (t) => {
  const examples = [
    { syncType: 'single', target: { issueKeys: ['PROJ-123'] }, destination: { repository: 'https://github.com/example/repo.git', branch: 'main' } },
    { syncType: 'jql', target: { jqlQuery: "project = PROJ AND status = 'In Progress'" }, destination: { repository: 'https://github.com/company/issues.git', branch: 'main' } },
    { syncType: 'jql', target: { jqlQuery: 'project = PROJ AND updated >= -6h' }, destination: { repository: 'https://github.com/company/issues.git' } },
  ];
  for (const spec of examples) {
    const created = await create({ apiVersion: 'sync.jira.io/v1alpha1', kind: 'JIRASync', metadata: { name: name() }, spec });
    t.equal(created.spec.syncType, spec.syncType, `${spec.syncType} example accepted`);
  }
});

t.test('defaults are applied by the API server', async (t) => {
  const created = await create({ apiVersion: 'sync.jira.io/v1alpha1', kind: 'JIRASync', metadata: { name: name() },
    spec: { syncType: 'project', target: { projectKey: 'PROJ' }, destination: { repository: 'https://git.example.com/a.git' } } });
  t.equal(created.spec.destination.branch, 'main');
  t.equal(created.spec.destination.path, '/');
  t.equal(created.spec.suspend, false);
  t.same(created.spec.retryPolicy, { maxRetries: 3, backoffMultiplier: 2, initialDelay: 30 });
  t.same(created.spec.failurePolicy, { comment: true, commentOnRecovery: true, transitionTo: ['Failed', 'Blocked'] });
});

t.test('every sync type with its target and the optional fields is accepted', async (t) => {
  const specs = [
    { syncType: 'batch', target: { issueKeys: ['A-1', 'B_2-30'] } },
    { syncType: 'epic', target: { epicKey: 'PROJ-1' } },
    { syncType: 'incremental', target: { projectKey: 'PROJ' }, schedule: '*/15 * * * *', deletionScanInterval: '1h30m' },
    { syncType: 'incremental', target: { jqlQuery: 'project = A AND labels = x' }, schedule: '@hourly', timeZone: 'Europe/Berlin' },
    { syncType: 'project', target: { projectKey: 'PROJ' }, customFields: ['Story Points', 'customfield_10050', 'Équipe / Team (old)'],
      content: { comments: { maxPerIssue: 1000 }, attachments: {}, worklogs: { maxPerIssue: 1 }, changelog: {} } },
    { syncType: 'project', target: { projectKey: 'PROJ' }, schedule: '0 9 * * MON-FRI', customFields: ['customfield_10016'],
      destination: { repository: 'https://git.example.com:8443/org/repo.git', branch: 'release/v1.2', path: '/teams/a', secretRef: { name: 'git-cred' }, author: { name: 'Sync Bot', email: 'bot@example.com' } },
      jira: { secretRef: { name: 'jira-cred' } }, retryPolicy: { maxRetries: 0, backoffMultiplier: 1.5, initialDelay: 1 },
      failurePolicy: { comment: false, transitionTo: ['Broken'], issueKey: 'OPS-7' } },
  ];
  for (const spec of specs) {
    const obj = jirasync(name(), ns, spec as never);
    const created = await create(obj);
    t.equal(created.spec.syncType, spec.syncType, `${spec.syncType} ${JSON.stringify(spec.target)} accepted`);
  }
});

const hostile: { what: string; spec: Record<string, unknown>; field: string }[] = [
  { what: 'path traversal', spec: { destination: { path: '../etc' } }, field: 'spec.destination.path' },
  { what: 'path traversal in the middle', spec: { destination: { path: 'a/../../b' } }, field: 'spec.destination.path' },
  { what: 'path into .git', spec: { destination: { path: '.git/hooks' } }, field: 'spec.destination.path' },
  { what: 'plain http repository', spec: { destination: { repository: 'http://git.example.com/x.git' } }, field: 'spec.destination.repository' },
  { what: 'credentials in the URL', spec: { destination: { repository: 'https://user:secret@git.example.com/x.git' } }, field: 'spec.destination.repository' },
  { what: 'token as URL user', spec: { destination: { repository: 'https://ghp_abc@github.com/x/y.git' } }, field: 'spec.destination.repository' },
  { what: 'file:// repository', spec: { destination: { repository: 'file:///etc/passwd' } }, field: 'spec.destination.repository' },
  { what: 'ssh:// repository', spec: { destination: { repository: 'ssh://git@host/x.git' } }, field: 'spec.destination.repository' },
  { what: 'git:// repository', spec: { destination: { repository: 'git://host/x.git' } }, field: 'spec.destination.repository' },
  { what: 'ext:: transport', spec: { destination: { repository: 'ext::sh -c touch% /tmp/pwned' } }, field: 'spec.destination.repository' },
  { what: 'option-injection branch', spec: { destination: { branch: '--upload-pack=evil' } }, field: 'spec.destination.branch' },
  { what: 'branch with ..', spec: { destination: { branch: 'main..evil' } }, field: 'spec.destination.branch' },
  { what: 'branch with @{', spec: { destination: { branch: 'main@{1}' } }, field: 'spec.destination.branch' },
  { what: 'branch ending in .lock', spec: { destination: { branch: 'feature.lock' } }, field: 'spec.destination.branch' },
  { what: 'a branch component ending in .lock', spec: { destination: { branch: 'release.lock/1' } }, field: 'spec.destination.branch' },
  { what: 'branch with a space', spec: { destination: { branch: 'a b' } }, field: 'spec.destination.branch' },
  { what: 'JQL with a control character', spec: { syncType: 'jql', target: { jqlQuery: 'project = A\u0007' } }, field: 'spec.target.jqlQuery' },
  { what: 'oversized JQL', spec: { syncType: 'jql', target: { jqlQuery: `project = A AND summary ~ "${'x'.repeat(1000)}"` } }, field: 'spec.target.jqlQuery' },
  { what: 'wrong target for single', spec: { syncType: 'single', target: { jqlQuery: 'project = A' } }, field: 'spec.target' },
  { what: 'wrong target for epic', spec: { syncType: 'epic', target: { projectKey: 'A' } }, field: 'spec.target' },
  { what: 'two targets at once', spec: { syncType: 'batch', target: { issueKeys: ['A-1'], projectKey: 'A' } }, field: 'spec.target' },
  { what: 'single with two keys', spec: { syncType: 'single', target: { issueKeys: ['A-1', 'A-2'] } }, field: 'spec.target' },
  { what: 'malformed issue key', spec: { syncType: 'batch', target: { issueKeys: ['proj-1'] } }, field: 'spec.target.issueKeys[0]' },
  { what: 'too many keys', spec: { syncType: 'batch', target: { issueKeys: Array.from({ length: 101 }, (_, i) => `A-${i + 1}`) } }, field: 'spec.target.issueKeys' },
  { what: 'unknown sync type', spec: { syncType: 'everything' }, field: 'spec.syncType' },
  { what: 'maxRetries out of range', spec: { retryPolicy: { maxRetries: 11 } }, field: 'spec.retryPolicy.maxRetries' },
  { what: 'initialDelay of zero', spec: { retryPolicy: { initialDelay: 0 } }, field: 'spec.retryPolicy.initialDelay' },
  { what: 'backoffMultiplier below one', spec: { retryPolicy: { backoffMultiplier: 0.5 } }, field: 'spec.retryPolicy.backoffMultiplier' },
  { what: 'cron minute out of range', spec: { schedule: '61 * * * *' }, field: 'spec.schedule' },
  { what: 'cron in words', spec: { schedule: 'every day' }, field: 'spec.schedule' },
  { what: 'cron with four fields', spec: { schedule: '* * * *' }, field: 'spec.schedule' },
  { what: 'time zone path', spec: { timeZone: '../../etc/localtime' }, field: 'spec.timeZone' },
  { what: 'a comment cap over the maximum', spec: { content: { comments: { maxPerIssue: 1001 } } }, field: 'spec.content.comments.maxPerIssue' },
  { what: 'a changelog cap of zero', spec: { content: { changelog: { maxPerIssue: 0 } } }, field: 'spec.content.changelog.maxPerIssue' },
  { what: 'a custom field name with a newline', spec: { customFields: ['Team\nx'] }, field: 'spec.customFields[0]' },
  { what: 'a custom field name with leading space', spec: { customFields: [' Team'] }, field: 'spec.customFields[0]' },
  { what: 'too many custom fields', spec: { customFields: Array.from({ length: 51 }, (_, i) => `customfield_${i}`) }, field: 'spec.customFields' },
  { what: 'author email with angle brackets', spec: { destination: { author: { name: 'x', email: '<a@b>' } } }, field: 'spec.destination.author.email' },
];

t.test('hostile or malformed manifests are rejected with a message naming the field', async (t) => {
  t.ok(hostile.length >= 20, 'at least 20 cases');
  for (const c of hostile) {
    const obj = jirasync(name(), ns, c.spec as never);
    const msg = await rejection(obj);
    t.ok(msg !== undefined, `${c.what}: rejected`);
    t.match(msg ?? '', c.field, `${c.what}: message names ${c.field}`);
  }
});

t.test('a manifest without destination is rejected', async (t) => {
  const obj = jirasync(name(), ns) as unknown as { spec: Record<string, unknown> };
  delete obj.spec.destination;
  t.match((await rejection(obj)) ?? '', 'spec.destination');
});

t.test('kubectl shows the printer columns', async (t) => {
  const obj = jirasync('columns', ns, { syncType: 'batch', target: { issueKeys: ['A-1', 'A-2'] } });
  await create(obj);
  await api.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name: 'columns',
      body: { status: { phase: 'Running', retryCount: 1, progress: { percentage: 65 }, syncState: { processedIssues: 98, totalIssues: 150, lastSyncTime: '2024-01-15T11:30:00Z' } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  const kubectl = (...args: string[]) => execFileSync('kubectl', ['--kubeconfig', cluster.kubeconfigPath, '-n', ns, ...args], { encoding: 'utf8' });
  const out = kubectl('get', 'jirasync', 'columns');
  const [header, row] = out.trim().split('\n');
  t.same(header.split(/\s{2,}/), ['NAME', 'TYPE', 'PHASE', 'PROGRESS', 'PROCESSED', 'TOTAL', 'RETRIES', 'AGE']);
  t.match(row, /^columns\s+batch\s+Running\s+65\s+98\s+150\s+1\s+\S+$/);
  const wide = kubectl('get', 'jsync', 'columns', '-o', 'wide').trim().split('\n');
  t.same(wide[0].split(/\s{2,}/).slice(-2), ['REPOSITORY', 'LAST SYNC']);
  t.match(wide[1], /https:\/\/git\.example\.com\/org\/issues\.git/);
});
