/**
 * Deterministic project generator: the same (seed, key, size) always yields the same issues —
 * epics, stories/tasks/bugs (most under an epic), subtasks, and blocks/relates/duplicates links.
 * Only compact records are stored; text is derived from each record's seed when rendered, so
 * 100,000 issues fit in a few tens of megabytes.
 */
import { LABELS } from './text.ts';
import { Rng, hash32 } from './random.ts';
import type { IssueStore } from './store.ts';
import type { IssueRecord, IssueTypeName } from './types.ts';

/** Generated activity ends here by default (a fixed instant keeps data identical across runs). */
export const DEFAULT_ANCHOR = Date.UTC(2025, 0, 1);
const SPAN = 730 * 24 * 3600_000;

const STATUS_WEIGHTS: [string, number][] = [['To Do', 30], ['In Progress', 20], ['In Review', 10], ['Blocked', 5], ['Done', 35]];
const PRIORITY_WEIGHTS = [5, 15, 55, 18, 7].map((w, i) => [i, w] as const);
const TYPE_WEIGHTS = [['Story', 50], ['Task', 25], ['Bug', 25]] as const;
const LABEL_COUNT_WEIGHTS = [[0, 40], [1, 35], [2, 20], [3, 5]] as const;
const LINK_WEIGHTS = [['Blocks', 40], ['Relates', 45], ['Duplicate', 15]] as const;

function weighted<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = rng.next() * total;
  for (const [v, w] of items) if ((r -= w) < 0) return v;
  return items[items.length - 1][0];
}

/** Generates `count` issues into a new project. */
export function generateProject(store: IssueStore, key: string, count: number, opts: { name?: string; anchor?: number } = {}): void {
  const project = store.addProject(key, opts.name);
  const anchor = opts.anchor ?? DEFAULT_ANCHOR;
  const rng = Rng.for(store.seed, `project:${project.key}`);
  const poolSize = store.apiUserStart;
  const epics: IssueRecord[] = [];
  const parents: IssueRecord[] = [];
  const linkable: IssueRecord[] = [];

  for (let n = 1; n <= count; n++) {
    let type: IssueTypeName;
    const roll = rng.next();
    if (n === 1 || roll < 0.05) type = 'Epic';
    else if (roll < 0.25 && parents.length > 0) type = 'Subtask';
    else type = weighted(rng, TYPE_WEIGHTS);

    const created = anchor - SPAN + Math.floor((n / (count + 1)) * SPAN) + rng.int(0, 3600_000);
    const age = anchor - created;
    // Most issues were touched recently relative to their age; some never after creation.
    const updated = rng.chance(0.15) ? created : created + Math.floor(age * Math.pow(rng.next(), 0.5));
    const status = weighted(rng, STATUS_WEIGHTS);
    const labels: string[] = [];
    const nLabels = weighted(rng, LABEL_COUNT_WEIGHTS);
    while (labels.length < nLabels) {
      const l = rng.pick(LABELS);
      if (!labels.includes(l)) labels.push(l);
    }

    const rec = store.insert({
      project: project.key,
      type,
      status,
      created,
      updated,
      statusChanged: status === 'To Do' ? created : created + Math.floor((updated - created) * rng.next()),
      lastWrite: 0,
      labels,
      assignee: rng.chance(0.25) ? -1 : rng.int(0, poolSize - 1),
      reporter: rng.int(0, poolSize - 1),
      priority: weighted(rng, PRIORITY_WEIGHTS),
      hidden: false,
      seed: hash32(`${store.seed}:${project.key}:${n}`),
      generated: true,
      overrides: {},
    });
    if (type === 'Subtask') {
      store.setParent(rec, rng.pick(parents.slice(-50)).id);
    } else if (type === 'Epic') {
      epics.push(rec);
    } else {
      if (epics.length > 0 && rng.chance(0.7)) rec.epicId = rng.pick(epics.slice(-20)).id;
      parents.push(rec);
    }
    if (type !== 'Epic' && linkable.length > 0 && rng.chance(0.12)) {
      const other = rng.pick(linkable.slice(-200));
      const linkType = weighted(rng, LINK_WEIGHTS);
      store.addLink(linkType, rec, other);
    }
    if (type !== 'Subtask') linkable.push(rec);
  }
}
