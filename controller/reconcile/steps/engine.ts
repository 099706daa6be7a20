/**
 * Step 3, engine: run the sync (controller/sync/) over the issue source and the checkout — resolve
 * the target, fetch and render the issues, commit and push once, or nothing when the tree is
 * unchanged. Progress goes to the progress writer (status.progress, at most every 2 s); before
 * the step returns, a progress write still in flight has landed, so no later status write is
 * overtaken by a stale Running.
 */
import { runSync } from '../../sync/engine.ts';
import type { ProgressWriter } from '../progress-writer.ts';
import type { Run } from './run.ts';

export async function runEngine(run: Run, progress: ProgressWriter, signal: AbortSignal): Promise<void> {
  run.result = await runSync(
    { owner: run.labels, spec: run.initial.spec, now: run.startTime, lastFullScanTime: run.prevStatus.syncState?.lastFullScanTime },
    { source: run.source!, checkout: run.checkout! },
    (p) => progress.report(p),
    signal,
  );
  await progress.flushed();
}
