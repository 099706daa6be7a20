/**
 * Two controller processes on two shards against the real API server: the default shard
 * (SHARDS=a) and shard a. Each JIRASync is run by exactly one of them — the one its
 * sync.jira.io/shard label names (unlabelled and unknown shards: the default) — each shard holds
 * its own Lease, and series carry the shard. Killing shard a's only replica stops shard a's
 * syncs and nothing else; relabelling a JIRASync moves it to the other shard.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, REQUESTED_AT_ANNOTATION, VERSION, type JIRASync } from '../../controller/api/jirasync.ts';
import { SHARD_LABEL } from '../../controller/api/shard.ts';
import { stopTestCluster } from '../env/cluster.ts';
import { startController, type ControllerProcess } from '../fixtures/controller.ts';
import { makeWorld, specFor } from '../fixtures/world.ts';

t.teardown(stopTestCluster);
const world = await makeWorld(t, { seed: 61, projects: [{ key: 'PROJ', issues: 6 }] });
const { namespace } = world;
const coord = world.cluster.kc.makeApiClient(k8s.CoordinationV1Api);
const ref = { group: GROUP, version: VERSION, namespace, plural: PLURAL };
const label = (name: string, shard: string | null) =>
  world.objects.patchNamespacedCustomObject({ ...ref, name, body: { metadata: { labels: { [SHARD_LABEL]: shard } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));

// The syncs exist, labelled, before any controller starts: no moment where the wrong shard sees them.
const syncs: Record<string, string | null> = { 'plain-1': null, 'plain-2': null, 'typo': 'no-such-shard', 'east-1': 'a', 'east-2': 'a' };
for (const [name, shard] of Object.entries(syncs)) {
  await world.apply(name, specFor(await world.git.createRepo(name), { syncType: 'single', target: { issueKeys: ['PROJ-1'] } }));
  if (shard) await label(name, shard);
}
const common = { kubeconfigPath: world.cluster.kubeconfigPath, namespace, watchNamespaces: [namespace] };
const def = await startController({ ...common, name: 'shard-default', env: { ...world.controllerEnv(), SHARDS: 'a' } });
const east = await startController({ ...common, name: 'shard-a', env: { ...world.controllerEnv(), SHARD: 'a' } });
t.teardown(() => Promise.all([def.stop(), east.stop()]));
const ranBy = (c: ControllerProcess, name: string) => c.logs.filter((l) => l.msg === 'sync completed' && l.name === name).length;
const completed = (o: JIRASync) => o.status?.phase === 'Completed';

t.test('each JIRASync is run by exactly the shard its label names', async (t) => {
  for (const name of Object.keys(syncs)) await world.waitFor(name, 'Completed', completed);
  for (const [name, shard] of Object.entries(syncs)) {
    const owner = shard === 'a' ? east : def;
    const other = owner === east ? def : east;
    t.equal(ranBy(owner, name), 1, `${name} (${shard ?? 'no label'}) ran once on ${owner.name}`);
    t.equal(ranBy(other, name), 0, `${name} never ran on ${other.name}`);
  }
});

t.test('each shard holds its own Lease', async (t) => {
  const holder = async (name: string) => (await coord.readNamespacedLease({ name, namespace })).spec?.holderIdentity ?? '';
  t.match(await holder('jirasync-leader'), /^shard-default_/);
  t.match(await holder('jirasync-leader-a'), /^shard-a_/);
});

t.test('every series carries the shard', async (t) => {
  const [d, a] = await Promise.all([def, east].map(async (c) => (await fetch(`${c.url}/metrics`)).text()));
  t.match(d, /jirasync_leader\{[^}]*shard="default"[^}]*\} 1/);
  t.match(a, /jirasync_leader\{[^}]*shard="a"[^}]*\} 1/);
  t.match(a, /jirasync_phase_info\{[^}]*name="east-1"[^}]*shard="a"|jirasync_phase_info\{[^}]*shard="a"[^}]*name="east-1"/);
  t.notMatch(a, /name="plain-1"/, 'shard a exports nothing of the default shard\'s syncs');
});

t.test('killing shard a\'s leader stops shard a\'s syncs only', async (t) => {
  await east.stop('SIGKILL');
  let n = 0;
  const request = async (name: string) => {
    const value = `r${++n}`;
    await world.annotate(name, { [REQUESTED_AT_ANNOTATION]: value });
    return value;
  };
  const eastAsked = await request('east-1');
  const plainAsked = await request('plain-1');
  await world.waitFor('plain-1', 'the requested run on the default shard', (o) => o.status?.lastHandledRequestedAt === plainAsked && completed(o));
  // Well past the default shard's handling of plain-1: east-1 is still waiting for its own shard.
  await new Promise((r) => setTimeout(r, 3000));
  t.not((await world.get('east-1')).status?.lastHandledRequestedAt, eastAsked, 'shard a\'s sync was not taken over by the default shard');
  t.equal(ranBy(def, 'east-1'), 0);
  t.equal(ranBy(def, 'plain-1'), 2, 'the default shard went on');

  // Moving a JIRASync: a new label, and the other shard runs the pending request.
  await label('east-1', null);
  await world.waitFor('east-1', 'run by the default shard after the move', (o) => o.status?.lastHandledRequestedAt === eastAsked && completed(o));
  t.equal(ranBy(def, 'east-1'), 1, 'the default shard picked it up once');
});
