/**
 * Building blocks shared by the jirasync dashboards: the datasource variable and reference, the
 * namespace/jirasync variables, label selectors, and small panel constructors with the defaults we
 * want everywhere (datasource `${datasource}`, a description, a legend). Written with Grafana's
 * Foundation SDK so that the JSON in dashboards/*.json is generated, never hand-edited.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Fixed dashboard UIDs: links between the dashboards and bookmarks rely on them. */
export const UIDS = {
  fleet: 'jirasync-fleet',
  sync: 'jirasync-sync',
  controller: 'jirasync-controller',
} as const;

/** Tag on every jirasync dashboard; the dashboard links list dashboards by it. */
export const TAG = 'jirasync';

/** Every panel and query reads from the datasource the user picks: no datasource UID is baked in. */
export const DS: { type: string; uid: string } = { type: 'prometheus', uid: '${datasource}' };

/**
 * The UID of the Tempo or Jaeger data source that holds the controller's traces: the default of the
 * `traces` variable, which a user may change in the dashboard (or with `var-traces=UID` in its URL).
 */
export const TRACES_DATASOURCE_UID = 'tempo';

/**
 * Opens one trace in Explore: the clicked exemplar's `trace_id` in the `traces` data source. Left
 * unencoded so that Grafana interpolates the variables; no queryType, so Tempo (TraceQL accepts a
 * trace id) and Jaeger (a trace id lookup) both read it.
 */
export const TRACE_URL = '/explore?left={"datasource":"${traces}","queries":[{"refId":"A","datasource":{"uid":"${traces}"},"query":"${__value.raw}"}],"range":{"from":"${__from}","to":"${__to}"}}';

/** The `job` label the chart's ServiceMonitor gives the controller's targets. */
export const JOB = 'job="jirasync"';

/** Matchers for the per-sync series: several syncs (=~, "All" allowed) or exactly one. */
export const SYNCS = 'shard=~"$shard", namespace=~"$namespace", name=~"$jirasync"';
/** For the recording rules' series, which are per sync and shard-independent (a sync may move between shards). */
export const RECORDED_SYNCS = 'namespace=~"$namespace", name=~"$jirasync"';
export const ONE_SYNC = 'namespace="$namespace", name="$jirasync"';

/** Colours of the JIRASync phases, the same on every panel. */
export const PHASE_COLORS = {
  Pending: 'yellow',
  Running: 'blue',
  Completed: 'green',
  Failed: 'red',
  Suspended: 'purple',
} as const;

/** The `datasource` variable: any Prometheus datasource. */
export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus');
}

/** The `traces` variable: the UID of the Tempo or Jaeger data source that exemplar links open. */
export function tracesVariable(): dashboard.TextBoxVariableBuilder {
  return new dashboard.TextBoxVariableBuilder('traces')
    .label('Traces data source UID')
    .description('UID of the Tempo or Jaeger data source that receives the controller\'s traces (OTEL_EXPORTER_OTLP_ENDPOINT); latency exemplars link to it.')
    .defaultValue(TRACES_DATASOURCE_UID);
}

/** A Prometheus label_values() variable, refreshed with the time range. */
export function labelVariable(name: string, label: string, query: string, opts: { multi: boolean; hide?: boolean }): dashboard.QueryVariableBuilder {
  const v = new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DS)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(opts.multi)
    .includeAll(opts.multi);
  if (opts.multi) v.allValue('.*');
  if (opts.hide) v.hide(dashboard.VariableHide.HideVariable);
  return v;
}

/** The controller shard (docs/sharding.md) whose series a dashboard shows; "All" also matches series without one. */
export function shardVariable(): dashboard.QueryVariableBuilder {
  return labelVariable('shard', 'Shard', 'label_values(jirasync_leader, shard)', { multi: true });
}

/** `shard`, `namespace` and `jirasync` variables over the JIRASyncs the controller reports. */
export function syncVariables(multi: boolean): dashboard.QueryVariableBuilder[] {
  return [
    shardVariable(),
    labelVariable('namespace', 'Namespace', 'label_values(jirasync_phase_info{shard=~"$shard"}, namespace)', { multi }),
    labelVariable('jirasync', 'JIRASync', 'label_values(jirasync_phase_info{namespace=~"$namespace"}, name)', { multi }),
  ];
}

/** A dropdown on every dashboard listing the other jirasync dashboards, keeping time and variables. */
function dashboardLinks(): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder('jirasync dashboards')
    .type(dashboard.DashboardLinkType.Dashboards)
    .tags([TAG])
    .asDropdown(true)
    .includeVars(true)
    .keepTime(true);
}

/** A dashboard with what all of ours share: tag, editable, refresh, shared crosshair and links to each other. */
export function jirasyncDashboard(title: string, uid: string, description: string, from = 'now-6h'): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .editable()
    .time({ from, to: 'now' })
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(dashboardLinks());
}

/** A range query; `legend` uses Grafana's {{label}} syntax. */
export function query(expr: string, legend: string, refId = 'A'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DS).expr(expr).legendFormat(legend).refId(refId).range();
}

/** An instant query returned as a table (one row per series, labels as columns). */
export function tableQuery(expr: string, refId: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DS).expr(expr).refId(refId).instant().format(prometheus.PromQueryFormat.Table);
}

