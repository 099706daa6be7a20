/**
 * The emulator's data: projects, issues, links, comments, history and workflows, with indexes by id
 * and key. Issues are compact records; their generated text is derived from a seed when rendered.
 * Every write bumps `version` so cached search results can be dropped.
 */
import { DEFAULT_STATUSES, DEFAULT_WORKFLOW, LINK_TYPES, categoryFor, type LinkType } from './catalog.ts';
import { Rng } from './random.ts';
import { generateCommentBody } from './text.ts';
import type {
  CommentRecord, HistoryRecord, IssueRecord, LinkRecord, Mode, ProjectRecord, ReceivedTransition, StatusRecord, UserRecord, WorkflowTransition,
} from './types.ts';

export interface StoreOptions {
  seed: number;
  mode: Mode;
  timeZone: string;
  users: UserRecord[];
  /** Index of the first API user in `users` (authors of what clients post). */
  apiUserStart: number;
}

/** A write the caller asked for that cannot be done (unknown issue, project, status…). */
export class StoreError extends Error {
  override name = 'StoreError';
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

export class IssueStore {
  readonly seed: number;
  readonly mode: Mode;
  readonly timeZone: string;
  readonly users: UserRecord[];
  readonly apiUserStart: number;
  /** Comments a fetched issue embeds in its `comment` field (Jira's first page); the rest via GET …/comment. */
  embeddedComments = 5000;
  readonly projects = new Map<string, ProjectRecord>();
  readonly statuses = new Map<string, StatusRecord>();
  /** The link types this Jira has: the defaults and any an admin added (defineLinkType). */
  readonly linkTypes: LinkType[] = [...LINK_TYPES];
  /** Bumped on every write. */
  version = 0;
  #byId = new Map<number, IssueRecord>();
  #byKey = new Map<string, IssueRecord>();
  /** Keys an issue had before a move → its id (Jira still resolves them on GET issue and bulk fetch). */
  #movedFrom = new Map<string, number>();
  #children = new Map<number, Set<number>>();
  #links = new Map<number, LinkRecord[]>();
  #posted = new Map<number, CommentRecord[]>();
  #history = new Map<number, HistoryRecord[]>();
  #received = new Map<number, ReceivedTransition[]>();
  #nextIssueId = 10001;
  #nextProjectId = 10000;
  #nextLinkId = 10100;
  #nextCommentId = 900_000_000;
  #nextHistoryId = 900_000_000;
  #nextStatusId = 10100;

  constructor(opts: StoreOptions) {
    this.seed = opts.seed;
    this.mode = opts.mode;
    this.timeZone = opts.timeZone;
    this.users = opts.users;
    this.apiUserStart = opts.apiUserStart;
    for (const s of DEFAULT_STATUSES) this.statuses.set(s.name.toLowerCase(), s);
  }

  // ---- reads -------------------------------------------------------------------------------

  /** An issue by key (case-insensitive) or numeric id, hidden ones included. */
  get(keyOrId: string | number): IssueRecord | undefined {
    if (typeof keyOrId === 'number') return this.#byId.get(keyOrId);
    if (/^\d+$/.test(keyOrId)) return this.#byId.get(Number(keyOrId));
    return this.#byKey.get(keyOrId.toUpperCase());
  }

