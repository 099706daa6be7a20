/**
 * Step 2, open: the git checkout the engine writes into. Discovers the destination branch's refs,
 * then clones or fetches when the branch moved, into the cache its namespace shares for that
 * repository and branch (when another run holds it, into this JIRASync's own, keyed by its uid).
 * Many small syncs of one repository so clone it once, not once each. It runs in one `git.open`
 * span, so a repository that is missing or refuses the credentials shows as a failed git span too.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DEFAULTS } from '../../api/jirasync.ts';
import type { GitTarget } from '../../git/destination.ts';
import { withSpan } from '../../observability/tracing.ts';
import type { Run } from './run.ts';

export async function openCheckout(run: Run, signal: AbortSignal): Promise<void> {
  const { initial, labels, deps } = run;
  const url = initial.spec.destination.repository;
  const branch = initial.spec.destination.branch ?? DEFAULTS.branch;
  // Per namespace: a tenant's cache never holds objects fetched with another tenant's credentials.
  const shared = createHash('sha256').update(`${labels.namespace}\0${url}\0${branch}`).digest('hex').slice(0, 40);
  const target: GitTarget = {
    url,
    branch,
    ...(run.auth ? { auth: run.auth } : {}),
    author: initial.spec.destination.author ?? deps.author,
    cacheDir: join(deps.cacheRoot, initial.metadata.uid ?? `${labels.namespace}_${labels.name}`),
    sharedCacheDir: join(deps.cacheRoot, 'shared', shared),
    ...(deps.gitCaCertificates ? { caCertificates: deps.gitCaCertificates } : {}),
  };
  run.checkout = await withSpan('git.open', { 'git.operation': 'open', 'git.branch': target.branch }, () => deps.git.open(target, signal));
}
