/**
 * The shell tools in scripts/: shellcheck on every script, then the bats tests in test/scripts/
 * against the real API server (the run's control plane, or one started here), each bats test
 * reported as one assertion. A second control plane without the JIRASync CRD serves the
 * "CRD not installed" cases, so the shared CRD is never removed under other tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { testCluster, stopTestCluster } from '../env/cluster.ts';
import { startControlPlane } from '../env/controlplane.ts';
import { runBats } from './bats-tap.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scriptsDir = join(root, 'scripts');
const batsDir = join(root, 'test', 'scripts');

// bats runs the files one after another; the whole suite takes a few minutes on a busy machine.
const BATS_TIMEOUT_MS = 15 * 60_000;
t.setTimeout(BATS_TIMEOUT_MS + 3 * 60_000);

const shellFiles = [
  ...readdirSync(scriptsDir).filter((f) => f.endsWith('.sh')).map((f) => join('scripts', f)),
  ...readdirSync(join(scriptsDir, 'lib')).filter((f) => f.endsWith('.sh')).map((f) => join('scripts', 'lib', f)),
  join('test', 'scripts', 'helpers.bash'),
];

for (const file of shellFiles) {
  t.test(`shellcheck finds nothing in ${file}`, async (t) => {
    const res = spawnSync('shellcheck', [file], { cwd: root, encoding: 'utf8' });
    t.equal(res.error, undefined, 'shellcheck runs');
    t.equal(res.status, 0, res.stdout || res.stderr);
  });
}

t.test('bats tests of the shell tools against the real API server', async (t) => {
  const cluster = await testCluster();
  t.teardown(stopTestCluster);
  const bare = await startControlPlane();
  t.teardown(() => bare.stop());
  const tmp = mkdtempSync(join(tmpdir(), 'jirasync-bats-'));
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

  const files = readdirSync(batsDir).filter((f) => f.endsWith('.bats')).sort().map((f) => join(batsDir, f));
  t.ok(files.length >= 6, 'there is a bats file per tool');
  const run = await runBats(files, {
    ...process.env,
    KUBECONFIG: cluster.kubeconfigPath,
    JIRASYNC_NOCRD_KUBECONFIG: bare.kubeconfigPath,
    TMPDIR: tmp,
  }, BATS_TIMEOUT_MS);

  for (const c of run.cases) {
    if (c.skip !== undefined) t.fail(`${c.name} (skipped: ${c.skip})`);
    else t.ok(c.ok, c.name, c.ok ? {} : { diagnostic: true, bats: c.diagnostics.join('\n') });
  }
  t.equal(run.cases.length, run.plan, 'bats ran every planned test', { other: run.other.join('\n') });
  t.equal(run.exitCode, 0, 'bats exits 0', { other: run.other.join('\n') });
});
