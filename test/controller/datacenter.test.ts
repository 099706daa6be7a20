/**
 * Jira Data Center end to end: the real controller and the real API server against the emulator
 * in Data Center mode (REST v2, a PAT, no deploymentType in the Secret, so serverInfo decides).
 * The same JIRASyncs (single, jql, project, epic) are run against a Cloud emulator generated from
 * the same seed, and the files in git must match Cloud's byte for byte. A refused PAT fails the
 * run as AuthenticationFailed and leaves the mirror as it was, even when the searches answer as
 * the anonymous user with zero issues.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stopTestCluster } from '../env/cluster.ts';
import { cloneRepo } from '../git-server/cli.ts';
import { startController } from '../fixtures/controller.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';
import { startJiraEmulator } from '../jira-emulator/emulator.ts';
import type { JIRASync, JIRASyncSpec } from '../../controller/api/jirasync.ts';

const SEED = 7;
const PROJECTS = [{ key: 'PROJ', issues: 60 }];
const PATS = ['dc-pat-for-the-syncs-0001', 'dc-pat-that-will-expire-0002'];

t.teardown(stopTestCluster);
const world = await makeWorld(t, { mode: 'datacenter', seed: SEED, projects: PROJECTS, pats: PATS });
const cloud = await startJiraEmulator({ seed: SEED, projects: PROJECTS });
t.teardown(() => cloud.stop());

const secret = async (name: string, data: Record<string, string>): Promise<void> => {
  await world.core.createNamespacedSecret({ namespace: world.namespace, body: { metadata: { name, labels: { 'sync.jira.io/credentials': 'true' } }, stringData: data } });
};
await secret('jira-dc', { baseUrl: world.jira.url, token: PATS[0] });
await secret('jira-dc-expiring', { baseUrl: world.jira.url, token: PATS[1] });
await secret('jira-cloud', { baseUrl: cloud.url, email: cloud.email, apiToken: cloud.apiToken });

const ctl = await startController({
  kubeconfigPath: world.cluster.kubeconfigPath, namespace: world.namespace, watchNamespaces: [world.namespace], env: world.controllerEnv(),
});
t.teardown(() => ctl.stop());

const completed = (o: JIRASync): boolean => o.status?.phase === 'Completed';

/** Every file and symlink under projects/ of a clone: path → content, or → link target. */
async function tree(url: string): Promise<{ dir: string; files: Map<string, string> }> {
  const { dir } = await cloneRepo(world.git, url);
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) files.set(relative(dir, p), `-> ${readlinkSync(p)}`);
      else if (st.isDirectory()) walk(p);
      else files.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(join(dir, 'projects'));
  return { dir, files };
}

/**
 * Data Center names the sub-task type "Sub-task" where Cloud says "Subtask": Jira's own data, not
 * a rendering difference. The other allowed difference is how a person is identified (file format
 * 2): `accountId` on Cloud, `username` and `userKey` on Data Center; both are left out to compare.
 */
const USER_ID_LINE = /^\s+(accountId|username|userKey): .*\n/gm;
const asCloud = (text: string): string => text.replace(/^issuetype: Sub-task$/m, 'issuetype: Subtask').replace(USER_ID_LINE, '');
const withoutUserIds = (text: string | undefined): string | undefined => text?.replace(USER_ID_LINE, '');

/** Runs one spec against both Jiras; returns both trees once both are Completed. */
async function both(name: string, spec: Pick<JIRASyncSpec, 'syncType' | 'target'> & Partial<JIRASyncSpec>) {
  const dcUrl = await world.git.createRepo(`${name}-dc`);
  const cloudUrl = await world.git.createRepo(`${name}-cloud`);
  await world.apply(`${name}-dc`, { ...specFor(dcUrl, spec), jira: { secretRef: { name: 'jira-dc' } } });
  await world.apply(`${name}-cloud`, { ...specFor(cloudUrl, spec), jira: { secretRef: { name: 'jira-cloud' } } });
  const dcObj = await world.waitFor(`${name}-dc`, 'Completed', completed, 120_000);
  const cloudObj = await world.waitFor(`${name}-cloud`, 'Completed', completed, 120_000);
  return { dcObj, cloudObj, dcUrl, dc: await tree(dcUrl), cloud: { ...(await tree(cloudUrl)), url: cloudUrl } };
}

interface Asserts {
  same(a: unknown, b: unknown, m: string): unknown;
  match(a: string, re: RegExp, m: string): unknown;
  notMatch(a: string, re: RegExp, m: string): unknown;
}

function sameTrees(t: Asserts, dc: Map<string, string>, cl: Map<string, string>): void {
  t.same([...dc.keys()], [...cl.keys()], 'the same files and symlinks');
  const differing = [...dc].filter(([p, text]) => asCloud(text) !== withoutUserIds(cl.get(p))).map(([p]) => p);
  t.same(differing, [], 'every file has the same content as Cloud\'s but for how people are identified');
  const issueFiles = [...dc].filter(([p]) => /\/issues\/[^/]+\.yaml$/.test(p)).map(([, text]) => text);
  const people = issueFiles.join('\n');
  t.notMatch(people, /^\s+accountId: /m, 'no Cloud account id on Data Center');
  if (/^(assignee|reporter):\s*$/m.test(people)) t.match(people, /^\s+username: .*\n\s+userKey: JIRAUSER/m, 'Data Center people carry username and user key');
}

