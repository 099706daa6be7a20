/**
 * One election candidate as its own process, for tests that kill processes for real.
 * Usage: node test/leader/candidate-process.ts KUBECONFIG NAMESPACE LEASE IDENTITY
 * Prints one JSON line per callback on stdout ({"event":"started"|"stopped"|"new-leader"|"released"});
 * logs go to stderr. SIGTERM releases the Lease and exits 0.
 */
import * as k8s from '@kubernetes/client-node';
import { LeaderElector } from '../../controller/leader/leader.ts';
import { createLogger } from '../../controller/observability/log.ts';
import { FAST } from './candidates.ts';

const [kubeconfig, namespace, name, identity] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const say = (event: string, extra: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, identity, ...extra })}\n`);
};

const elector = new LeaderElector(
  { kc, namespace, name, identity, ...FAST, log: createLogger({ destination: process.stderr }) },
  {
    onStartedLeading: () => say('started'),
    onStoppedLeading: () => say('stopped'),
    onNewLeader: (leader) => say('new-leader', { leader }),
  },
);
process.once('SIGTERM', () => {
  void elector.release().then(() => {
    say('released');
    process.exit(0);
  });
});
elector.start();
say('ready');
