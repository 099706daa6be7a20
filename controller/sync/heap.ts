/**
 * Keeps the heap of a sync near what it really holds. V8 sizes its young generation and its
 * collection thresholds from the heap limit, which on a large host lets each semi-space grow to
 * 64 MiB and lets tens of MiB of dead Jira responses (large strings, collected only by a full
 * collection) pile up before the next one: resident memory ended up at three times what the sync
 * holds. So: growth factor 1 stops the young generation from growing, one memory-reducing
 * collection shrinks what module loading already grew, and collectGarbage() runs a full
 * collection whenever the heap has grown by GARBAGE_BUDGET (or by what the last one left, if
 * more) since the last one. Process-wide.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Least heap growth (bytes) between forced collections: the garbage a sync may leave resident. */
const GARBAGE_BUDGET = 48 << 20;

type Gc = (o: { type: 'major'; execution: 'sync'; flavor?: 'last-resort' }) => void;
let gc: Gc | undefined;
let started = false;
let usedAfterLast = 0;

export function boundHeap(): void {
  if (started) return;
  started = true;
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    usedAfterLast = getHeapStatistics().used_heap_size;
  } catch {
    gc = undefined; // only a memory optimisation: a runtime without these hooks syncs as before
  }
}

/** A full collection when the heap grew by more than the budget since the last one (cheap to call often). */
export function collectGarbage(): void {
  if (!gc) return;
  const s = getHeapStatistics();
  // The budget grows with what survives, as V8's own trigger does, so a collection (whose cost
  // is the live heap) stays a fixed share of the work when a large sync holds more.
  if (s.used_heap_size + s.external_memory - usedAfterLast < Math.max(GARBAGE_BUDGET, usedAfterLast)) return;
  gc({ type: 'major', execution: 'sync' });
  const after = getHeapStatistics();
  usedAfterLast = after.used_heap_size + after.external_memory;
}
