/**
 * The committed Grafana dashboards are exactly what dashboards/src generates (and the chart's copies
 * are these files: test/chart/files-sync.test.ts), are importable anywhere (fixed UIDs, current
 * schemaVersion, datasource as a variable), every panel has a unit and a description, every range
 * is Grafana's $__rate_interval, the latency panels link their exemplars to traces, and every PromQL
 * expression in them and in the alert rules parses and reads only metrics the controller exports.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { promtool } from '../alerts/promtool.ts';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { TRACES_DATASOURCE_UID, UIDS } from '../../dashboards/src/common.ts';
import { renderDashboards } from '../../dashboards/src/render.ts';
import { allowedMetrics, analysePromQL, dashboardQueries, ruleQueries, substituteVariables, type QueryRef } from './promql.ts';

const root = resolve(import.meta.dirname, '../..');
const generated = renderDashboards();
const committedFiles = readdirSync(resolve(root, 'dashboards')).filter((f) => f.endsWith('.json')).sort();
const dashboards = Object.fromEntries(committedFiles.map((f) => [f, JSON.parse(readFileSync(resolve(root, 'dashboards', f), 'utf8'))])) as Record<string, Record<string, unknown>>;
const rules = readdirSync(resolve(root, 'alerts')).filter((f) => f.endsWith('.rules.yaml')).sort()
  .map((f) => ruleQueries(readFileSync(resolve(root, 'alerts', f), 'utf8'), f))
  .reduce((all, r) => ({ queries: [...all.queries, ...r.queries], recorded: [...all.recorded, ...r.recorded] }), { queries: [] as QueryRef[], recorded: [] as string[] });
const allQueries: QueryRef[] = [...Object.entries(dashboards).flatMap(([f, d]) => dashboardQueries(d, f)), ...rules.queries];

t.test('the committed dashboards are exactly the generated ones (run `npm run dashboards` after a change)', async (t) => {
  t.same(committedFiles, Object.keys(generated).sort(), 'the same files');
  for (const [file, json] of Object.entries(generated)) {
    const committed = readFileSync(resolve(root, 'dashboards', file), 'utf8');
    t.ok(committed === json, `dashboards/${file} equals its generated JSON`);
  }
});

t.test('each dashboard has its fixed UID, the SDK\'s current schemaVersion and the datasource, namespace and jirasync variables', async (t) => {
  const current = new dashboard.DashboardBuilder('probe').build().schemaVersion;
  t.same(Object.values(dashboards).map((d) => d.uid).sort(), Object.values(UIDS).sort(), 'the fixed UIDs');
  for (const [file, d] of Object.entries(dashboards)) {
    t.equal(d.schemaVersion, current, `${file}: schemaVersion ${current}`);
    const vars = (d.templating as { list: { name: string; type: string; query?: unknown }[] }).list;
    const ds = vars.find((v) => v.name === 'datasource');
    t.same({ type: ds?.type, query: ds?.query }, { type: 'datasource', query: 'prometheus' }, `${file}: a prometheus datasource variable`);
    for (const name of ['namespace', 'jirasync']) t.ok(vars.some((v) => v.name === name && v.type === 'query'), `${file}: a ${name} variable`);
  }
});

t.test('no panel, query, variable or annotation names a datasource other than ${datasource}', async (t) => {
  const offenders: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${path}[${i}]`));
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'datasource') {
          const uid = typeof v === 'string' ? v : (v as { uid?: string }).uid;
          if (uid !== '${datasource}') offenders.push(`${path}.datasource = ${JSON.stringify(v)}`);
        }
        walk(v, `${path}.${k}`);
      }
    }
  };
  for (const [file, d] of Object.entries(dashboards)) walk(d, file);
  t.same(offenders, [], 'every datasource reference is the variable');
  let panels = 0;
  for (const d of Object.values(dashboards)) panels += (d.panels as { type: string }[]).filter((p) => p.type !== 'row').length;
  t.ok(panels >= 40, `the walk saw the panels (${panels})`);
});

interface Panel {
  type: string;
  title: string;
  description?: string;
  fieldConfig?: { defaults?: { unit?: string }; overrides?: { matcher: { id: string; options: string }; properties: { id: string; value?: unknown }[] }[] };
  targets?: { expr?: string; exemplar?: boolean }[];
  panels?: Panel[];
}
/** Every panel of a dashboard but rows, with the panels inside collapsed rows. */
const panelsOf = (d: Record<string, unknown>): Panel[] => (d.panels as Panel[]).flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));

