/**
 * The control plane a test file uses. `npm test` starts one for the whole run and passes its
 * kubeconfig in JIRASYNC_TEST_KUBECONFIG; a test file run on its own starts a private one.
 * Namespaces isolate tests from each other.
 */
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './controlplane.ts';
import { kubeConfigWithCrd } from './crd.ts';

export interface TestCluster {
  kubeconfigPath: string;
  kc: k8s.KubeConfig;
  /** Creates a fresh namespace named from the prefix and a random suffix. */
  newNamespace(prefix?: string): Promise<string>;
}

let shared: Promise<TestCluster> | undefined;
let own: ControlPlane | undefined;

/** The control plane for this test process, with the JIRASync CRD installed. */
export function testCluster(): Promise<TestCluster> {
  shared ??= open();
  return shared;
}

/** Stops the control plane this process started itself (none when the run provided one). */
export async function stopTestCluster(): Promise<void> {
  await own?.stop();
  own = undefined;
  shared = undefined;
}

async function open(): Promise<TestCluster> {
  let kubeconfigPath = process.env.JIRASYNC_TEST_KUBECONFIG;
  if (!kubeconfigPath) {
    own = await startControlPlane();
    kubeconfigPath = own.kubeconfigPath;
  }
  const kc = await kubeConfigWithCrd(kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return {
    kubeconfigPath,
    kc,
    async newNamespace(prefix = 't') {
      const name = `${prefix}-${randomBytes(4).toString('hex')}`.toLowerCase();
      await core.createNamespace({ body: { metadata: { name, labels: { 'jirasync.test/run': 'true' } } } });
      return name;
    },
  };
}
