/**
 * The README cannot rot: every fenced shell block is either run here against the real API server
 * (`<!-- run -->`) or names the test that runs the same steps (`<!-- covered-by: PATH -->`, which
 * must exist), and every `<!-- apply -->` YAML block is applied with kubectl and accepted.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopTestCluster, testCluster } from '../env/cluster.ts';
import { testBinaries } from '../env/testbin.ts';
import { fencedBlocks, toolSamples } from './markdown.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

const all = fencedBlocks(readme);
t.teardown(stopTestCluster);

t.test('every shell block is run here or names the test that covers it', async (t) => {
  const shell = all.filter((b) => b.lang === 'sh');
  t.ok(shell.length >= 4, 'the README shows commands');
  for (const b of shell) {
    const covered = b.marker?.match(/^covered-by:\s*(\S+)$/)?.[1];
    t.ok(b.marker === 'run' || (covered && existsSync(`${root}${covered}`)), `block at line ${b.line} is run or covered (${b.marker ?? 'no marker'})`);
  }
});

t.test('every console block is a tool sample the sandbox smoke test checks', async (t) => {
  const consoles = all.filter((b) => b.lang === 'console');
  t.same(consoles.filter((b) => !b.marker?.startsWith('sample: sandbox')).map((b) => b.line), [], 'all marked "sample: sandbox"');
  const tools = new Set(toolSamples(readme).map((s) => /^scripts\/([\w-]+\.sh)/.exec(s.command)?.[1]));
  for (const tool of ['monitor-sync.sh', 'health-check.sh', 'watch-conditions.sh', 'status-summary.sh', 'troubleshoot.sh', 'sync-now.sh']) {
    t.ok(tools.has(tool), `the README shows ${tool} on a real run`);
  }
});

t.test('the marked commands run against the real API server', async (t) => {
  const cluster = await testCluster();
  const env = {
    ...process.env,
    KUBECONFIG: cluster.kubeconfigPath,
    PATH: `${dirname(testBinaries().HELM)}:${process.env.PATH}`,
    JIRA_API_TOKEN: 'readme-jira-token',
    GIT_TOKEN: 'readme-git-token',
  };
  const run = all.filter((b) => b.lang === 'sh' && b.marker === 'run');
  t.ok(run.length >= 2, 'install and Secret commands are run');
  for (const b of run) {
    const out = execFileSync('bash', ['-euo', 'pipefail', '-c', b.body], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    t.pass(`block at line ${b.line} ran: ${out.split('\n')[0]}`);
  }
  const kubectl = (...args: string[]) => execFileSync('kubectl', args, { env, encoding: 'utf8' });
  t.match(kubectl('-n', 'jirasync-system', 'get', 'deployment', '-o', 'name'), /deployment.apps\/jirasync/, 'the chart was installed');
  t.match(kubectl('-n', 'team-a', 'get', 'secret', 'jira', 'git', '-o', 'name'), /secret\/jira\nsecret\/git/, 'the Secrets exist');
});

t.test('every example manifest applies', async (t) => {
  const cluster = await testCluster();
  const ns = await cluster.newNamespace('readme');
  const manifests = all.filter((b) => b.marker === 'apply');
  t.ok(manifests.length >= 1, 'the README has example manifests');
  for (const b of manifests) {
    const out = execFileSync('kubectl', ['--kubeconfig', cluster.kubeconfigPath, '-n', ns, 'apply', '-f', '-'], { input: b.body, encoding: 'utf8' });
    const created = out.trim().split('\n');
    t.ok(created.every((l) => / created$/.test(l)), `block at line ${b.line}: ${created.join('; ')}`);
  }
  const types = execFileSync('kubectl', ['--kubeconfig', cluster.kubeconfigPath, '-n', ns, 'get', 'jirasync', '-o', 'jsonpath={.items[*].spec.syncType}'], { encoding: 'utf8' });
  t.same([...new Set(types.split(' '))].sort(), ['batch', 'epic', 'incremental', 'jql', 'project', 'single'], 'an example for every sync type');
});
