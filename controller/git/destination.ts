/**
 * The contract between the sync engine and the git writer. The engine stages paths; the writer
 * turns them into blobs, trees and one commit, and pushes it. controller/git/ implements it with
 * isomorphic-git (no git binary).
 */

export interface GitAuth {
  username: string;
  password: string;
}

export interface GitTarget {
  /** https URL, without credentials. */
  url: string;
  branch: string;
  auth?: GitAuth;
  author: { name: string; email: string };
  /** A directory that survives between runs of the same JIRASync; rebuilt when missing or corrupt. */
  cacheDir: string;
  /**
   * A cache shared by the JIRASyncs that write this repository and branch (from one namespace):
   * used instead of cacheDir when no other checkout of this process holds it, so that a sync
   * following another on the same branch finds the tip already there (no clone, no fetch).
   */
  sharedCacheDir?: string;
  /** Extra CA certificates (PEM) to trust for the repository's HTTPS server. */
  caCertificates?: string;
}

/** Paths (relative to the repository root, '/'-separated) that the commit adds, changes or removes. */
export interface TreeDiff {
  added: string[];
  modified: string[];
  removed: string[];
}

export interface CommitResult {
  /** The new commit id, or undefined when the tree did not change (no commit, no push). */
  commit?: string;
  diff: TreeDiff;
  /** How many times the push was retried because the remote moved. */
  pushRetries: number;
}

/** One sync's view of the branch: read the base, stage changes, then commit and push once. */
export interface Checkout {
  /** The remote tip this checkout started from; undefined for an empty repository or a new branch. */
  readonly baseCommit: string | undefined;
  /** A file's content in the base tree, or undefined. */
  readFile(path: string, signal?: AbortSignal): Promise<Uint8Array | undefined>;
  /** Entries of a directory in the base tree (empty when it does not exist). */
  listDir(path: string, signal?: AbortSignal): Promise<{ name: string; type: 'file' | 'symlink' | 'dir' }[]>;
  /** Stages a regular file; its blob is written now and only its id is kept in memory. */
  writeFile(path: string, content: string | Uint8Array): Promise<void>;
  /** Stages a symlink (git mode 120000) pointing at a relative target. */
  writeSymlink(path: string, target: string): Promise<void>;
  /** Removes a file or a whole directory from the tree (later writes under it are kept). */
  remove(path: string): void;
  /**
   * Builds the tree (reusing unchanged subtrees), and when it differs from the base, commits it with
   * the message made from the diff and pushes. If the remote moved, fetches the new tip, replays the
   * same staged changes onto it and pushes again (bounded); never force-pushes.
   */
  commitAndPush(message: (diff: TreeDiff) => string, signal?: AbortSignal): Promise<CommitResult>;
  /** Releases the cache directory, its files and connections (commitAndPush does it too); safe to repeat. */
  close(): Promise<void>;
}

export interface GitDestination {
  /** Clones or fetches the branch into the target's cache directory and returns a checkout of its tip. */
  open(target: GitTarget, signal?: AbortSignal): Promise<Checkout>;
}

/** Hooks for metrics and tracing. */
export interface GitHooks {
  onPush?(info: { result: 'success' | 'rejected' | 'error'; seconds: number }): void;
  wrap?<T>(info: { operation: 'clone' | 'fetch' | 'build-tree' | 'commit' | 'push' }, call: () => Promise<T>): Promise<T>;
}
