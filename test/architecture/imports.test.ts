/**
 * The folder rules of docs/architecture.md, checked on the import statements of every file under
 * controller/: static `import … from`, `export … from` and side-effect imports, type imports included.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const CONTROLLER = join(ROOT, 'controller');

/** The module specifiers of a file's static imports and re-exports, in order. */
export function importSpecifiers(source: string): string[] {
  // Comments out first, so an apostrophe in one cannot hide an import. (A `//` inside a string
  // elsewhere only loses the rest of its line, never an import statement.)
  const noComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  const out: string[] = [];
  const re = /^\s*(?:import|export)\b(?:[^'";]*?\bfrom\s*)?\s*['"]([^'"]+)['"]/gm;
  for (const m of noComments.matchAll(re)) out.push(m[1]);
  return out;
}

/** A relative import resolved to a path under controller/ ('sync/engine.ts'), or undefined for packages and node: modules. */
function ours(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return relative(CONTROLLER, resolve(dirname(file), specifier)).split('\\').join('/');
}

const top = (p: string) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '');

/** Why `from` (a path under controller/) may not import `to`, or undefined when it may. */
export function violation(from: string, to: string): string | undefined {
  const a = top(from);
  const b = top(to);
  if (to.startsWith('..')) return 'imports from outside controller/';
  if (a === 'observability' && b !== 'observability') return 'observability/ is a leaf: it imports nothing of ours outside itself';
  if (a === 'status' && b !== 'status' && b !== 'api') return 'status/ imports only api/';
  if (a === 'api' && b !== 'api') return 'api/ imports nothing of ours outside itself';
  if (a === 'sync' && ['kube', 'reconcile', 'server', 'leader'].includes(b)) return 'sync/ runs without Kubernetes: no kube/, reconcile/, server/ or leader/';
  if ((a === 'jira' && b === 'git') || (a === 'git' && b === 'jira')) return 'jira/ and git/ know nothing of each other';
  return undefined;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

t.test('the import parser sees every static form, type imports and multi-line lists included', async (t) => {
  const src = [
    "import t from 'tap';",
    "import type { A } from '../api/a.ts';",
    "import {\n  b, // it's b\n  type C,\n} from \"../git/b.ts\";",
    "export { d } from './d.ts';",
    "export * from './e.ts';",
    "export type { F } from '../jira/f.ts';",
    "import './side-effect.ts';",
    "// import { g } from '../kube/g.ts';",
    "/* import { h } from '../kube/h.ts'; */",
    "const x = await import('./dynamic.ts');",
  ].join('\n');
  t.same(importSpecifiers(src), ['tap', '../api/a.ts', '../git/b.ts', './d.ts', './e.ts', '../jira/f.ts', './side-effect.ts']);
});

t.test('each folder rule rejects what it forbids and allows the rest', async (t) => {
  const cases: [string, string, boolean][] = [
    ['observability/metrics.ts', 'git/destination.ts', false],
    ['observability/metrics.ts', 'observability/tracing.ts', true],
    ['status/status.ts', 'api/reasons.ts', true],
    ['status/status.ts', 'sync/errors.ts', false],
    ['api/reasons.ts', 'observability/log.ts', false],
    ['api/fingerprint.ts', 'api/jirasync.ts', true],
    ['sync/engine.ts', 'jira/jql.ts', true],
    ['sync/engine.ts', 'kube/events.ts', false],
    ['sync/render/document.ts', 'reconcile/retry.ts', false],
    ['sync/engine.ts', 'leader/leader.ts', false],
    ['sync/engine.ts', 'server/server.ts', false],
    ['jira/source.ts', 'git/destination.ts', false],
    ['git/git.ts', 'jira/source.ts', false],
    ['git/git.ts', 'observability/log.ts', true],
    ['reconcile/reconciler.ts', 'kube/events.ts', true],
  ];
  for (const [from, to, allowed] of cases) t.equal(violation(from, to) === undefined, allowed, `${from} → ${to}: ${allowed ? 'allowed' : 'forbidden'}`);
});

t.test('no file under controller/ imports across a folder rule', async (t) => {
  const files = walk(CONTROLLER);
  t.ok(files.length > 50, `found ${files.length} files under controller/`);
  const found: string[] = [];
  for (const file of files) {
    const from = relative(CONTROLLER, file).split('\\').join('/');
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const to = ours(file, spec);
      if (to === undefined) continue;
      const why = violation(from, posix.normalize(to));
      if (why) found.push(`controller/${from} imports ${spec}: ${why}`);
    }
  }
  t.same(found, [], 'no forbidden imports');
});
