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
  /** The chart linters (test/chart/linters.test.ts); empty when the cache predates them. */
  KUBE_SCORE: string;
  KUBECONFORM: string;
}

/** Paths of kube-apiserver, etcd, helm, kube-score and kubeconform, as recorded by the last successful setup.sh. */
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
  // The linters may be missing from a current.env written by an older setup.sh (the cache is shared
  // between checkouts); only the tests that run them need them, and they ask through linterBinary().
  return {
    KUBE_APISERVER: env.KUBE_APISERVER,
    ETCD: env.ETCD,
    HELM: env.HELM,
    KUBE_SCORE: env.KUBE_SCORE ?? '',
    KUBECONFORM: env.KUBECONFORM ?? '',
  };
}

/** The path of kube-score or kubeconform; throws with what to run when setup.sh has not built it. */
export function linterBinary(name: 'KUBE_SCORE' | 'KUBECONFORM'): string {
  const path = testBinaries()[name];
  if (!path) throw new Error(`${name} is not in ${join(testbinDir, 'current.env')}: run 'npm run setup' (test/env/setup.sh) again`);
  return path;
}
