/**
 * The JIRASync informer against a real API server that is restarted mid-run: nothing created
 * after the restart is missed, and a periodic re-list reports only objects that changed.
 */
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { GROUP, PLURAL, VERSION, type JIRASync } from '../../controller/api/jirasync.ts';
import { JIRASyncInformer } from '../../controller/kube/informer.ts';
import { createLogger } from '../../controller/observability/log.ts';
import { createMetrics } from '../../controller/observability/metrics.ts';
import { startControlPlane } from '../env/controlplane.ts';
import { kubeConfigWithCrd } from '../env/crd.ts';
import { eventually } from '../fixtures/eventually.ts';
import { jirasync } from '../fixtures/jirasync.ts';
import { Writable } from 'node:stream';

const cp = await startControlPlane();
t.teardown(() => cp.stop());
const kc = await kubeConfigWithCrd(cp.kubeconfigPath);
const api = kc.makeApiClient(k8s.CustomObjectsApi);
const create = (name: string) => api.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, body: jirasync(name, 'default') });
const quiet = createLogger({ level: 'error', destination: new Writable({ write: (_c, _e, cb) => cb() }) });


t.test('events after an API server restart are not missed', async (t) => {
  const events: string[] = [];
  const metrics = createMetrics();
  const informer = new JIRASyncInformer({ kc, log: quiet, metrics, silenceSeconds: 20, onEvent: (type, obj: JIRASync) => events.push(`${type} ${obj.metadata.name}`) });
  await create('before');
  await informer.start();
  t.teardown(() => informer.stop());
  t.ok(informer.hasSynced(), 'synced after start');
  t.same(events, ['ADDED before']);
  await create('live');
  await eventually('live ADDED', () => events.includes('ADDED live'));
  await cp.restartApiServer();
  await create('after-restart');
  await eventually('after-restart ADDED', () => events.includes('ADDED after-restart'));
  t.pass('an object created after the restart was seen');
  t.equal(informer.list().length, 3);
  const restarts = (await metrics.watchRestarts.get()).values.reduce((n, v) => n + v.value, 0);
  t.ok(restarts >= 1, `the watch restarted (${restarts})`);
});

t.test('a re-list reports only objects that changed, and deletions missed while away', async (t) => {
  const events: string[] = [];
  const informer = new JIRASyncInformer({ kc, log: quiet, relistSeconds: 2, onEvent: (type, obj: JIRASync) => events.push(`${type} ${obj.metadata.name}`) });
  await informer.start();
  t.teardown(() => informer.stop());
  await sleep(2500);
  t.notOk(events.some((e) => e.startsWith('MODIFIED')), 'an unchanged object is not reported by a re-list');
  await api.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'default', plural: PLURAL, name: 'before' });
  await eventually('DELETED before', () => events.includes('DELETED before'));
  t.equal(informer.get('default', 'before'), undefined);
});

t.test('a list in pages sees every object, and the watch goes on from the snapshot it read', async (t) => {
  const names = Array.from({ length: 7 }, (_, i) => `paged-${i}`);
  await Promise.all(names.map((n) => create(n)));
  const events: string[] = [];
  const informer = new JIRASyncInformer({ kc, log: quiet, listPage: 3, onEvent: (type, obj: JIRASync) => events.push(`${type} ${obj.metadata.name}`) });
  await informer.start();
  t.teardown(() => informer.stop());
  for (const n of names) t.ok(informer.get('default', n), `${n} listed (pages of 3)`);
  await create('paged-after');
  await eventually('paged-after ADDED', () => events.includes('ADDED paged-after'));
  t.equal(events.filter((e) => e === 'ADDED paged-after').length, 1, 'seen once, by the watch');
});
