/**
 * The field catalog (what GET /field lists) and field selection as Jira reads the `fields`
 * parameter: `*all`, `*navigable`, explicit ids, and `-id` exclusions.
 */
import { CUSTOM_FIELDS } from '../model/catalog.ts';
import type { Mode } from '../model/types.ts';

export interface FieldDef {
  id: string;
  name: string;
  custom: boolean;
  navigable: boolean;
  orderable: boolean;
  searchable: boolean;
  clauseNames: string[];
  schema: { type: string; items?: string; system?: string; custom?: string; customId?: number };
}

const sys = (id: string, name: string, type: string, opts: Partial<FieldDef> & { items?: string } = {}): FieldDef => ({
  id, name, custom: false, navigable: opts.navigable ?? true, orderable: opts.orderable ?? true, searchable: opts.searchable ?? true,
  clauseNames: opts.clauseNames ?? [id], schema: { type, ...(opts.items ? { items: opts.items } : {}), system: id },
});
const cf = (d: { id: string; name: string; type: string; items?: string; custom: string }): FieldDef => {
  const n = Number(d.id.slice('customfield_'.length));
  return { id: d.id, name: d.name, custom: true, navigable: true, orderable: true, searchable: true, clauseNames: [`cf[${n}]`, d.name],
    schema: { type: d.type, ...(d.items ? { items: d.items } : {}), custom: d.custom, customId: n } };
};

const catalogs = new Map<Mode, FieldDef[]>();

/** Every field the emulator knows, in the order /field lists them (shared; do not mutate). */
export function fieldCatalog(mode: Mode): FieldDef[] {
  let list = catalogs.get(mode);
  if (!list) catalogs.set(mode, (list = buildCatalog(mode)));
  return list;
}

function buildCatalog(mode: Mode): FieldDef[] {
  const list: FieldDef[] = [
    sys('summary', 'Summary', 'string'),
    sys('description', 'Description', 'string'),
    sys('issuetype', 'Issue Type', 'issuetype', { clauseNames: ['issuetype', 'type'] }),
    sys('project', 'Project', 'project'),
    sys('status', 'Status', 'status', { orderable: false }),
    sys('priority', 'Priority', 'priority'),
    sys('assignee', 'Assignee', 'user'),
    sys('reporter', 'Reporter', 'user'),
    sys('creator', 'Creator', 'user', { orderable: false }),
    sys('labels', 'Labels', 'array', { items: 'string' }),
    sys('created', 'Created', 'datetime', { orderable: false, clauseNames: ['created', 'createdDate'] }),
    sys('updated', 'Updated', 'datetime', { orderable: false, clauseNames: ['updated', 'updatedDate'] }),
    sys('statuscategorychangedate', 'Status Category Changed', 'datetime', { orderable: false }),
    sys('resolution', 'Resolution', 'resolution'),
    sys('resolutiondate', 'Resolved', 'datetime', { orderable: false, clauseNames: ['resolutiondate', 'resolved'] }),
    sys('duedate', 'Due date', 'date', { clauseNames: ['due', 'duedate'] }),
    sys('versions', 'Affects versions', 'array', { items: 'version', clauseNames: ['affectedVersion'] }),
    sys('environment', 'Environment', 'string', { clauseNames: ['environment'] }),
    sys('timetracking', 'Time tracking', 'timetracking', { navigable: false, clauseNames: [] }),
    sys('attachment', 'Attachment', 'array', { items: 'attachment', clauseNames: ['attachments'] }),
    sys('worklog', 'Log Work', 'array', { items: 'worklog', navigable: false, clauseNames: ['worklogComment', 'worklogDate'] }),
    sys('parent', 'Parent', 'issuelink', { clauseNames: ['parent'] }),
    sys('subtasks', 'Sub-tasks', 'array', { items: 'issuelinks', orderable: false, clauseNames: ['subtasks'] }),
    sys('issuelinks', 'Linked Issues', 'array', { items: 'issuelinks', clauseNames: ['issueLink'] }),
    sys('comment', 'Comment', 'comments-page', { navigable: false, clauseNames: ['comment'] }),
    sys('issuekey', 'Key', 'string', { orderable: false, clauseNames: ['id', 'issue', 'issuekey', 'key'] }),
    cf(CUSTOM_FIELDS.storyPoints),
    cf(CUSTOM_FIELDS.team),
    cf(CUSTOM_FIELDS.sprint),
  ];
  if (mode === 'datacenter') list.push(cf(CUSTOM_FIELDS.epicLink), cf(CUSTOM_FIELDS.epicName));
  return list;
}

/** Which fields a request selected. `id`/`key` are top-level and never fields. */
export interface FieldSelection {
  has(id: string): boolean;
  /** True when at least one real field was selected. */
  any: boolean;
  /** True when only id/key (or nothing) was asked for: enhanced search then allows 5,000 per page. */
  idOrKeyOnly: boolean;
}

/**
 * Reads a `fields` parameter (repeated and/or comma-separated). `fallback` applies when absent:
 * GET issue uses `*all`, bulk fetch and the old search `*navigable`, enhanced search `id` only.
 */
export function selectFields(raw: readonly string[] | undefined, fallback: '*all' | '*navigable' | 'none', mode: Mode): FieldSelection {
  const catalog = fieldCatalog(mode);
  const items = (raw ?? []).flatMap((f) => f.split(',')).map((f) => f.trim()).filter((f) => f.length > 0);
  const tokens = items.length > 0 ? items : fallback === 'none' ? [] : [fallback];
  const include = new Set<string>();
  const exclude = new Set<string>();
  let all = false;
  let navigable = false;
  for (const t of tokens) {
    if (t === '*all') all = true;
    else if (t === '*navigable') navigable = true;
    else if (t.startsWith('-')) exclude.add(t.slice(1));
    else include.add(t);
  }
  // Exclusions alone mean "the default set minus these".
  if (include.size === 0 && !all && !navigable && exclude.size > 0 && fallback !== 'none') {
    if (fallback === '*all') all = true;
    else navigable = true;
  }
  const byId = new Map(catalog.map((f) => [f.id, f]));
  const has = (id: string): boolean => {
    if (exclude.has(id)) return false;
    if (include.has(id)) return byId.has(id) && id !== 'issuekey';
    const def = byId.get(id);
    if (!def || id === 'issuekey') return false;
    return all || (navigable && def.navigable);
  };
  const real = catalog.some((f) => has(f.id));
  return { has, any: real, idOrKeyOnly: !all && !navigable && [...include].every((f) => f === 'id' || f === 'key' || !byId.has(f)) };
}
