/**
 * Keeps the heap of a sync near what it really holds. Dead Jira responses (large strings) are
 * freed only by a full collection, and on a large host V8 lets tens of MiB of them pile up before
 * it runs one: resident memory ended up at several times what a sync holds. When the process
 * runs with --expose-gc (the image's entrypoint sets it, with --max-semi-space-size=1 so that the
 * young generation stays small too), collectGarbage() runs a full collection whenever the heap
 * has grown by GARBAGE_BUDGET, or by a quarter of what the last one left if more. Without it, it does
 * nothing. The sync engine calls it per fetched chunk and written symlink, the git writer per tree
 * built and per chunk of the pack it assembles: the phases that allocate the most.
 */
import { getHeapStatistics } from 'node:v8';

/** Least heap growth (bytes) between forced collections: the garbage a sync may leave resident. */
const GARBAGE_BUDGET = 24 << 20;

const gc = (globalThis as { gc?: (o: { type: 'major'; execution: 'sync' }) => void }).gc;
let usedAfterLast = 0;

const inUse = (s = getHeapStatistics()) => s.used_heap_size + s.external_memory;

/** A full collection when the heap grew by more than the budget since the last one (cheap to call often). */
export function collectGarbage(): void {
  if (!gc) return;
  // The budget grows with what survives, as V8's own trigger does, so a collection (whose cost
  // is the live heap) stays a bounded share of the work when a large sync holds more; at a
  // quarter of it, not all, because the heap's peak (live + budget) is what the pod must be sized
  // for. Up to ~100 MiB live (a controller running a 20,000-issue sync) the fixed budget applies;
  // a 100,000-issue sync pays ~20% more CPU in collections than with a budget equal to the heap.
  if (inUse() - usedAfterLast < Math.max(GARBAGE_BUDGET, usedAfterLast / 4)) return;
  gc({ type: 'major', execution: 'sync' });
  usedAfterLast = inUse();
}
