import t from 'tap';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartDir, repoRoot } from './helm.ts';

// The alert rules and dashboards have one source of truth at the repository root; the chart holds
// copies because Helm cannot read outside its folder. These tests fail while the two differ.
const pairs = [
  { original: join(repoRoot, 'alerts'), copy: join(chartDir, 'files', 'alerts'), match: (f: string) => f.endsWith('.rules.yaml') },
  { original: join(repoRoot, 'dashboards'), copy: join(chartDir, 'files', 'dashboards'), match: (f: string) => f.endsWith('.json') },
];
const list = (dir: string, match: (f: string) => boolean) => (existsSync(dir) ? readdirSync(dir).filter(match).sort() : []);

for (const p of pairs) {
  t.test(`the chart's copy of ${p.original.slice(repoRoot.length)} is byte-for-byte the original (run charts/jirasync/sync-files.sh)`, async (t) => {
    const originals = list(p.original, p.match);
    const copies = list(p.copy, p.match);
    t.ok(originals.length > 0, 'there are originals');
    t.same(copies, originals, 'the same file names');
    for (const f of originals.filter((f) => copies.includes(f))) {
      t.ok(readFileSync(join(p.copy, f)).equals(readFileSync(join(p.original, f))), `${f} is identical`);
    }
  });
}

t.test('sync-files.sh --check agrees that nothing differs, and shellcheck finds nothing in it', async (t) => {
  const check = spawnSync(join(chartDir, 'sync-files.sh'), ['--check'], { encoding: 'utf8' });
  t.equal(check.status, 0, check.stdout + check.stderr);
  const sc = spawnSync('shellcheck', [join(chartDir, 'sync-files.sh')], { encoding: 'utf8' });
  t.equal(sc.status, 0, sc.stdout + sc.stderr);
});

t.test('sync-files.sh reports a changed, a new and a removed original, then copies them so --check passes', async (t) => {
  // A throwaway repository layout, so the real chart is never touched.
  const root = mkdtempSync(join(tmpdir(), 'jirasync-sync-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'charts'), { recursive: true });
  cpSync(join(chartDir, 'sync-files.sh'), join(root, 'charts', 'jirasync', 'sync-files.sh'));
  mkdirSync(join(root, 'alerts'));
  mkdirSync(join(root, 'dashboards'));
  writeFileSync(join(root, 'alerts', 'a.rules.yaml'), 'groups: []\n');
  writeFileSync(join(root, 'alerts', 'a.rules.test.yaml'), 'tests: []\n');
  writeFileSync(join(root, 'dashboards', 'one.json'), '{}\n');
  const script = join(root, 'charts', 'jirasync', 'sync-files.sh');
  const run = (...args: string[]) => spawnSync(script, args, { encoding: 'utf8' });

  t.equal(run().status, 0, 'the first sync copies');
  t.equal(run('--check').status, 0, 'then nothing differs');
  const files = join(root, 'charts', 'jirasync', 'files');
  t.notOk(existsSync(join(files, 'alerts', 'a.rules.test.yaml')), 'promtool test files are not copied');

  appendFileSync(join(root, 'alerts', 'a.rules.yaml'), '# changed\n');
  writeFileSync(join(root, 'dashboards', 'two.json'), '{"a":1}\n');
  rmSync(join(root, 'dashboards', 'one.json'));
  const drift = run('--check');
  t.equal(drift.status, 1, 'drift is a failure');
  t.match(drift.stdout, 'differs: charts/jirasync/files/alerts/a.rules.yaml');
  t.match(drift.stdout, 'differs: charts/jirasync/files/dashboards/two.json');
  t.match(drift.stdout, 'stale: charts/jirasync/files/dashboards/one.json');
  t.match(drift.stderr, 'run charts/jirasync/sync-files.sh');

  t.equal(run().status, 0);
  t.equal(run('--check').status, 0, 'after syncing nothing differs');
  t.same(readdirSync(join(files, 'dashboards')).sort(), ['two.json']);
});
