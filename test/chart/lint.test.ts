import t from 'tap';
import { basename } from 'node:path';
import { chartDir, ciValuesFiles, helm, parseObjects, templateArgs } from './helm.ts';

const scenarios = [{ name: 'default values', files: [] as string[] }, ...ciValuesFiles().map((f) => ({ name: basename(f), files: [f] }))];

t.test('the chart has install scenarios in ci/, including a fully-loaded one', async (t) => {
  const names = ciValuesFiles().map((f) => basename(f));
  t.ok(names.length >= 4, `${names.length} scenarios`);
  t.ok(names.some((n) => n.includes('fully-loaded')), 'a fully-loaded scenario exists');
  t.ok(names.some((n) => n.includes('restricted-namespaces')), 'a restricted-namespaces scenario exists');
  t.ok(names.some((n) => n.includes('existing-secret')), 'an existing-secret scenario exists');
});

for (const s of scenarios) {
  t.test(`helm lint --strict passes without warnings for ${s.name}`, async (t) => {
    const args = ['lint', '--strict', chartDir];
    for (const f of s.files) args.push('-f', f);
    const res = await helm(args);
    t.equal(res.code, 0, "helm lint exits 0", { output: res.stdout + res.stderr });
    const problems = res.stdout.split('\n').filter((l) => /\[(WARNING|ERROR)\]/.test(l));
    t.same(problems, [], 'no warnings or errors');
  });

  t.test(`helm template renders ${s.name} into valid YAML, one object kind per template file, every object labelled`, async (t) => {
    const res = await helm(templateArgs({ release: 'lint', namespace: 'jirasync-system', valuesFiles: s.files }));
    t.equal(res.code, 0, "helm template exits 0", { stderr: res.stderr });
    t.equal(res.stderr.trim(), '', 'nothing on stderr');
    // helm prefixes each document with "# Source: jirasync/templates/<file>".
    const kindsBySource = new Map<string, Set<string>>();
    for (const chunk of res.stdout.split(/^---$/m)) {
      const source = /^# Source: (.+)$/m.exec(chunk)?.[1];
      const objs = parseObjects(chunk);
      if (!source || objs.length === 0) continue;
      for (const o of objs) {
        const set = kindsBySource.get(source) ?? new Set<string>();
        set.add(o.kind);
        kindsBySource.set(source, set);
      }
    }
    t.ok(kindsBySource.size >= 5, `${kindsBySource.size} template files rendered objects`);
    for (const [source, kinds] of kindsBySource) t.equal(kinds.size, 1, `${source} renders one kind (${[...kinds].join(', ')})`);

    const objs = parseObjects(res.stdout);
    for (const o of objs) {
      const id = `${o.kind}/${o.metadata.name}`;
      t.match(o.metadata.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `${id} has a valid name`);
      t.equal(o.metadata.labels?.['app.kubernetes.io/name'], 'jirasync', `${id} has app.kubernetes.io/name`);
      t.equal(o.metadata.labels?.['app.kubernetes.io/instance'], 'lint', `${id} has app.kubernetes.io/instance`);
      t.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm', `${id} has app.kubernetes.io/managed-by`);
    }
  });
}