t.test('every panel of every dashboard has a unit and a description', async (t) => {
  const missing: string[] = [];
  for (const [file, d] of Object.entries(dashboards)) {
    for (const p of panelsOf(d)) {
      if (!p.fieldConfig?.defaults?.unit) missing.push(`${file}: panel "${p.title}" (${p.type}) has no unit`);
      if ((p.description ?? '').trim().length < 10) missing.push(`${file}: panel "${p.title}" has no description`);
    }
  }
  t.same(missing, [], 'no panel without a unit or a description');
});

t.test('every range in every dashboard query is $__rate_interval, or $__range for a total over the time range in an instant query', async (t) => {
  // Sentinel durations make the two variables recognisable after substitution.
  const values = { __rate_interval: '7777s', __range: '8888s', __interval: '9999s' };
  const offenders: string[] = [];
  let ranges = 0;
  for (const [file, d] of Object.entries(dashboards)) {
    for (const q of dashboardQueries(d, file)) {
      for (const r of analysePromQL(substituteVariables(q.expr, values)).ranges) {
        ranges++;
        if (r === '7777s' || (r === '8888s' && q.instant)) continue;
        offenders.push(`${q.source}: [${r.replace('8888s', '$__range').replace('9999s', '$__interval')}] in ${q.expr}`);
      }
    }
  }
  t.ok(ranges >= 15, `the check saw the range selectors (${ranges})`);
  t.same(offenders, [], 'no fixed window, and $__interval nowhere');
  t.same(analysePromQL(substituteVariables('rate(a[2m]) + increase(b[$__rate_interval]) + max_over_time(c[$__range])', values)).ranges, ['2m', '7777s', '8888s'], 'the check finds each range');
});

t.test('the latency panels fetch exemplars and link each exemplar\'s trace_id to the trace in the traces data source variable', async (t) => {
  const latency: Record<string, string[]> = {
    'jirasync-sync-drill-down.json': ['jirasync_processing_duration_seconds'],
    'jirasync-fleet-overview.json': ['jirasync_jira_request_duration_seconds', 'jirasync_git_push_duration_seconds'],
  };
  for (const [file, histograms] of Object.entries(latency)) {
    const d = dashboards[file];
    const traces = (d.templating as { list: { name: string; type: string; query?: unknown }[] }).list.find((v) => v.name === 'traces');
    t.same({ type: traces?.type, query: traces?.query }, { type: 'textbox', query: TRACES_DATASOURCE_UID }, `${file}: a traces variable holding the data source UID, ${TRACES_DATASOURCE_UID} by default`);
    for (const h of histograms) {
      const panel = panelsOf(d).find((p) => (p.targets ?? []).some((q) => q.expr?.includes(`${h}_bucket`)));
      if (!panel) {
        t.fail(`${file}: no panel reads ${h}`);
        continue;
      }
      t.ok(panel.targets?.every((q) => q.exemplar === true), `${file}: "${panel.title}" asks for exemplars`);
      const link = panel.fieldConfig?.overrides?.find((o) => o.matcher.id === 'byName' && o.matcher.options === 'trace_id')
        ?.properties.find((pr) => pr.id === 'links')?.value as { url: string }[] | undefined;
      const url = link?.[0]?.url ?? '';
      t.match(url, /^\/explore\?left=/, `${file}: "${panel.title}": the trace_id of an exemplar links to Explore`);
      const left = JSON.parse(url.replace(/^\/explore\?left=/, '')) as { datasource: string; queries: { query: string; datasource: { uid: string } }[] };
      t.same([left.datasource, left.queries[0]?.datasource.uid, left.queries[0]?.query], ['${traces}', '${traces}', '${__value.raw}'], `${file}: "${panel.title}": the trace id is looked up in \${traces}`);
    }
  }
});