const epicKey = Array.from({ length: PROJECTS[0].issues }, (_, i) => `PROJ-${i + 1}`)
  .find((k) => world.jira.state.issue(k)?.type === 'Epic' && Array.from({ length: PROJECTS[0].issues }, (_, j) => world.jira.state.issue(`PROJ-${j + 1}`)).some((i) => i?.epic === k));

const cases: Array<[string, Pick<JIRASyncSpec, 'syncType' | 'target'>]> = [
  ['single', { syncType: 'single', target: { issueKeys: ['PROJ-3'] } }],
  ['jql', { syncType: 'jql', target: { jqlQuery: 'project = PROJ AND key in (PROJ-1, PROJ-2, PROJ-5, PROJ-8)' } }],
  ['project', { syncType: 'project', target: { projectKey: 'PROJ' } }],
  ['epic', { syncType: 'epic', target: { epicKey: epicKey ?? 'PROJ-1' } }],
];
for (const [name, spec] of cases) {
  t.test(`a ${name} sync reaches Completed against Data Center with the same files in git as against Cloud`, async (t) => {
    const r = await both(name, spec);
    t.equal(r.dcObj.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    t.equal(r.dcObj.status?.syncState?.totalIssues, r.cloudObj.status?.syncState?.totalIssues, 'the same number of issues');
    t.ok(r.dc.files.size > 0, `${r.dc.files.size} files and links`);
    sameTrees(t, r.dc.files, r.cloud.files);
    if (name === 'epic') {
      t.ok([...r.dc.files.keys()].some((p) => p.includes(`relationships/epic/${epicKey}/`)), 'epic relationships come from the Epic Link');
    }
  });
}

t.test('the Data Center requests were REST v2 only: serverInfo, myself, field, the classic search', async (t) => {
  const paths = new Set(world.jira.state.requestLog.map((e) => `${e.method} ${e.path.replace(/\/(PROJ-\d+)/, '/{key}')}`));
  t.ok([...paths].every((p) => /^(GET|POST) \/rest\/api\/2\//.test(p)), [...paths].join(', '));
  t.ok(paths.has('GET /rest/api/2/serverInfo'), 'the deployment was detected');
  t.ok(paths.has('POST /rest/api/2/search'), 'the classic search was used');
});

t.test('a refused PAT fails as AuthenticationFailed and leaves the mirror untouched, though searches answer "zero issues"', async (t) => {
  const url = await world.git.createRepo('expiring');
  await world.apply('expiring', { ...specFor(url, { syncType: 'project', target: { projectKey: 'PROJ' } }), jira: { secretRef: { name: 'jira-dc-expiring' } } });
  const first = await world.waitFor('expiring', 'Completed', completed, 120_000);
  const before = await tree(url);
  t.equal([...before.files.keys()].filter((p) => p.endsWith('.yaml')).length, PROJECTS[0].issues);
  const head = (dir: string): string => execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

  world.jira.state.expiredTokenMode();
  world.jira.state.expireToken(PATS[1]);
  t.teardown(() => {
    world.jira.state.expiredTokenMode(false);
    world.jira.state.expireToken(PATS[1], false);
  });
  await world.annotate('expiring', { 'sync.jira.io/requestedAt': 'after-expiry' });
  const failed = await world.waitFor('expiring', 'AuthenticationFailed', (o) =>
    o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False' && c.reason === 'AuthenticationFailed') === true, 120_000);
  t.not(failed.status?.phase, 'Completed');
  t.notOk(JSON.stringify(failed.status).includes(PATS[1]), 'the token is not in the status');
  const after = await tree(url);
  t.equal(head(after.dir), head(before.dir), 'no commit was pushed');
  t.equal(after.files.size, before.files.size, 'every file is still there');
  t.equal(first.status?.syncState?.lastCommit, failed.status?.syncState?.lastCommit);
});

t.test('an incremental sync follows a change through its cursor on Data Center as on Cloud', async (t) => {
  const spec = { syncType: 'incremental', target: { projectKey: 'PROJ' }, deletionScanInterval: '1s' } as const;
  const first = await both('incr', spec);
  sameTrees(t, first.dc.files, first.cloud.files);
  for (const emu of [world.jira, cloud]) {
    emu.state.updateIssue('PROJ-9', { summary: 'Changed for the incremental test', updated: Date.parse('2026-06-01T10:00:00Z') });
    emu.state.deleteIssue('PROJ-20');
  }
  for (const name of ['incr-dc', 'incr-cloud']) await world.annotate(name, { 'sync.jira.io/requestedAt': 'after-change' });
  const handled = (o: JIRASync): boolean => o.status?.lastHandledRequestedAt === 'after-change' && completed(o);
  const dcObj = await world.waitFor('incr-dc', 'request handled', handled, 120_000);
  await world.waitFor('incr-cloud', 'request handled', handled, 120_000);
  t.not(dcObj.status?.syncState?.lastCommit, first.dcObj.status?.syncState?.lastCommit, 'a new commit on Data Center');
  const dcTree = await tree(first.dcUrl);
  t.match(dcTree.files.get('projects/PROJ/issues/PROJ-9.yaml'), /summary: Changed for the incremental test/);
  t.notOk(dcTree.files.has('projects/PROJ/issues/PROJ-20.yaml'), 'the deleted issue is gone after the deletion scan');
  sameTrees(t, dcTree.files, (await tree(first.cloud.url)).files);
});
