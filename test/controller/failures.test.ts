/**
 * Failures end in Failed after the configured retries with the configured delays, with the
 * cause's reason in the Ready condition and the Warning Event: a missing Secret, bad Jira
 * credentials, a repository that does not exist. When the sync's own Jira connection works, the
 * tracking issue gets exactly one comment and the fallback transition; when it does not, nothing
 * is reported (never with another identity).
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JIRASync } from '../../controller/api/jirasync.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { startController } from '../fixtures/controller.ts';
import { eventually } from '../fixtures/eventually.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 11, projects: [{ key: 'PROJ', issues: 10 }, { key: 'OPS', issues: 5 }] });
// The OPS workflow has no "Failed": the report must fall back to "Blocked".
world.jira.state.setWorkflow('OPS', [{ name: 'Block', to: 'Blocked' }, { name: 'Start', to: 'In Progress' }]);
await world.core.createNamespacedSecret({ namespace: world.namespace, body: { metadata: { name: 'jira-bad', labels: { 'sync.jira.io/credentials': 'true' } }, stringData: { baseUrl: world.jira.url, email: world.jira.email, apiToken: 'wrong-token-0123456789' } } });
const ctl = await startController({
  kubeconfigPath: world.cluster.kubeconfigPath, namespace: world.namespace, watchNamespaces: [world.namespace], env: world.controllerEnv(),
});
t.teardown(() => ctl.stop());
const settled = (o: JIRASync) => o.status?.phase === 'Failed' && ['Reported', 'Skipped'].includes(o.status?.jiraReport?.state ?? '');

const cases = [
  { name: 'no-secret', issue: 'OPS-1', spec: { jira: { secretRef: { name: 'does-not-exist' } } }, error: /Secret .*does-not-exist not found/, reason: 'SecretNotFound', reported: false },
  { name: 'bad-creds', issue: 'OPS-2', spec: { jira: { secretRef: { name: 'jira-bad' } } }, error: /Jira.*(auth|401|credentials)/i, reason: 'AuthenticationFailed', reported: false },
  { name: 'no-repo', issue: 'OPS-3', repo: 'missing', spec: {}, error: /not found|does not exist|404/i, reason: 'GitRepositoryNotFound', reported: true },
];

for (const c of cases) {
  t.test(`${c.name}: Failed with ${c.reason} after the configured retries${c.reported ? ', one Jira comment, fallback transition' : ', nothing reported'}`, async (t) => {
    const url = c.repo ? `${world.git.baseUrl}/${c.repo}.git` : await world.git.createRepo(c.name);
    const spec = specFor(url, {
      syncType: 'single', target: { issueKeys: ['PROJ-1'] },
      retryPolicy: { maxRetries: 2, initialDelay: 1, backoffMultiplier: 2 },
      failurePolicy: { issueKey: c.issue, transitionTo: ['Failed', 'Blocked'] },
      ...c.spec,
    });
    const started = Date.now();
    await world.apply(c.name, spec);
    const obj = await world.waitFor(c.name, 'Failed and the report settled', settled);
    const elapsed = (Date.now() - started) / 1000;
    t.ok(elapsed >= 3, `retries waited 1 s then 2 s (${elapsed.toFixed(1)} s in all)`);
    t.equal(obj.status?.retryCount, 3, 'three consecutive failures: the first run and two retries');
    t.match(obj.status?.lastError ?? '', c.error);
    const stalled = obj.status?.conditions?.find((x) => x.type === 'Stalled');
    t.equal(stalled?.status, 'True');
    t.equal(stalled?.reason, 'RetriesExhausted');
    t.equal(obj.status?.conditions?.find((x) => x.type === 'Ready')?.reason, c.reason, 'Ready names the cause');
    const events = await world.events(c.name);
    t.equal(events.filter((e) => e.reason === 'RetryScheduled').length, 2, 'two RetryScheduled events', { events: events.map((e) => `${e.reason} x${e.count ?? 1}: ${e.message}`) });
    t.ok(events.some((e) => e.reason === c.reason && e.type === 'Warning'), `${c.reason} warning`);
    if (!c.reported) {
      t.equal(obj.status?.jiraReport?.state, 'Skipped', 'not reported: the sync has no working Jira identity of its own');
      await sleep(1000);
      t.equal(world.jira.state.comments(c.issue).length, 0, 'no comment with any other identity');
      return;
    }
    // The Event follows the status write that records the report: wait for it rather than race it.
    await eventually('a JiraUpdated event', async () => (await world.events(c.name)).some((e) => e.reason === 'JiraUpdated'), { timeoutMs: 15_000 });
    t.pass('JiraUpdated event');

    // A restart of reconciling (request annotation handled → a new episode would be new; here: nothing new) must not comment twice.
    await sleep(2000);
    const comments = world.jira.state.comments(c.issue);
    t.equal(comments.length, 1, 'exactly one comment');
    t.match(JSON.stringify(comments[0]), new RegExp(`${world.namespace}/${c.name}`), 'the comment names the JIRASync');
    t.notMatch(JSON.stringify(comments[0]), /wrong-token-0123456789/, 'the comment carries no secret');
    t.equal(world.jira.state.issue(c.issue)?.status, 'Blocked', 'transitioned to the fallback status');
  });
}
