/**
 * Finds every PromQL expression in the shipped dashboards and rules, parses them with Prometheus'
 * own lezer grammar, and lists the metric names they read, so tests can hold them to the metric
 * contract (test/fixtures/metric-names.txt). The end-to-end test reuses `dashboardQueries` and
 * `substituteVariables` to run the same expressions against a real Prometheus.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import client from 'prom-client';
import { parse } from 'yaml';

/** One expression and where it was found ("fleet-overview.json: panel "X" target A"). */
export interface QueryRef {
  source: string;
  expr: string;
  /** A panel target that asks for one instant (not a range of steps). */
  instant?: boolean;
}

/** Template variables a dashboard may use, with values that make a valid expression. */
const DURATION_VARIABLES = ['__rate_interval', '__interval', '__range'];

/**
 * Replaces Grafana template variables so that the expression is plain PromQL: `$__rate_interval`,
 * `$__interval` and `$__range` become `5m`, `$__range_s` 300, any other `$name`, `${name}` or
 * `${name:format}` the label value `x` (they only appear inside label matchers).
 */
export function substituteVariables(expr: string, values: Record<string, string> = {}): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    if (name in values) return values[name];
    if (DURATION_VARIABLES.includes(name)) return '5m';
    if (name === '__range_s') return '300';
    return 'x';
  });
}

/** The PromQL inside a variable query: label_values(EXPR, label) and query_result(EXPR) have one. */
export function variableExpr(query: string): string | undefined {
  const q = query.trim();
  const lv = /^label_values\(\s*([\s\S]+),\s*\w+\s*\)$/.exec(q);
  if (lv) return lv[1];
  const qr = /^query_result\(([\s\S]+)\)$/.exec(q);
  if (qr) return qr[1];
  return undefined;
}

interface PanelLike {
  title?: string;
  type?: string;
  targets?: { expr?: string; refId?: string; instant?: boolean; range?: boolean }[];
  panels?: PanelLike[];
}
interface DashboardLike {
  panels?: PanelLike[];
  templating?: { list?: { name: string; type: string; query?: unknown }[] };
  annotations?: { list?: { name: string; expr?: string }[] };
}

/** Every PromQL expression of a dashboard: panel targets (rows included), variables, annotations. */
export function dashboardQueries(d: DashboardLike, file: string): QueryRef[] {
  const out: QueryRef[] = [];
  const walk = (panels: PanelLike[]) => {
    for (const p of panels) {
      for (const tgt of p.targets ?? []) {
        if (tgt.expr) out.push({ source: `${file}: panel "${p.title}" target ${tgt.refId}`, expr: tgt.expr, ...(tgt.instant && !tgt.range ? { instant: true } : {}) });
      }
      walk(p.panels ?? []);
    }
  };
  walk(d.panels ?? []);
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query;
    const expr = q ? variableExpr(q) : undefined;
    if (expr) out.push({ source: `${file}: variable ${v.name}`, expr });
  }
  for (const a of d.annotations?.list ?? []) {
    if (a.expr) out.push({ source: `${file}: annotation "${a.name}"`, expr: a.expr });
  }
  return out;
}

/** Every rule expression of a Prometheus rule file, and the names its recording rules define. */
export function ruleQueries(text: string, file: string): { queries: QueryRef[]; recorded: string[] } {
  const doc = parse(text) as { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] };
  const queries: QueryRef[] = [];
  const recorded: string[] = [];
  for (const g of doc.groups) {
    for (const r of g.rules) {
      queries.push({ source: `${file}: ${r.alert ? `alert ${r.alert}` : `record ${r.record}`}`, expr: String(r.expr) });
      if (r.record) recorded.push(r.record);
    }
  }
  return { queries, recorded };
}

/**
 * Parse errors (with the text around them), the metric names an expression selects, and the window
 * of every range selector and subquery (`5m` of `rate(x[5m])`, `1h:1m` of `max_over_time(y[1h:1m])`).
 */
export function analysePromQL(expr: string): { errors: string[]; metrics: string[]; ranges: string[] } {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const metrics = new Set<string>();
  const ranges: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) {
        errors.push(`syntax error at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.from + 20)}…`);
        return;
      }
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') metrics.add(expr.slice(node.from, node.to));
      if (node.name === 'MatrixSelector' || node.name === 'SubqueryExpr') {
        const m = /\[\s*([^\]]*?)\s*\](?:\s*offset\s+\S+)?$/.exec(expr.slice(node.from, node.to));
        if (m) ranges.push(m[1]);
      }
      if (node.name === 'UnquotedLabelMatcher') {
        const m = /^__name__\s*=\s*"([^"]+)"$/.exec(expr.slice(node.from, node.to));
        if (m) metrics.add(m[1]);
      }
    },
  });
  return { errors, metrics: [...metrics], ranges };
}

/**
 * Metric names an expression may read: the controller's contract (histograms with their _bucket,
 * _sum and _count series), prom-client's default process_* and nodejs_* metrics as this prom-client
 * version names them, and `up`. Recording rules are added by the caller.
 */
export async function allowedMetrics(): Promise<Set<string>> {
  const allowed = new Set<string>(['up']);
  const addFamily = (name: string, type: string) => {
    allowed.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) allowed.add(name + s);
  };
  const contract = readFileSync(resolve(import.meta.dirname, '../fixtures/metric-names.txt'), 'utf8');
  for (const line of contract.split('\n')) {
    if (line.startsWith('#') || !line.includes('|')) continue;
    const [name, type] = line.split('|').map((s) => s.trim());
    addFamily(name, type);
  }
  const reg = new client.Registry();
  client.collectDefaultMetrics({ register: reg });
  for (const m of await reg.getMetricsAsJSON()) addFamily(m.name, String(m.type));
  return allowed;
}
