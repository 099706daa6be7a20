/**
 * Step 2, open: the git checkout the engine writes into. Discovers the destination branch's refs,
 * then clones or fetches into this JIRASync's own cache directory (keyed by its uid) when the
 * branch moved. It runs in one `git.open` span, so a repository that is missing or refuses the
 * credentials shows as a failed git span too.
 */
import { join } from 'node:path';
import { DEFAULTS } from '../../api/jirasync.ts';
import type { GitTarget } from '../../git/destination.ts';
import { withSpan } from '../../observability/tracing.ts';
import type { Run } from './run.ts';

export async function openCheckout(run: Run, signal: AbortSignal): Promise<void> {
  const { initial, labels, deps } = run;
  const target: GitTarget = {
    url: initial.spec.destination.repository,
    branch: initial.spec.destination.branch ?? DEFAULTS.branch,
    ...(run.auth ? { auth: run.auth } : {}),
    author: initial.spec.destination.author ?? deps.author,
    cacheDir: join(deps.cacheRoot, initial.metadata.uid ?? `${labels.namespace}_${labels.name}`),
    ...(deps.gitCaCertificates ? { caCertificates: deps.gitCaCertificates } : {}),
  };
  run.checkout = await withSpan('git.open', { 'git.operation': 'open', 'git.branch': target.branch }, () => deps.git.open(target, signal));
}
