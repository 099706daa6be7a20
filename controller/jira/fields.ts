/**
 * Jira's field list (GET /field) and what jirasync reads from it. Pure: no I/O.
 *
 * - Well-known custom fields are found by their schema, not by a fixed id (ids differ between
 *   sites): the sprint by the custom type `com.pyxis.greenhopper.jira:gh-sprint`; story points by
 *   `com.pyxis.greenhopper.jira:jsw-story-points` (team-managed "Story point estimate"), else a
 *   number field (`...customfieldtypes:float`) named "Story Points" or "Story point estimate".
 * - `spec.customFields` entries are ids (`customfield_10016`) or field names ("Team"): a name is
 *   matched exactly, then case-insensitively; one that matches no field or several is a spec
 *   error naming the candidates' ids, so the user can write the id instead.
 */

/** One entry of GET /rest/api/{2,3}/field, as far as jirasync reads it. */
export interface JiraField {
  id: string;
  name: string;
  custom: boolean;
  schema?: { type?: string; items?: string; system?: string; custom?: string };
}

export const SPRINT_TYPE = 'com.pyxis.greenhopper.jira:gh-sprint';
export const STORY_POINTS_TYPE = 'com.pyxis.greenhopper.jira:jsw-story-points';
export const FLOAT_TYPE = 'com.atlassian.jira.plugin.system.customfieldtypes:float';

/** Names a number field may carry to be taken for story points (lower case), by preference. */
const STORY_POINT_NAMES = ['story points', 'story point estimate'];

export const CUSTOM_FIELD_ID = /^customfield_[0-9]{1,18}$/;

/** A custom field the sync writes: its id, its name in Jira, and the key it is written under. */
export interface ResolvedField {
  id: string;
  name: string;
}

/** What the field list told us for one run. */
export interface FieldResolution {
  storyPoints?: string;
  sprint?: string;
  /** spec.customFields resolved to ids, in the order given, duplicates removed. */
  customFields: ResolvedField[];
}

/** A customFields entry that names no field, or several; the message says what to write instead. */
export class FieldResolutionError extends Error {
  override name = 'FieldResolutionError';
}

function byNumericId(a: JiraField, b: JiraField): number {
  const n = (f: JiraField) => Number(f.id.replace(/^customfield_/, '')) || Number.MAX_SAFE_INTEGER;
  return n(a) - n(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The story points field: the Jira Software type first, then a number field by its name. */
export function findStoryPoints(fields: readonly JiraField[]): string | undefined {
  const custom = fields.filter((f) => f.custom).sort(byNumericId);
  const typed = custom.find((f) => f.schema?.custom === STORY_POINTS_TYPE);
  if (typed) return typed.id;
  for (const name of STORY_POINT_NAMES) {
    const f = custom.find((x) => x.schema?.custom === FLOAT_TYPE && x.name.trim().toLowerCase() === name);
    if (f) return f.id;
  }
  return undefined;
}

/** The sprint field (lowest id when a site has several). */
export function findSprint(fields: readonly JiraField[]): string | undefined {
  return fields.filter((f) => f.custom && f.schema?.custom === SPRINT_TYPE).sort(byNumericId)[0]?.id;
}

/** One customFields entry (id or name) → the field, or a FieldResolutionError. */
export function resolveField(fields: readonly JiraField[], wanted: string): ResolvedField {
  const w = wanted.trim();
  const byId = fields.find((f) => f.id === w);
  if (byId) return { id: byId.id, name: byId.name };
  if (CUSTOM_FIELD_ID.test(w)) return { id: w, name: w }; // a field the user cannot see: written as null, as before
  let matches = fields.filter((f) => f.name === w);
  if (matches.length === 0) matches = fields.filter((f) => f.name.toLowerCase() === w.toLowerCase());
  if (matches.length === 1) return { id: matches[0].id, name: matches[0].name };
  if (matches.length === 0) {
    throw new FieldResolutionError(`customFields: no Jira field is named ${JSON.stringify(w)} (use the field's id, such as customfield_10016, or its exact name)`);
  }
  const ids = matches.sort(byNumericId).map((f) => f.id).join(', ');
  throw new FieldResolutionError(`customFields: ${matches.length} Jira fields are named ${JSON.stringify(w)} (${ids}); name one by its id`);
}

/** Resolves the well-known fields and spec.customFields against one field list. */
export function resolveFields(fields: readonly JiraField[], customFields: readonly string[]): FieldResolution {
  const out: FieldResolution = { customFields: [] };
  const sp = findStoryPoints(fields);
  if (sp) out.storyPoints = sp;
  const sprint = findSprint(fields);
  if (sprint) out.sprint = sprint;
  const seen = new Set<string>();
  for (const w of customFields) {
    const r = resolveField(fields, w);
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    out.customFields.push(r);
  }
  return out;
}

/** Reads a GET /field answer defensively: entries without a string id and name are skipped. */
export function parseFieldList(value: unknown): JiraField[] {
  if (!Array.isArray(value)) return [];
  const out: JiraField[] = [];
  for (const raw of value) {
    if (!raw || typeof raw !== 'object') continue;
    const o = raw as Record<string, unknown>;
    if (typeof o.id !== 'string' || typeof o.name !== 'string') continue;
    const s = o.schema && typeof o.schema === 'object' ? (o.schema as Record<string, unknown>) : undefined;
    const schema: JiraField['schema'] = {};
    if (s) {
      for (const k of ['type', 'items', 'system', 'custom'] as const) if (typeof s[k] === 'string') schema[k] = s[k] as string;
    }
    out.push({ id: o.id, name: o.name.toWellFormed(), custom: o.custom === true || o.id.startsWith('customfield_'), schema });
  }
  return out;
}

/** How long one connection's field list is reused across runs (a rename in Jira is seen after this). */
export const FIELD_LIST_TTL_MS = 10 * 60_000;

const fieldLists = new Map<string, { at: number; list: Promise<JiraField[]> }>();

/**
 * The field list of one connection (`key`: its base URL and a hash of its credentials, which decide
 * what fields are visible), loaded at most once per FIELD_LIST_TTL_MS in this process, so a
 * schedule of frequent incremental runs does not read it every time. A failed load is not kept.
 */
export function sharedFieldList(key: string, load: () => Promise<JiraField[]>, now = Date.now()): Promise<JiraField[]> {
  const hit = fieldLists.get(key);
  if (hit && now - hit.at < FIELD_LIST_TTL_MS) return hit.list;
  for (const [k, v] of fieldLists) if (now - v.at >= FIELD_LIST_TTL_MS) fieldLists.delete(k);
  const list = load();
  fieldLists.set(key, { at: now, list });
  list.catch(() => {
    if (fieldLists.get(key)?.list === list) fieldLists.delete(key);
  });
  return list;
}
