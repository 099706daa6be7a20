/**
 * Test-time overrides of the shipped Prometheus rules: shorter `for:` durations and thresholds, so
 * a real Prometheus fires the shipped alerts within seconds. The shipped file is never edited: the
 * YAML is loaded, changed in memory, and written to the test's temp dir.
 */
import { parse, stringify } from 'yaml';

/** What to change in one alert. */
export interface AlertOverride {
  /** New `for:` duration, e.g. "2s". */
  for?: string;
  /** Rewrites the expression, e.g. `(e) => e.replace('> 300', '> 2')`; must change it. */
  expr?: (expr: string) => string;
}

/** Overrides for a rule file: `for` applies to every alert that has one, `alerts` per alert name. */
export interface RuleOverrides {
  for?: string;
  alerts?: Record<string, AlertOverride>;
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  [key: string]: unknown;
}
interface RuleFile {
  groups: { name: string; interval?: string; rules: Rule[] }[];
}

/**
 * Returns `yamlText` (a Prometheus rule file) with the overrides applied and every group's own
 * `interval:` removed, so the test Prometheus' short global evaluation interval applies.
 * Throws when an override names an alert the file does not have, or an `expr` rewrite changes
 * nothing: both mean the shipped rules moved and the test would silently test something else.
 */
export function overrideRules(yamlText: string, overrides: RuleOverrides = {}): string {
  const doc = parse(yamlText) as RuleFile;
  if (!doc || !Array.isArray(doc.groups)) throw new Error('overrideRules: not a Prometheus rule file (no groups:)');
  const pending = new Set(Object.keys(overrides.alerts ?? {}));
  for (const group of doc.groups) {
    delete group.interval;
    for (const rule of group.rules) {
      if (!rule.alert) continue;
      if (overrides.for && rule.for !== undefined) rule.for = overrides.for;
      const own = overrides.alerts?.[rule.alert];
      if (!own) continue;
      pending.delete(rule.alert);
      if (own.for) rule.for = own.for;
      if (own.expr) {
        const next = own.expr(rule.expr);
        if (next === rule.expr) throw new Error(`overrideRules: the expr override of ${rule.alert} changed nothing; expression is:\n${rule.expr}`);
        rule.expr = next;
      }
    }
  }
  if (pending.size > 0) throw new Error(`overrideRules: no alert named ${[...pending].join(', ')} in the rule file`);
  return stringify(doc, { lineWidth: 0 });
}
