/**
 * Jira traffic goes through Node's global fetch (jira.js has no transport option), so the egress
 * policy and the response cap are installed on the process's global undici dispatcher: every
 * connection it opens resolves its host through the policy's lookup, and no response body may
 * exceed the cap. The Kubernetes client brings its own dispatcher and is not affected.
 */
import { Agent, setGlobalDispatcher } from 'undici';
import type { EgressPolicy } from './policy.ts';

export interface DispatcherOptions {
  /** Largest response body accepted, in bytes. */
  maxResponseBytes: number;
  /** A connection idle this long fails (the per-run deadline bounds the whole run). */
  idleTimeoutMs?: number;
}

/** Installs the policy on the global dispatcher; returns a function that closes it. */
export function installEgressDispatcher(policy: EgressPolicy, opts: DispatcherOptions): () => Promise<void> {
  const agent = new Agent({
    connect: { lookup: policy.lookup() },
    maxResponseSize: opts.maxResponseBytes,
    bodyTimeout: opts.idleTimeoutMs ?? 120_000,
    headersTimeout: opts.idleTimeoutMs ?? 120_000,
  });
  setGlobalDispatcher(agent);
  return () => agent.close();
}
