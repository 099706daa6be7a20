/**
 * The staged change of one checkout, independent of any base tree: an overlay of written blobs,
 * removed paths and replaced directories. Keeping it base-independent is what lets a push that
 * lost a race replay the very same change onto the remote's new tip.
 */
import { isSafeComponent } from './paths.ts';
import { GitInvalidTargetError } from './errors.ts';

export interface StagedBlob {
  kind: 'blob';
  mode: string;
  oid: string;
}

export interface StagedRemoval {
  kind: 'removed';
}

export interface StagedDir {
  kind: 'dir';
  /** True when the base directory at this path was removed: start from an empty directory. */
  replace: boolean;
  children: Map<string, StagedNode>;
}

export type StagedNode = StagedBlob | StagedRemoval | StagedDir;

/** Splits and checks a repository path: '/'-separated, relative, no '.', '..', '.git' or empty parts. */
export function splitPath(path: string): string[] {
  const parts = path.split('/');
  for (const p of parts) {
    if (!isSafeComponent(p)) {
      throw new GitInvalidTargetError(`invalid repository path ${JSON.stringify(path)}`);
    }
  }
  return parts;
}

export function newDir(replace: boolean): StagedDir {
  return { kind: 'dir', replace, children: new Map() };
}

/** The overlay of one checkout. */
export class Stage {
  readonly root: StagedDir = newDir(false);
  #ops = 0;

  /** How many write/remove calls were staged (0 means nothing to do). */
  get size(): number {
    return this.#ops;
  }

  /** The staged directory for the parent of parts, created along the way. */
  #parent(parts: string[]): StagedDir {
    let dir = this.root;
    for (const name of parts.slice(0, -1)) {
      const child = dir.children.get(name);
      if (child?.kind === 'dir') {
        dir = child;
        continue;
      }
      // A removed path, or a blob staged where a directory now goes, starts an empty directory.
      const next = newDir(child !== undefined);
      dir.children.set(name, next);
      dir = next;
    }
    return dir;
  }

  setBlob(path: string, mode: string, oid: string): void {
    const parts = splitPath(path);
    this.#parent(parts).children.set(parts[parts.length - 1], { kind: 'blob', mode, oid });
    this.#ops++;
  }

  /** Removes a file or a whole directory; an empty path removes everything. */
  remove(path: string): void {
    this.#ops++;
    if (path === '' || path === '/') {
      this.root.replace = true;
      this.root.children.clear();
      return;
    }
    const parts = splitPath(path.replace(/\/+$/, ''));
    this.#parent(parts).children.set(parts[parts.length - 1], { kind: 'removed' });
  }

  /** Every staged blob id (for deciding which staged objects a pack needs). */
  *blobs(dir: StagedDir = this.root): Generator<string> {
    for (const child of dir.children.values()) {
      if (child.kind === 'blob') yield child.oid;
      else if (child.kind === 'dir') yield* this.blobs(child);
    }
  }
}