  /**
   * An issue by its current key, a key it had before a move, or its id — how Jira's GET issue and
   * bulk fetch resolve what they are asked for (they answer with the current key).
   */
  resolve(keyOrId: string): IssueRecord | undefined {
    const rec = this.get(keyOrId);
    if (rec || /^\d+$/.test(keyOrId)) return rec;
    const id = this.#movedFrom.get(keyOrId.toUpperCase());
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /** Like get, but throws a 404 StoreError when missing. */
  require(keyOrId: string): IssueRecord {
    const rec = this.get(keyOrId);
    if (!rec) throw new StoreError(`Issue ${keyOrId} does not exist`, 404);
    return rec;
  }

  /** Every issue in insertion order (hidden ones included; callers filter). */
  all(): IterableIterator<IssueRecord> {
    return this.#byId.values();
  }

  get size(): number {
    return this.#byId.size;
  }

  project(keyOrIdOrName: string): ProjectRecord | undefined {
    const p = this.projects.get(keyOrIdOrName.toUpperCase());
    if (p) return p;
    const lower = keyOrIdOrName.toLowerCase();
    for (const q of this.projects.values()) if (q.id === keyOrIdOrName || q.name.toLowerCase() === lower) return q;
    return undefined;
  }

  status(name: string): StatusRecord | undefined {
    return this.statuses.get(name.toLowerCase());
  }

  subtasksOf(id: number): IssueRecord[] {
    return [...(this.#children.get(id) ?? [])].map((c) => this.#byId.get(c)!).filter((r) => r !== undefined);
  }

  linksOf(id: number): LinkRecord[] {
    return this.#links.get(id) ?? [];
  }

  /** Generated comments first (oldest), then what clients posted. */
  comments(rec: IssueRecord): CommentRecord[] {
    const out: CommentRecord[] = [];
    if (rec.generated) {
      const rng = Rng.for(rec.seed, 'comments');
      const n = rng.chance(0.5) ? 0 : rng.int(1, 3);
      let at = rec.created;
      for (let i = 0; i < n; i++) {
        at += Math.floor((rec.updated - at) * rng.next() * 0.5);
        out.push({ id: 100_000_000 + rec.id * 4 + i, issueId: rec.id, author: rng.int(0, this.apiUserStart - 1), body: generateCommentBody(rng),
          created: at, updated: at, posted: false });
      }
    }
    return out.concat(this.#posted.get(rec.id) ?? []);
  }

  postedComments(rec: IssueRecord): CommentRecord[] {
    return this.#posted.get(rec.id) ?? [];
  }

  /** Generated history (the status change that led to the current status), then recorded changes. */
  history(rec: IssueRecord): HistoryRecord[] {
    const out: HistoryRecord[] = [];
    if (rec.generated && rec.status !== 'To Do') {
      const st = this.status(rec.status);
      const todo = this.status('To Do')!;
      out.push({ id: 200_000_000 + rec.id, author: rec.assignee >= 0 ? rec.assignee : rec.reporter, created: rec.statusChanged,
        items: [{ field: 'status', fieldtype: 'jira', fieldId: 'status', from: todo.id, fromString: todo.name, to: st?.id ?? null, toString: rec.status }] });
    }
    return out.concat(this.#history.get(rec.id) ?? []);
  }

  transitionsReceived(rec: IssueRecord): ReceivedTransition[] {
    return this.#received.get(rec.id) ?? [];
  }

  /** Transitions the project's workflow offers from the issue's current status. */
  availableTransitions(rec: IssueRecord): WorkflowTransition[] {
    const wf = this.projects.get(rec.project)?.workflow ?? [];
    const current = rec.status.toLowerCase();
    return wf.filter((t) => (!t.from || t.from.some((f) => f.toLowerCase() === current)));
  }

  // ---- writes ------------------------------------------------------------------------------

  /** Registers a project with the default workflow. */
  addProject(key: string, name?: string): ProjectRecord {
    const k = key.toUpperCase();
    if (!/^[A-Z][A-Z0-9_]{0,9}$/.test(k)) throw new StoreError(`Invalid project key '${key}': use 1-10 capital letters, digits or _ starting with a letter`);
    if (this.projects.has(k)) throw new StoreError(`Project ${k} already exists`);
    const p: ProjectRecord = { id: String(this.#nextProjectId++), key: k, name: name ?? `${k[0]}${k.slice(1).toLowerCase()} project`, nextNum: 1, workflow: DEFAULT_WORKFLOW.map((t) => ({ ...t })) };
    this.projects.set(k, p);
    this.version++;
    return p;
  }

  /** Adds a record built by the generator or the mutation layer; assigns id and key. */
  insert(rec: Omit<IssueRecord, 'id' | 'key'> & { id?: number }): IssueRecord {
    const p = this.projects.get(rec.project);
    if (!p) throw new StoreError(`Project ${rec.project} does not exist`);
    const full = rec as IssueRecord;
    full.id = rec.id ?? this.#nextIssueId++;
    full.key = `${p.key}-${p.nextNum++}`;
    this.#byId.set(full.id, full);
    this.#byKey.set(full.key, full);
    if (full.parentId !== undefined) this.#childSet(full.parentId).add(full.id);
    this.version++;
    return full;
  }

  #childSet(parentId: number): Set<number> {
    let s = this.#children.get(parentId);
    if (!s) this.#children.set(parentId, (s = new Set()));
    return s;
  }

  /** Changes the parent of a subtask, keeping the child index right. */
  setParent(rec: IssueRecord, parentId: number | undefined): void {
    if (rec.parentId !== undefined) this.#children.get(rec.parentId)?.delete(rec.id);
    rec.parentId = parentId;
    if (parentId !== undefined) this.#childSet(parentId).add(rec.id);
  }

  /** Removes an issue, its subtasks and its links; children of an epic lose the epic. */
  remove(rec: IssueRecord): void {
    for (const child of this.subtasksOf(rec.id)) this.remove(child);
    this.#byId.delete(rec.id);
    this.#byKey.delete(rec.key);
    if (rec.parentId !== undefined) this.#children.get(rec.parentId)?.delete(rec.id);
    for (const l of this.#links.get(rec.id) ?? []) {
      const other = l.outwardId === rec.id ? l.inwardId : l.outwardId;
      this.#links.set(other, (this.#links.get(other) ?? []).filter((x) => x.id !== l.id));
    }
    this.#links.delete(rec.id);
    if (rec.type === 'Epic') for (const r of this.#byId.values()) if (r.epicId === rec.id) r.epicId = undefined;
    this.version++;
  }

  /** Gives an issue a key in another project; the old key resolves only through `resolve`. */
  rekey(rec: IssueRecord, project: string): void {
    const p = this.projects.get(project.toUpperCase());
    if (!p) throw new StoreError(`Project ${project} does not exist`);
    this.#byKey.delete(rec.key);
    this.#movedFrom.set(rec.key, rec.id);
    rec.project = p.key;
    rec.key = `${p.key}-${p.nextNum++}`;
    this.#byKey.set(rec.key, rec);
    this.version++;
  }

  addLink(type: string, outward: IssueRecord, inward: IssueRecord): LinkRecord {
    const link: LinkRecord = { id: this.#nextLinkId++, type, outwardId: outward.id, inwardId: inward.id };
    for (const id of new Set([outward.id, inward.id])) {
      const list = this.#links.get(id) ?? [];
      list.push(link);
      this.#links.set(id, list);
    }
    this.version++;
    return link;
  }

  addComment(rec: IssueRecord, body: Record<string, unknown>, author: number, now: number, visibility?: CommentRecord['visibility']): CommentRecord {
    const c: CommentRecord = { id: this.#nextCommentId++, issueId: rec.id, author, body, created: now, updated: now, posted: true, ...(visibility ? { visibility } : {}) };
    const list = this.#posted.get(rec.id) ?? [];
    list.push(c);
    this.#posted.set(rec.id, list);
    this.version++;
    return c;
  }

  recordHistory(rec: IssueRecord, author: number, at: number, items: HistoryRecord['items']): void {
    if (items.length === 0) return;
    const list = this.#history.get(rec.id) ?? [];
    list.push({ id: this.#nextHistoryId++, author, created: at, items });
    this.#history.set(rec.id, list);
  }

  recordTransition(rec: IssueRecord, t: ReceivedTransition): void {
    const list = this.#received.get(rec.id) ?? [];
    list.push(t);
    this.#received.set(rec.id, list);
  }

  /** Finds or creates a status by name (new ones get a category guessed from the name). */
  ensureStatus(name: string): StatusRecord {
    let s = this.status(name);
    if (!s) {
      s = { id: String(this.#nextStatusId++), name, category: categoryFor(name) };
      this.statuses.set(name.toLowerCase(), s);
    }
    return s;
  }

  touch(): void {
    this.version++;
  }
}
