/**
 * The shipped Prometheus rules load in promtool, pass its linter and their unit tests; each failing
 * case is reported on its own with the alert and evaluation time. alerts/ holds rule files only
 * (so any rule linter can read the folder); each alerts/NAME.yaml has its unit tests in
 * test/alerts/rules/NAME.test.yaml.
 */
import t from 'tap';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseTestFailures, promtool } from './promtool.ts';

const alertsDir = resolve(import.meta.dirname, '../../alerts');
const testsDir = resolve(import.meta.dirname, 'rules');
const alertsEntries = readdirSync(alertsDir).sort();
const ruleFiles = alertsEntries.filter((f) => f.endsWith('.rules.yaml'));
const testFileOf = (ruleFile: string) => ruleFile.replace(/\.yaml$/, '.test.yaml');

t.test('alerts/ holds rule files only, each with a unit test file named after it in test/alerts/rules/', async (t) => {
  t.ok(ruleFiles.length > 0, 'some *.rules.yaml');
  t.same(alertsEntries, ruleFiles, 'nothing but *.rules.yaml in alerts/ (no tests, no folders)');
  for (const f of ruleFiles) t.ok(existsSync(join(testsDir, testFileOf(f))), `${f} has test/alerts/rules/${testFileOf(f)}`);
  const orphans = readdirSync(testsDir).filter((f) => !ruleFiles.map(testFileOf).includes(f));
  t.same(orphans, [], 'every test file there is named after a rule file');
});

t.test('promtool check rules --lint=all accepts every file in alerts/ with no lint finding', async (t) => {
  // All of alerts/ in one run, as a linter reads the folder: a test file there would fail it.
  const run = await promtool(['check', 'rules', '--lint=all', '--lint-fatal', ...alertsEntries], alertsDir);
  t.equal(run.code, 0, `promtool check rules --lint=all ${alertsEntries.join(' ')}`, { output: run.output });
  t.notMatch(run.output, /FAILED|lint error/i, 'no failure and no lint finding');
  for (const f of ruleFiles) t.match(run.output, new RegExp(`Checking ${f.replace(/\./g, '\\.')}\\n\\s+SUCCESS: \\d+ rules found`), `${f} was read as rules`);
});

t.test('the rule lint refuses a duplicated rule and a test file left in the rules folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirasync-lint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rules = readFileSync(join(alertsDir, 'jirasync.rules.yaml'), 'utf8');
  // JIRASyncHighRetryCount pasted twice: the same alert, expression and labels.
  const dup = rules.replace(/(\n {6}- alert: JIRASyncHighRetryCount\n[\s\S]*?jirasynchighretrycount\n)/, '$1$1');
  t.not(dup, rules, 'the rule was duplicated');
  writeFileSync(join(dir, 'dup.rules.yaml'), dup);
  const lint = await promtool(['check', 'rules', '--lint=all', '--lint-fatal', 'dup.rules.yaml'], dir);
  t.equal(lint.code, 3, 'a lint finding is fatal (exit 3)', { output: lint.output });
  t.match(lint.output, /duplicate/i, 'and names the duplicate');
  copyFileSync(join(testsDir, 'jirasync.rules.test.yaml'), join(dir, 'jirasync.rules.test.yaml'));
  const test = await promtool(['check', 'rules', 'jirasync.rules.test.yaml'], dir);
  t.not(test.code, 0, 'a promtool test file is not a rule file', { output: test.output });
});

t.test('every promtool unit test case passes', async (t) => {
  for (const f of ruleFiles) {
    const testFile = testFileOf(f);
    const run = await promtool(['test', 'rules', testFile], testsDir);
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
  // The same layout as the repository: the rules in alerts/, their test in test/alerts/rules/.
  mkdirSync(join(dir, 'alerts'));
  mkdirSync(join(dir, 'test/alerts/rules'), { recursive: true });
  writeFileSync(join(dir, 'alerts/jirasync.rules.yaml'), broken);
  copyFileSync(join(testsDir, 'jirasync.rules.test.yaml'), join(dir, 'test/alerts/rules/jirasync.rules.test.yaml'));

  const run = await promtool(['test', 'rules', 'jirasync.rules.test.yaml'], join(dir, 'test/alerts/rules'));
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
