/**
 * overrideRules shortens the shipped rules for tests without touching the file, and refuses
 * overrides that no longer match the shipped rules (so a test cannot silently test nothing).
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { overrideRules } from '../env/rule-overrides.ts';
import { promtool } from './promtool.ts';

const shipped = readFileSync(resolve(import.meta.dirname, '../../alerts/jirasync.rules.yaml'), 'utf8');
type Rule = { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string> };
const rulesOf = (text: string) => (parse(text) as { groups: { interval?: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alert = (text: string, name: string) => rulesOf(text).find((r) => r.alert === name);

t.test('a global for: replaces every alert\'s for:, and per-alert overrides win', async (t) => {
  const out = overrideRules(shipped, { for: '2s', alerts: { JIRASyncFailed: { for: '7s' } } });
  for (const r of rulesOf(out).filter((r) => r.alert && r.alert !== 'JIRASyncFailed')) t.equal(r.for, '2s', `${r.alert}`);
  t.equal(alert(out, 'JIRASyncFailed')?.for, '7s');
  t.same(rulesOf(out).filter((r) => r.record), rulesOf(shipped).filter((r) => r.record), 'recording rules are unchanged');
  t.same(alert(out, 'JIRASyncStalled')?.labels, alert(shipped, 'JIRASyncStalled')?.labels, 'labels are kept');
});

t.test('an expression override rewrites only its alert', async (t) => {
  const out = overrideRules(shipped, { alerts: { JIRASyncStalled: { expr: (e) => e.replace('> 300', '> 5') } } });
  t.match(alert(out, 'JIRASyncStalled')?.expr, /> 5\b/);
  t.notMatch(alert(out, 'JIRASyncStalled')?.expr, /> 300/);
  t.equal(alert(out, 'JIRASyncFailed')?.expr, alert(shipped, 'JIRASyncFailed')?.expr);
});

t.test('overrides that match nothing are refused', async (t) => {
  t.throws(() => overrideRules(shipped, { alerts: { JIRASyncStaled: { for: '1s' } } }), /no alert named JIRASyncStaled/);
  t.throws(() => overrideRules(shipped, { alerts: { JIRASyncStalled: { expr: (e) => e.replace('> 999', '> 1') } } }), /changed nothing/);
  t.throws(() => overrideRules('foo: bar\n'), /not a Prometheus rule file/);
});

t.test('group intervals are dropped and the result is still a valid rule file for promtool', async (t) => {
  const withInterval = shipped.replace('  - name: jirasync-syncs\n', '  - name: jirasync-syncs\n    interval: 5m\n');
  t.not(withInterval, shipped);
  const out = overrideRules(withInterval, { for: '1s' });
  t.notOk((parse(out) as { groups: { interval?: string }[] }).groups.some((g) => g.interval), 'no group interval');
  const dir = mkdtempSync(join(tmpdir(), 'jirasync-overrides-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'r.yaml'), out);
  const run = await promtool(['check', 'rules', 'r.yaml'], dir);
  t.equal(run.code, 0, 'promtool check rules', { output: run.output });
});
