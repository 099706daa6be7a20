import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where test/env/setup.sh caches the Go-built binaries. */
export const testbinDir =
  process.env.JIRASYNC_TESTBIN ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'jirasync', 'testbin');

export interface TestBinaries {
  KUBE_APISERVER: string;
  ETCD: string;
  HELM: string;
}

/** Paths of kube-apiserver, etcd and helm, as recorded by the last successful setup.sh. */
export function testBinaries(): TestBinaries {
  let text: string;
  try {
    text = readFileSync(join(testbinDir, 'current.env'), 'utf8');
  } catch {
    throw new Error(`test binaries not found in ${testbinDir}: run 'npm run setup' (test/env/setup.sh) first`);
  }
  const env = Object.fromEntries(
    text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { KUBE_APISERVER: env.KUBE_APISERVER, ETCD: env.ETCD, HELM: env.HELM };
}
