/**
 * Starts the local control plane for a person (or for test/run-all.sh) and keeps it running until
 * SIGINT/SIGTERM. Usage: npm run controlplane -- [--dir DIR] [--state-file FILE]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startControlPlane } from './controlplane.ts';
import { kubeConfigWithCrd } from './crd.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    'state-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npm run controlplane -- [--dir DIR] [--state-file FILE]\n' +
    'Starts etcd and kube-apiserver on 127.0.0.1, installs the JIRASync CRD, prints the kubeconfig path,\n' +
    'and runs until interrupted. --dir keeps data between runs; --state-file gets {server,kubeconfigPath} as JSON.');
  process.exit(0);
}

const cp = await startControlPlane({ dir: values.dir, log: (l) => console.error(`[controlplane] ${l}`) });
await kubeConfigWithCrd(cp.kubeconfigPath);
if (values['state-file']) {
  writeFileSync(values['state-file'], JSON.stringify({ server: cp.server, kubeconfigPath: cp.kubeconfigPath, dir: cp.dir }));
}
console.error(`[controlplane] ready; export KUBECONFIG=${cp.kubeconfigPath}`);
const stop = async () => {
  await cp.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