/** histogram_quantile over a histogram's buckets (optionally filtered), aggregated by `by` (plus `le`). */
export function quantile(q: number, histogram: string, matchers: string, by: string[]): string {
  const labels = ['le', ...by].join(', ');
  const selector = matchers ? `${histogram}_bucket{${matchers}}` : `${histogram}_bucket`;
  return `histogram_quantile(${q}, sum by (${labels}) (rate(${selector}[$__rate_interval])))`;
}

/** Thresholds from a base colour and [value, colour] steps. */
export function thresholds(base: string, steps: [number, string][] = []): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ value: null, color: base }, ...steps.map(([value, color]) => ({ value, color }))]);
}

interface PanelOpts {
  unit?: string;
  height?: number;
  width?: number;
  min?: number;
  max?: number;
}

/**
 * A time series panel with a table legend (last and max values), one query per target. With
 * `exemplars`, the queries also fetch the histogram's exemplars (the controller attaches the run's
 * trace id to each observation) and each exemplar's trace_id links to the trace in `${traces}`; the
 * dashboard needs tracesVariable().
 */
export function timeSeries(title: string, description: string, targets: prometheus.DataqueryBuilder[], opts: PanelOpts & { stack?: boolean; bars?: boolean; threshold?: number; exemplars?: boolean } = {}): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .targets(targets)
    .unit(opts.unit ?? 'short')
    .height(opts.height ?? 8)
    .span(opts.width ?? 12)
    .fillOpacity(opts.bars || opts.stack ? 60 : 10)
    .showPoints(common.VisibilityMode.Never)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Bottom).showLegend(true).calcs(['lastNotNull', 'max']))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (opts.exemplars) {
    for (const target of targets) target.exemplar(true);
    p.overrideByName('trace_id', [{ id: 'links', value: [{ title: 'Open trace ${__value.raw}', url: TRACE_URL }] }]);
  }
  if (opts.stack) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (opts.bars) p.drawStyle(common.GraphDrawStyle.Bars);
  if (opts.min !== undefined) p.min(opts.min);
  if (opts.max !== undefined) p.max(opts.max);
  if (opts.threshold !== undefined) {
    p.thresholds(thresholds('transparent', [[opts.threshold, 'red']])).thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  return p;
}

/** A single-value panel of the last value, coloured by thresholds. */
export function statPanel(title: string, description: string, targets: prometheus.DataqueryBuilder[], opts: PanelOpts & { thresholds?: dashboard.ThresholdsConfigBuilder; noValue?: string; textMode?: common.BigValueTextMode } = {}): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .targets(targets)
    .unit(opts.unit ?? 'short')
    .height(opts.height ?? 4)
    .span(opts.width ?? 4)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Background)
    .textMode(opts.textMode ?? common.BigValueTextMode.Auto)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(opts.thresholds ?? thresholds('green'));
  if (opts.noValue) p.noValue(opts.noValue);
  return p;
}

/** A table panel over instant queries, one row per series. */
export function tablePanel(title: string, description: string, targets: prometheus.DataqueryBuilder[], opts: PanelOpts = {}): table.PanelBuilder {
  return new table.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DS)
    .targets(targets)
    .unit(opts.unit ?? 'short')
    .height(opts.height ?? 8)
    .span(opts.width ?? 24)
    .cellHeight(common.TableCellHeight.Sm)
    .filterable(true);
}

/** An annotation that marks each step where `expr` has a value, titled and tagged by its labels. */
export function annotation(name: string, expr: string, title: string, text: string, tags: string, color: string): dashboard.AnnotationQueryBuilder {
  const a = new dashboard.AnnotationQueryBuilder()
    .name(name)
    .datasource(DS)
    .enable(true)
    .iconColor(color)
    .expr(expr)
    .step('60s')
    .titleFormat(title)
    .textFormat(text);
  if (tags) a.tagKeys(tags);
  return a;
}

/** A value mapping that shows JIRASync phase codes (see `phaseCode`) as names in phase colours. */
export function phaseMappings(): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  PHASES.forEach((phase, i) => {
    options[String(i + 1)] = { text: phase, color: PHASE_COLORS[phase], index: i };
  });
  return [{ type: dashboard.MappingType.ValueToText, options }];
}

export const PHASES = ['Pending', 'Running', 'Completed', 'Failed', 'Suspended'] as const;

/**
 * One series whose value is the current phase's position in PHASES (1 = Pending … 5 = Suspended):
 * jirasync_phase_info has one series per phase, present only for the current one, so at each
 * instant exactly one operand of the `or` chain has a value.
 */
export function phaseCode(matchers: string): string {
  return PHASES.map((phase, i) => `(max(jirasync_phase_info{${matchers}, phase="${phase}"}) * ${i + 1})`).join('\nor\n');
}

/**
 * Final touches every dashboard gets: unique panel ids in layout order (Grafana's "view panel" and
 * panel links address panels by id), and no `placement` on links and annotation toggles (the SDK
 * defaults it to "inControlsMenu", which hides them in a menu on Grafana 12).
 */
export function finish(d: dashboard.Dashboard): dashboard.Dashboard {
  let id = 0;
  for (const p of d.panels ?? []) {
    p.id = ++id;
    for (const inner of 'panels' in p ? (p.panels ?? []) : []) inner.id = ++id;
  }
  for (const link of d.links ?? []) delete link.placement;
  for (const a of d.annotations?.list ?? []) delete a.placement;
  return d;
}
