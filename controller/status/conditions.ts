/**
 * Kubernetes conditions as pure functions: set one condition, keeping lastTransitionTime when the
 * status did not change (the rule metav1.Condition documents and kstatus relies on).
 */
import type { Condition, ConditionStatus } from '../api/jirasync.ts';

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** Returns a new list with `input` set; other conditions are kept in their order. */
export function setCondition(list: readonly Condition[] | undefined, input: ConditionInput, generation: number | undefined, now: Date): Condition[] {
  const out = [...(list ?? [])];
  const i = out.findIndex((c) => c.type === input.type);
  const prev = i >= 0 ? out[i] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: truncate(input.message, 1024),
    lastTransitionTime: prev && prev.status === input.status ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  if (i >= 0) out[i] = next;
  else out.push(next);
  return out;
}

export function findCondition(list: readonly Condition[] | undefined, type: string): Condition | undefined {
  return list?.find((c) => c.type === type);
}

/** Condition changes between two lists: what metrics count as transitions. */
export function conditionTransitions(before: readonly Condition[] | undefined, after: readonly Condition[] | undefined): Condition[] {
  return (after ?? []).filter((c) => {
    const old = findCondition(before, c.type);
    return !old || old.status !== c.status || old.reason !== c.reason;
  });
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
