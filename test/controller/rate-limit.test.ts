/**
 * Rate limits are waited out, not counted: a storm of 429s long enough to outlast the Jira layer's
 * own waiting several times over ends Completed with retryCount 0, although retryPolicy allows a
 * single retry. Each run the storm cuts short is Pending with reason RateLimited.
 */
import t from 'tap';
import type { JIRASync } from '../../controller/api/jirasync.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { startController } from '../fixtures/controller.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 23, projects: [{ key: 'PROJ', issues: 12 }] });
const ctl = await startController({
  kubeconfigPath: world.cluster.kubeconfigPath, namespace: world.namespace, watchNamespaces: [world.namespace], env: world.controllerEnv(),
});
t.teardown(() => ctl.stop());

t.test('a 429 storm ends Completed with retryCount 0 and RateLimited waits on the way', async (t) => {
  // The layer waits out 8 429s per call (DEFAULT_RETRY); 20 in a row end at least two runs early.
  world.jira.state.rateLimit({ retryAfter: 1, forRequests: 20 });
  const url = await world.git.createRepo('storm');
  await world.apply('storm', specFor(url, {
    syncType: 'project', target: { projectKey: 'PROJ' },
    retryPolicy: { maxRetries: 1, initialDelay: 1, backoffMultiplier: 1 },
  }));
  const seen = new Set<string>();
  const done = await world.waitFor('storm', 'Completed after the storm', (o: JIRASync) => {
    const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
    if (o.status?.phase === 'Pending' && ready?.reason) seen.add(`${ready.reason} retryCount=${o.status.retryCount ?? 0}`);
    return o.status?.phase === 'Completed';
  }, 180_000);
  t.equal(done.status?.retryCount, 0, 'no retry was counted');
  t.equal(done.status?.syncState?.successfulIssues, 12);
  const events = await world.events('storm');
  const waits = events.filter((e) => e.reason === 'RateLimited' && e.type === 'Warning');
  t.ok(waits.reduce((n, e) => n + (e.count ?? 1), 0) >= 2, 'at least two runs were cut short by the rate limit', { events: events.map((e) => `${e.reason}: ${e.message}`), seen: [...seen] });
  t.ok(events.some((e) => e.reason === 'RetryScheduled' && /not counted as a retry/.test(e.message ?? '')), 'the waits say they are not retries');
  t.ok(world.jira.state.faults().stats.rateLimited >= 20, 'the storm happened');
});
