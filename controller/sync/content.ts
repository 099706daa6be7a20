/**
 * What one run writes beyond the core fields, and how it is read from Jira within a bounded
 * request budget (issue 18).
 *
 * - The field list (GET /field) is asked for once per run, lazily, right before the first fetch or
 *   search (and the Jira layer shares one answer among the runs of a connection for 10 minutes):
 *   it finds story points and the sprint by their schema type and resolves spec.customFields
 *   given by name. A run that fetches nothing does not ask for it.
 * - Comments, attachments and worklogs come with the same bulk fetch or search as the other
 *   fields (`fields=comment,attachment,worklog`), the changelog with `expand=changelog`. Jira embeds
 *   only a first page of some of them; when an issue has more than that page and the cap wants
 *   more, the missing newest entries are read with at most MAX_EXTRA_PAGES extra requests per part
 *   and issue (IssueSource.issuePart), a few issues at a time.
 *
 * `contentSource` wraps the run's IssueSource so the engine's fetch and search calls stay as
 * they are; the RenderPlan it resolves is what renderIssue reads.
 */
import { normalizeSpec } from '../api/fingerprint.ts';
import type { JIRASyncSpec } from '../api/jirasync.ts';
import { CUSTOM_FIELD_ID, FieldResolutionError, resolveFields } from '../jira/fields.ts';
import type { FetchOptions, IssuePart, IssueSource, JiraIssue } from '../jira/source.ts';
import { StallingError } from './errors.ts';
import { obj, type RenderPlan } from './render/content.ts';

/** Extra page requests per part and issue, at most (each asks for up to the cap). */
export const MAX_EXTRA_PAGES = 10;
/** Issues whose parts are completed at once (the host limiter still paces the requests). */
const PART_CONCURRENCY = 4;

/** Where each paged part sits in a fetched issue, and the name of its list. */
const PART_FIELD: Record<IssuePart, { field: string; list: string; newestFirst: boolean }> = {
  // Jira embeds the first (oldest) comments and worklogs, but the newest changelog entries.
  comments: { field: 'comment', list: 'comments', newestFirst: false },
  worklogs: { field: 'worklog', list: 'worklogs', newestFirst: false },
  changelog: { field: 'changelog', list: 'histories', newestFirst: true },
};

/** The spec's content settings, with defaults applied and caps clamped. */
export interface ContentSettings {
  customFields: string[];
  comments?: number;
  attachments?: number;
  worklogs?: number;
  changelog?: number;
}

/** The same normalisation the fingerprints use, so what is hashed is what is written. */
export function contentSettings(spec: JIRASyncSpec): ContentSettings {
  const n = normalizeSpec(spec);
  return { customFields: [...new Set((spec.customFields ?? []).map((f) => f.trim()).filter((f) => f !== ''))], ...n.content };
}

/** The plan of one run: resolved once, then read by every render. */
export class ContentPlan {
  readonly settings: ContentSettings;
  #plan: RenderPlan;
  #resolving: Promise<void> | undefined;

  constructor(settings: ContentSettings) {
    this.settings = settings;
    // Until resolved (and for sources without a field list), custom fields are known by id only.
    this.#plan = { ...this.#parts(), customFields: settings.customFields.map((id) => ({ id, name: id })) };
  }

  #parts(): Omit<RenderPlan, 'customFields'> {
    const { comments, attachments, worklogs, changelog } = this.settings;
    return {
      ...(comments !== undefined && { comments }),
      ...(attachments !== undefined && { attachments }),
      ...(worklogs !== undefined && { worklogs }),
      ...(changelog !== undefined && { changelog }),
    };
  }

  /** What renderIssue reads. */
  get render(): RenderPlan {
    return this.#plan;
  }

  /** Reads the field list once (failures are not cached); a bad customFields entry is a StallingError. */
  resolve(source: IssueSource, signal?: AbortSignal): Promise<void> {
    this.#resolving ??= this.#resolve(source, signal).catch((err: unknown) => {
      this.#resolving = undefined;
      throw err;
    });
    return this.#resolving;
  }

  async #resolve(source: IssueSource, signal?: AbortSignal): Promise<void> {
    const names = this.settings.customFields.filter((f) => !CUSTOM_FIELD_ID.test(f));
    if (!source.fieldList) {
      if (names.length > 0) throw new StallingError(`customFields: ${names.map((n) => JSON.stringify(n)).join(', ')} must be field ids here (this Jira connection cannot list fields)`);
      return;
    }
    const list = await source.fieldList(signal);
    try {
      const r = resolveFields(list, this.settings.customFields);
      this.#plan = {
        ...this.#parts(),
        ...(r.storyPoints && { storyPoints: r.storyPoints }),
        ...(r.sprint && { sprint: r.sprint }),
        customFields: r.customFields,
      };
    } catch (err) {
      if (err instanceof FieldResolutionError) throw new StallingError(err.message, { cause: err });
      throw err;
    }
  }

  /** The fields to ask Jira for: the caller's, the well-known ones found, and the enabled parts. */
  fields(base: readonly string[]): string[] {
    const p = this.#plan;
    const extra = [
      p.storyPoints,
      p.sprint,
      ...p.customFields.map((c) => c.id),
      p.comments !== undefined ? 'comment' : undefined,
      p.attachments !== undefined ? 'attachment' : undefined,
      p.worklogs !== undefined ? 'worklog' : undefined,
    ].filter((f): f is string => f !== undefined);
    return [...new Set([...base, ...extra])];
  }

  options(base?: FetchOptions): FetchOptions {
    if (this.#plan.changelog === undefined) return base ?? {};
    return { ...base, expand: [...new Set([...(base?.expand ?? []), 'changelog'])] };
  }

  /** The enabled paged parts with their caps. */
  pagedParts(): Array<[IssuePart, number]> {
    const p = this.#plan;
    const out: Array<[IssuePart, number]> = [];
    if (p.comments !== undefined) out.push(['comments', p.comments]);
    if (p.worklogs !== undefined) out.push(['worklogs', p.worklogs]);
    if (p.changelog !== undefined) out.push(['changelog', p.changelog]);
    return out;
  }
}

