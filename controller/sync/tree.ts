/**
 * Read-only view of the base tree under the sync root, with the listings a run needs cached:
 * which issues are already stored (the owned set) and which relationship kinds exist. Directory
 * listings are per project, so an incremental run only lists the projects it touches.
 */
import type { Checkout } from '../git/destination.ts';
import { isSafeComponent } from '../git/paths.ts';
import { ISSUE_KEY } from './render/document.ts';
import { issuePath, projectOf } from './relationships.ts';

/** Normalises destination.path to '' (repository root) or 'a/b/'; throws on '..' segments. */
export function syncRoot(path: string | undefined): string {
  const parts = (path ?? '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new Error(`destination.path ${JSON.stringify(path)} must stay inside the repository`);
  if (!parts.every(isSafeComponent)) throw new Error(`destination.path ${JSON.stringify(path)} has a component git refuses (such as .git in any spelling)`);
  return parts.length === 0 ? '' : `${parts.join('/')}/`;
}

export class BaseTree {
  readonly root: string;
  readonly #checkout: Checkout;
  readonly #signal: AbortSignal | undefined;
  #projects: Promise<string[]> | undefined;
  readonly #issues = new Map<string, Promise<Set<string>>>();
  readonly #kinds = new Map<string, Promise<string[]>>();

  constructor(checkout: Checkout, root: string, signal?: AbortSignal) {
    this.#checkout = checkout;
    this.root = root;
    this.#signal = signal;
  }

  /** Project directories under projects/. */
  projects(): Promise<string[]> {
    this.#projects ??= this.#checkout
      .listDir(`${this.root}projects`, this.#signal)
      .then((entries) => entries.filter((e) => e.type === 'dir').map((e) => e.name));
    return this.#projects;
  }

  /** Keys stored under projects/{project}/issues/. */
  issuesOf(project: string): Promise<Set<string>> {
    let p = this.#issues.get(project);
    if (!p) {
      p = this.#checkout.listDir(`${this.root}projects/${project}/issues`, this.#signal).then((entries) => {
        const keys = new Set<string>();
        for (const e of entries) {
          if (e.type !== 'file' || !e.name.endsWith('.yaml')) continue;
          const key = e.name.slice(0, -5);
          if (ISSUE_KEY.test(key) && projectOf(key) === project) keys.add(key);
        }
        return keys;
      });
      this.#issues.set(project, p);
    }
    return p;
  }

  /** Every stored key (the set this sync owns). */
  async ownedKeys(): Promise<Set<string>> {
    const all = new Set<string>();
    for (const project of await this.projects()) {
      this.#signal?.throwIfAborted();
      for (const k of await this.issuesOf(project)) all.add(k);
    }
    return all;
  }

  /** The stored YAML text of an issue, or undefined. */
  async readIssue(key: string): Promise<string | undefined> {
    const bytes = await this.#checkout.readFile(issuePath(this.root, key), this.#signal);
    return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
  }

  /** Relationship kind directories of a project. */
  relationshipKinds(project: string): Promise<string[]> {
    let p = this.#kinds.get(project);
    if (!p) {
      p = this.#checkout
        .listDir(`${this.root}projects/${project}/relationships`, this.#signal)
        .then((entries) => entries.filter((e) => e.type === 'dir').map((e) => e.name));
      this.#kinds.set(project, p);
    }
    return p;
  }
}
