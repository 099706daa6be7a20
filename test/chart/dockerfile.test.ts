import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { chartDir, repoRoot } from './helm.ts';

// No Docker engine runs here, so the Dockerfile is checked by reading it: what it copies exists,
// the runtime stage gets production dependencies only, and what it copies is enough to run the
// controller (no import reaches outside controller/ or into a dev dependency).

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
// Continuation lines joined, comments dropped.
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

interface Stage {
  name: string;
  from: string;
  lines: string[];
}
const stages: Stage[] = [];
for (const line of instructions) {
  const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
  if (from) stages.push({ from: from[1], name: from[2] ?? String(stages.length), lines: [] });
  else stages.at(-1)?.lines.push(line);
}
const runtime = stages.at(-1)!;

t.test('the Dockerfile is multi-stage on a Node 24 image whose version is the node devDependency', async (t) => {
  t.ok(stages.length >= 2, `${stages.length} stages`);
  const argVersion = /^ARG NODE_VERSION=(\S+)/m.exec(dockerfile)?.[1];
  t.equal(argVersion, pkg.devDependencies.node, 'NODE_VERSION equals the pinned node in package.json');
  t.match(argVersion, /^24\./, 'Node 24');
  for (const s of stages) t.match(s.from, /^node:\$\{NODE_VERSION\}-/, `stage ${s.name} uses the official Node image at NODE_VERSION`);
});

t.test('the runtime stage runs node controller/main.ts as a numeric non-root user', async (t) => {
  const user = runtime.lines.filter((l) => /^USER\s/i.test(l)).at(-1);
  t.match(user, /^USER\s+[1-9]\d*(:\d+)?$/, 'a numeric, non-zero user (so runAsNonRoot can be verified)');
  t.equal(user?.split(/\s+/)[1].split(':')[0], '65532', 'the user the chart runs as');
  const entry = runtime.lines.find((l) => /^ENTRYPOINT\s/i.test(l));
  t.same(JSON.parse(entry!.replace(/^ENTRYPOINT\s+/i, '')), ['node', '--max-semi-space-size=1', '--expose-gc', 'controller/main.ts'], 'node with the memory flags (see controller/heap.ts) runs the controller');
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { podSecurityContext: { runAsUser: number } };
  t.equal(values.podSecurityContext.runAsUser, 65532, 'the chart runs as the image user');
});

t.test('dependencies are installed with npm ci --omit=dev, and nothing in the runtime stage installs any', async (t) => {
  const installs = stages.flatMap((s) => s.lines.filter((l) => /\bnpm\s+(ci|install|i)\b/.test(l)).map((l) => ({ stage: s.name, l })));
  t.ok(installs.length > 0, 'an npm install exists');
  for (const i of installs) {
    t.match(i.l, /\bnpm ci\b/, `${i.stage}: npm ci (the lockfile decides)`);
    t.match(i.l, /--omit=dev\b/, `${i.stage}: without dev dependencies`);
    t.not(i.stage, runtime.name, 'not in the runtime stage');
  }
  t.notMatch(runtime.lines.join('\n'), /\b(apt-get|apk)\s+(add|install)|\bgit\b/, 'the runtime stage installs no packages and no git');
});

t.test('the runtime stage copies only controller/, the package files and the production node_modules, all of which exist', async (t) => {
  const copies = runtime.lines.filter((l) => /^COPY\s/i.test(l));
  const sources: string[] = [];
  for (const c of copies) {
    const parts = c.split(/\s+/).slice(1).filter((p) => !p.startsWith('--chown') && !p.startsWith('--chmod'));
    if (parts[0].startsWith('--from=')) {
      t.same(parts.slice(1, -1), ['/app/node_modules'], 'from the build stage: node_modules only');
      continue;
    }
    sources.push(...parts.slice(0, -1));
  }
  t.same(sources.sort(), ['controller/', 'package-lock.json', 'package.json'].sort());
  for (const s of sources) t.ok(existsSync(join(repoRoot, s)), `${s} exists`);
  const ignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  t.equal(ignore[0], '*', '.dockerignore starts by excluding everything');
  t.same(ignore.slice(1).sort(), ['!controller/', '!package-lock.json', '!package.json'].sort(), 'and lets in exactly what is copied');
});

/** Every .ts file under controller/. */
function controllerFiles(dir = join(repoRoot, 'controller')): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? controllerFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

t.test('the copied files are enough: controller/main.ts exists, imports stay in controller/ and need production dependencies only', async (t) => {
  t.ok(existsSync(join(repoRoot, 'controller', 'main.ts')), 'controller/main.ts exists (the ENTRYPOINT)');
  const builtins = new Set(builtinModules);
  const prod = new Set(Object.keys(pkg.dependencies));
  for (const file of controllerFiles()) {
    const src = readFileSync(file, 'utf8');
    const rel = relative(repoRoot, file);
    // Runtime imports only: `import type` and `export type` are erased by type stripping.
    const specs = [...src.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]/gm), ...src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
    for (const spec of specs) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        t.ok(target.startsWith(join(repoRoot, 'controller')), `${rel}: ${spec} stays inside controller/`);
      } else if (spec.startsWith('node:') || builtins.has(spec)) {
        continue;
      } else {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        t.ok(prod.has(name), `${rel}: ${name} is a production dependency`);
      }
    }
  }
});
