/**
 * The shipped Prometheus rules load in promtool and pass their unit tests (alerts/*.rules.test.yaml);
 * each failing case is reported on its own with the alert and evaluation time.
 */
import t from 'tap';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseTestFailures, promtool } from './promtool.ts';

const alertsDir = resolve(import.meta.dirname, '../../alerts');
const ruleFiles = readdirSync(alertsDir).filter((f) => f.endsWith('.rules.yaml')).sort();

t.test('alerts/ holds at least one rule file, each with a unit test file named after it', async (t) => {
  t.ok(ruleFiles.length > 0, 'some *.rules.yaml');
  for (const f of ruleFiles) {
    t.ok(existsSync(join(alertsDir, f.replace(/\.yaml$/, '.test.yaml'))), `${f} has ${f.replace(/\.yaml$/, '.test.yaml')}`);
  }
});

t.test('promtool check rules accepts every rule file', async (t) => {
  for (const f of ruleFiles) {
    const run = await promtool(['check', 'rules', f], alertsDir);
    t.equal(run.code, 0, `promtool check rules ${f}`, { output: run.output });
  }
});

t.test('every promtool unit test case passes', async (t) => {
  for (const f of ruleFiles) {
    const testFile = f.replace(/\.yaml$/, '.test.yaml');
    const run = await promtool(['test', 'rules', testFile], alertsDir);
    for (const failure of parseTestFailures(run.output)) {
      t.fail(`${testFile}: ${failure.subject} at ${failure.time}`, { diagnostic: true, detail: failure.detail });
    }
    t.equal(run.code, 0, `promtool test rules ${testFile} exits 0`);
  }
});

t.test('a rule that no longer matches its test is reported as one failing case naming the alert and time', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirasync-promtool-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rules = readFileSync(join(alertsDir, 'jirasync.rules.yaml'), 'utf8');
  // Delay JIRASyncHighRetryCount by a minute: the case "fires at 10m" must now fail, and only it.
  const broken = rules.replace(/(- alert: JIRASyncHighRetryCount[\s\S]*?\n\s+for: )10m/, '$111m');
  t.not(broken, rules, 'the rule was changed');
  writeFileSync(join(dir, 'jirasync.rules.yaml'), broken);
  copyFileSync(join(alertsDir, 'jirasync.rules.test.yaml'), join(dir, 'jirasync.rules.test.yaml'));

  const run = await promtool(['test', 'rules', 'jirasync.rules.test.yaml'], dir);
  t.not(run.code, 0, 'promtool fails');
  const failures = parseTestFailures(run.output);
  t.same(
    failures.map((f) => `${f.subject} @ ${f.time}`),
    ['alertname: JIRASyncHighRetryCount @ 10m'],
    'exactly the case at the old for: boundary fails',
  );
  t.match(failures[0]?.detail ?? '', /exp:[\s\S]*got:\[\]/, 'the report shows what was expected and what came');
});

t.test('promtool check rules rejects an expression that does not parse', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirasync-promtool-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rules = readFileSync(join(alertsDir, 'jirasync.rules.yaml'), 'utf8');
  writeFileSync(join(dir, 'bad.rules.yaml'), rules.replace('max by (namespace, name) (jirasync_retry_count) > 3', 'max by (namespace, name) (jirasync_retry_count > 3'));
  const run = await promtool(['check', 'rules', 'bad.rules.yaml'], dir);
  t.not(run.code, 0, 'promtool check fails');
  t.match(run.output, /parse error|unclosed/i, 'and says why');
});
