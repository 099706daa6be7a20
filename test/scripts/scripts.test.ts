/**
 * The shell tools in scripts/: shellcheck on every script, then the bats tests in test/scripts/
 * against the real API server (the run's control plane, or one started here), each bats test
 * reported as one assertion. A second control plane without the JIRASync CRD serves the
 * "CRD not installed" cases, so the shared CRD is never removed under other tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { testCluster, stopTestCluster } from '../env/cluster.ts';
import { startControlPlane } from '../env/controlplane.ts';
import { runBats, type BatsRun } from './bats-tap.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scriptsDir = join(root, 'scripts');
const batsDir = join(root, 'test', 'scripts');

// Each bats file runs in its own bats process, a few at a time: the tests spend most of their time
// waiting for kubectl and the API server, and every test works in namespaces of its own.
const PARALLEL_FILES = 3;
const BATS_FILE_TIMEOUT_MS = 8 * 60_000;
// The whole file: a control plane start, then the bats files in waves of PARALLEL_FILES.
t.setTimeout(20 * 60_000);

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
  t.ok(files.length >= 7, 'there is a bats file per tool, and one for what they share');
  const env = {
    ...process.env,
    KUBECONFIG: cluster.kubeconfigPath,
    JIRASYNC_NOCRD_KUBECONFIG: bare.kubeconfigPath,
    TMPDIR: tmp,
  };

  const runs = new Map<string, Promise<BatsRun>>();
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const run = runBats([file], env, BATS_FILE_TIMEOUT_MS);
      runs.set(file, run);
      await run.catch(() => undefined);
    }
  };
  const workers = Array.from({ length: PARALLEL_FILES }, worker);
  // Wait until every file has started, then report them in a fixed order.
  await Promise.all(workers);

  for (const file of files) {
    const run = await runs.get(file)!;
    await t.test(basename(file), async (t) => {
      for (const c of run.cases) {
        if (c.skip !== undefined) t.fail(`${c.name} (skipped: ${c.skip})`);
        else t.ok(c.ok, c.name, c.ok ? {} : { diagnostic: true, bats: c.diagnostics.join('\n') });
      }
      t.ok(run.plan !== undefined && run.plan > 0, 'bats planned some tests', { other: run.other.join('\n') });
      t.equal(run.cases.length, run.plan, 'bats ran every planned test', { other: run.other.join('\n') });
      t.equal(run.exitCode, 0, 'bats exits 0', { other: run.other.join('\n') });
    });
  }
});
