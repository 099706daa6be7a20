/**
 * Writes the Grafana dashboards (dashboards/*.json) from the typed sources in dashboards/src.
 * Run with `npm run dashboards` after changing a source, and commit the JSON with it.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderDashboards } from './render.ts';

const outDir = resolve(import.meta.dirname, '..');
const files = renderDashboards();
for (const [name, json] of Object.entries(files)) {
  writeFileSync(join(outDir, name), json);
  console.log(`wrote dashboards/${name}`);
}
// A dashboard that is no longer generated must not linger in the chart or in Grafana.
for (const name of readdirSync(outDir)) {
  if (name.endsWith('.json') && !(name in files)) {
    rmSync(join(outDir, name));
    console.log(`removed dashboards/${name}`);
  }
}
