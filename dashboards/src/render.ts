/**
 * The shipped dashboards as the exact JSON text committed in dashboards/*.json. generate.ts writes
 * it; test/dashboards/dashboards.test.ts compares it with the committed files.
 */
import { controllerInternals } from './controller.ts';
import { fleetOverview } from './fleet.ts';
import { syncDrillDown } from './sync.ts';

/** File name (in dashboards/) → JSON text, for every shipped dashboard. */
export function renderDashboards(): Record<string, string> {
  return {
    'jirasync-fleet-overview.json': toJson(fleetOverview()),
    'jirasync-sync-drill-down.json': toJson(syncDrillDown()),
    'jirasync-controller-internals.json': toJson(controllerInternals()),
  };
}

function toJson(d: object): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
