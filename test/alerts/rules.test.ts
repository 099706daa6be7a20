/**
 * The shape of the shipped alerts: the alerts issues 6 and 17 ask for exist, each rule of every file
 * in alerts/ is an alert or a recording rule, each alert has a severity, a summary, a description and
 * a runbook_url whose anchor is a runbook section in docs/runbooks.md with the four headings, and
 * each is unit-tested both firing and silent at the evaluation before its `for:` elapses.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '../..');
const RUNBOOK_BASE = 'https://github.com/jirasync/jirasync/blob/main/docs/runbooks.md';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: unknown[];
}
interface TestFile {
  rule_files: string[];
  tests: { interval?: string; alert_rule_test?: AlertCase[] }[];
}

const ruleFileNames = readdirSync(resolve(root, 'alerts')).filter((f) => f.endsWith('.rules.yaml')).sort();
const ruleFiles = ruleFileNames.map((f) => ({ file: f, rules: parse(readFileSync(resolve(root, 'alerts', f), 'utf8')) as RuleFile }));
const testFiles = ruleFileNames.map((f) => {
  const text = readFileSync(resolve(root, 'test/alerts/rules', f.replace(/\.yaml$/, '.test.yaml')), 'utf8');
  return { file: f, text, tests: parse(text) as TestFile };
});
const runbooks = readFileSync(resolve(root, 'docs/runbooks.md'), 'utf8');
const allRules = ruleFiles.flatMap((r) => r.rules.groups.flatMap((g) => g.rules));
const alerts = allRules.filter((r): r is Rule & { alert: string } => typeof r.alert === 'string');
const tests = { tests: testFiles.flatMap((f) => f.tests.tests) };

/** Go duration strings as promtool prints them ("1h2m", "90s") in seconds. */
function seconds(d: string): number {
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(n) * ({ ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[unit];
  }
  return total;
}

/** The text of the runbook section "## NAME" up to the next "## ". */
function runbookSection(name: string): string | undefined {
  const start = runbooks.search(new RegExp(`^## ${name}$`, 'm'));
  if (start < 0) return undefined;
  const next = runbooks.slice(start + 3).search(/^## /m);
  return next < 0 ? runbooks.slice(start) : runbooks.slice(start, start + 3 + next);
}

t.test('the rule files ship every alert the operations issues ask for, and nothing but alerts and recording rules', async (t) => {
  const required = [
    'JIRASyncStalled', 'JIRASyncHighRetryCount', 'JIRASyncFailed', 'JIRASyncNotSucceededRecently',
    'JIRASyncAuthenticationFailed', 'JIRASyncGitAuthenticationFailed', 'JIRASyncDeletionRefused', 'JIRASyncEgressDenied',
    'JiraRateLimited', 'JiraAPIErrors', 'GitPushFailing',
    'JIRASyncControllerDown', 'JIRASyncNoLeader', 'JIRASyncShardNoLeader', 'JIRASyncMultipleLeaders',
    'JIRASyncFreshnessBudgetFastBurn', 'JIRASyncFreshnessBudgetSlowBurn',
  ];
  t.same(alerts.map((a) => a.alert).sort(), [...required].sort());
  t.same(allRules.filter((r) => !r.alert === !r.record).map((r) => r.expr), [], 'each rule is either an alert or a recording rule');
  const records = allRules.flatMap((r) => (r.record ? [r.record] : []));
  for (const w of ['5m', '30m', '1h', '2h', '6h', '1d', '3d']) {
    t.ok(records.includes(`jirasync:freshness_error:ratio_avg${w}`), `an SLI ratio is recorded over ${w}`);
  }
});

t.test('every alert has a severity, a summary, a description and a runbook_url to its own section', async (t) => {
  for (const a of alerts) {
    t.match(a.labels?.severity, /^(critical|warning)$/, `${a.alert}: severity`);
    t.ok((a.annotations?.summary ?? '').length > 10, `${a.alert}: summary`);
    t.ok((a.annotations?.description ?? '').length > 20, `${a.alert}: description`);
    t.equal(a.annotations?.runbook_url, `${RUNBOOK_BASE}#${a.alert.toLowerCase()}`, `${a.alert}: runbook_url`);
    t.ok(a.for && seconds(a.for) > 0, `${a.alert}: has a for: duration`);
  }
});

t.test('every alert has a runbook section with Meaning, Impact, Diagnosis and Mitigation, diagnosing with the shipped scripts', async (t) => {
  for (const a of alerts) {
    const section = runbookSection(a.alert);
    if (!section) {
      t.fail(`docs/runbooks.md has no "## ${a.alert}" section`);
      continue;
    }
    const headings = [...section.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    t.same(headings, ['Meaning', 'Impact', 'Diagnosis', 'Mitigation'], `${a.alert}: the four headings in order`);
    const diagnosis = section.split('### Diagnosis')[1]?.split('### Mitigation')[0] ?? '';
    t.match(diagnosis, /scripts\/(health-check|troubleshoot|watch-conditions|status-summary|monitor-sync|sync-now)\.sh/, `${a.alert}: diagnosis uses a shipped script`);
  }
});

t.test('every unit-test group opens with a "name:" comment sentence', async (t) => {
  for (const f of testFiles) {
    const lines = f.text.split('\n');
    const groupStarts = lines.flatMap((l, i) => (/^ {2}- interval:/.test(l) ? [i] : []));
    t.equal(groupStarts.length, f.tests.tests.length, `${f.file}: every group starts with its interval`);
    for (const i of groupStarts) {
      t.match(lines[i - 1], /^ {2}# name: \S.{10,}$/, `${f.file}: the group at line ${i + 1} is named`);
    }
  }
});

t.test('every alert case checks labels and annotations, the four that every alert carries included', async (t) => {
  for (const group of tests.tests) {
    for (const c of group.alert_rule_test ?? []) {
      for (const e of (c.exp_alerts ?? []) as { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[]) {
        const at = `${c.alertname} at ${c.eval_time}`;
        t.ok(e.exp_labels?.severity, `${at}: expects a severity label`);
        t.same(Object.keys(e.exp_annotations ?? {}).sort(), ['description', 'runbook_url', 'summary'], `${at}: expects summary, description and runbook_url`);
      }
    }
  }
});

t.test('every alert is tested silent one evaluation before its for: elapses and firing at it', async (t) => {
  for (const a of alerts) {
    let boundary = false;
    for (const group of tests.tests) {
      const cases = (group.alert_rule_test ?? []).filter((c) => c.alertname === a.alert);
      const step = seconds(group.interval ?? '1m');
      const firing = cases.filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => seconds(c.eval_time));
      const silent = cases.filter((c) => (c.exp_alerts ?? []).length === 0).map((c) => seconds(c.eval_time));
      if (firing.some((f) => silent.includes(f - step))) boundary = true;
    }
    t.ok(boundary, `${a.alert}: silent at T-1 evaluation and firing at T in one test group`);
  }
});