t.test('every PromQL expression in the dashboards and the rules parses', async (t) => {
  t.ok(allQueries.length > 100, `found ${allQueries.length} expressions`);
  const failures = allQueries.flatMap((q) => analysePromQL(substituteVariables(q.expr)).errors.map((e) => `${q.source}: ${e}`));
  t.same(failures, [], 'no syntax errors');
});

t.test('every dashboard expression is also accepted by Prometheus\' own parser and type checker (promtool)', async (t) => {
  // lezer parses syntax only; promtool also rejects type errors (rate() of an instant vector, a
  // range vector where a scalar belongs). Each expression becomes a recording rule in a temp file.
  const dir = mkdtempSync(join(tmpdir(), 'jirasync-dashboards-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dashQueries = allQueries.filter((q) => q.source.includes('.json'));
  const groups = [{ name: 'dashboards', rules: dashQueries.map((q, i) => ({ record: `dashboard:expr_${i}`, expr: substituteVariables(q.expr) })) }];
  writeFileSync(join(dir, 'dashboards.rules.yaml'), stringify({ groups }));
  const run = await promtool(['check', 'rules', 'dashboards.rules.yaml'], dir);
  const bad = [...run.output.matchAll(/dashboard:expr_(\d+)/g)].map((m) => dashQueries[Number(m[1])]?.source);
  t.equal(run.code, 0, 'promtool check rules accepts them all', { output: run.output, bad });
});

t.test('every expression reads only contract metrics, prom-client defaults, up and our recording rules', async (t) => {
  const allowed = await allowedMetrics();
  for (const r of rules.recorded) allowed.add(r);
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const q of allQueries) {
    for (const m of analysePromQL(substituteVariables(q.expr)).metrics) {
      seen.add(m);
      if (!allowed.has(m)) unknown.push(`${q.source}: ${m}`);
    }
  }
  t.same(unknown, [], 'no metric outside the contract');
  t.ok(seen.has('jirasync_phase_info') && seen.has('nodejs_eventloop_lag_seconds') && seen.has('jirasync:freshness_error'), 'metric names were extracted');
});

t.test('the checker catches a syntax error, an unknown metric and an unsubstituted variable', async (t) => {
  t.ok(analysePromQL('sum(rate(jirasync_git_push_total[5m])').errors.length > 0, 'an unclosed call is an error');
  t.ok(analysePromQL('rate(jirasync_git_push_total[$__rate_interval])').errors.length > 0, 'a raw Grafana variable is not PromQL');
  t.same(analysePromQL('sum(rate(jirasync_made_up_total{a="b"}[5m])) / on(x) {__name__="other_metric"}').metrics.sort(), ['jirasync_made_up_total', 'other_metric']);
  const allowed = await allowedMetrics();
  t.notOk(allowed.has('jirasync_made_up_total'), 'a made-up name is not allowed');
  t.ok(allowed.has('jirasync_processing_duration_seconds_bucket') && allowed.has('nodejs_gc_duration_seconds_sum'), 'histogram series are allowed');
  t.equal(substituteVariables('x{a=~"$namespace", b="${jirasync}"}[$__rate_interval]'), 'x{a=~"x", b="x"}[5m]');
});

t.test('the fleet table links each row to the drill-down dashboard with its namespace and name', async (t) => {
  const fleet = JSON.stringify(dashboards['jirasync-fleet-overview.json']);
  t.match(fleet, new RegExp(`/d/${UIDS.sync}/[^"]*var-namespace=\\$\\{__data\\.fields\\.namespace\\}&var-jirasync=\\$\\{__data\\.fields\\.name\\}`));
});
