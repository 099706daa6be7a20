/** The text and custom-field values of an issue: explicit overrides first, else derived from its seed. */
import { CUSTOM_FIELDS, TEAM_OPTIONS } from './catalog.ts';
import { Rng } from './random.ts';
import type { IssueStore } from './store.ts';
import { generateDescription, generateSummary } from './text.ts';
import type { IssueRecord } from './types.ts';

export function summaryOf(rec: IssueRecord): string {
  const o = rec.overrides.summary;
  if (typeof o === 'string') return o;
  return rec.generated ? generateSummary(Rng.for(rec.seed, 'summary')) : rec.key;
}

/** ADF document or null. */
export function descriptionOf(store: IssueStore, rec: IssueRecord): Record<string, unknown> | null {
  if ('description' in rec.overrides) return rec.overrides.description as Record<string, unknown> | null;
  if (!rec.generated) return null;
  return generateDescription(Rng.for(rec.seed, 'description'), store.users.slice(0, store.apiUserStart));
}

/** Value of a custom field (v3 form), or null when unset. */
export function customFieldOf(rec: IssueRecord, id: string): unknown {
  if (id in rec.overrides) return rec.overrides[id];
  if (!rec.generated) return null;
  const rng = Rng.for(rec.seed, id);
  switch (id) {
    case CUSTOM_FIELDS.storyPoints.id:
      return rec.type === 'Story' && rng.chance(0.8) ? rng.pick([1, 2, 3, 5, 8, 13]) : null;
    case CUSTOM_FIELDS.team.id:
      return rng.chance(0.7) ? rng.pick(TEAM_OPTIONS) : null;
    case CUSTOM_FIELDS.epicName.id:
      return rec.type === 'Epic' ? summaryOf(rec).slice(0, 40) : null;
    default:
      return null;
  }
}