/**
 * Reads the newest `cap` entries of one part of one issue when the embedded page lacks some of
 * them, and puts the complete list back where the renderer looks. Oldest first from `startAt =
 * total - cap`; at most MAX_EXTRA_PAGES requests.
 */
async function completePart(source: IssueSource, issue: JiraIssue, part: IssuePart, cap: number, signal?: AbortSignal): Promise<void> {
  const where = PART_FIELD[part];
  const embedded = part === 'changelog' ? issue.changelog : obj(issue.fields[where.field]);
  if (!embedded || !source.issuePart) return;
  const have = Array.isArray(embedded[where.list]) ? (embedded[where.list] as unknown[]).length : 0;
  const total = typeof embedded.total === 'number' ? embedded.total : have;
  // Done when the embedded page holds every entry, or (newest first) at least the newest `cap`.
  if (total <= have || (where.newestFirst && have >= cap)) return;
  const want = Math.min(cap, total);
  const values: Array<Record<string, unknown>> = [];
  let startAt = total - want;
  for (let page = 0; page < MAX_EXTRA_PAGES && values.length < want; page++) {
    const res = await source.issuePart(issue.id || issue.key, part, startAt, want - values.length, signal);
    if (res.values.length === 0) break;
    values.push(...res.values);
    startAt += res.values.length;
    if (startAt >= res.total) break;
  }
  const complete = { startAt: total - want, maxResults: values.length, total, [where.list]: values };
  if (part === 'changelog') issue.changelog = complete;
  else issue.fields[where.field] = complete;
}

async function completeParts(source: IssueSource, plan: ContentPlan, issues: JiraIssue[], signal?: AbortSignal): Promise<void> {
  const parts = plan.pagedParts();
  if (parts.length === 0 || !source.issuePart) return;
  const work = issues.flatMap((issue) => parts.map(([part, cap]) => () => completePart(source, issue, part, cap, signal)));
  let next = 0;
  const worker = async () => {
    while (next < work.length) await work[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, work.length) }, worker));
}

/**
 * The run's IssueSource with content: fetch and search resolve the plan first, ask for its fields
 * (and expands), and complete paged parts before yielding each page.
 */
export function contentSource(inner: IssueSource, plan: ContentPlan): IssueSource {
  async function* completed(pages: AsyncIterable<JiraIssue[]>, signal?: AbortSignal): AsyncGenerator<JiraIssue[]> {
    for await (const page of pages) {
      await completeParts(inner, plan, page, signal);
      yield page;
    }
  }
  const source: IssueSource = {
    timeZone: (s) => inner.timeZone(s),
    count: (jql, s) => inner.count(jql, s),
    enumerate: (jql, s, o) => inner.enumerate(jql, s, o),
    async *fetch(keys, fields, s, o) {
      if (keys.length === 0) {
        yield* inner.fetch(keys, fields, s, o); // nothing to render: no field list needed
        return;
      }
      await plan.resolve(inner, s);
      yield* completed(inner.fetch(keys, plan.fields(fields), s, plan.options(o)), s);
    },
    async *search(jql, fields, s, o) {
      await plan.resolve(inner, s);
      yield* completed(inner.search(jql, plan.fields(fields), s, plan.options(o)), s);
    },
  };
  if (inner.fieldList) source.fieldList = inner.fieldList.bind(inner);
  if (inner.issuePart) source.issuePart = inner.issuePart.bind(inner);
  if (inner.epicChildren) source.epicChildren = inner.epicChildren.bind(inner); // Data Center: the Epic Link
  return source;
}
