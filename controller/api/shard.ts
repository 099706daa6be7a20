/**
 * Which JIRASyncs a controller instance serves (docs/sharding.md). Flux's model: a JIRASync names
 * its shard with the label `sync.jira.io/shard`; an instance started for shard X serves exactly
 * the objects labelled X, and the default instance serves everything else — objects without the
 * label, and those naming a shard that is not configured, so a typo never leaves a sync unserved.
 * Each shard elects its own leader with its own Lease. Kubernetes does the selecting (a label
 * selector on list and watch); `servedBy` repeats it for objects read outside the informer.
 */

export const SHARD_LABEL = 'sync.jira.io/shard';
export const DEFAULT_SHARD = 'default';

/** A DNS label, as label values and Lease name suffixes must be. */
const SHARD_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface Shard {
  /** This instance's shard: DEFAULT_SHARD or a configured name. */
  name: string;
  /** The named shards (the default instance leaves their objects alone). */
  named: string[];
}

/** Checks a shard configuration; throws with the setting's name on a bad one. */
export function shardFrom(name: string | undefined, named: string[]): Shard {
  for (const n of named) {
    if (!SHARD_NAME.test(n) || n === DEFAULT_SHARD) throw new Error(`SHARDS must list DNS labels other than "${DEFAULT_SHARD}", got "${n}"`);
  }
  const own = name || DEFAULT_SHARD;
  if (own !== DEFAULT_SHARD && !SHARD_NAME.test(own)) throw new Error(`SHARD must be a DNS label, got "${own}"`);
  return { name: own, named: [...new Set(named.filter((n) => n !== own))].sort() };
}

/** The label selector for list and watch; undefined when the instance serves every JIRASync. */
export function shardSelector(shard: Shard): string | undefined {
  if (shard.name !== DEFAULT_SHARD) return `${SHARD_LABEL}=${shard.name}`;
  return shard.named.length ? `${SHARD_LABEL} notin (${shard.named.join(',')})` : undefined;
}

/** The shard an object belongs to, as the selectors decide it. */
export function shardOf(labels: Record<string, string> | undefined, shard: Shard): string {
  const v = labels?.[SHARD_LABEL];
  if (v === undefined || v === '' || !(v === shard.name || shard.named.includes(v))) return DEFAULT_SHARD;
  return v;
}

/** Whether this instance serves an object with these labels. */
export function servedBy(labels: Record<string, string> | undefined, shard: Shard): boolean {
  return shardOf(labels, shard) === shard.name;
}

/** The Lease of a shard: the configured name for the default shard, `<name>-<shard>` for the others. */
export function leaseNameFor(base: string, shard: Shard): string {
  return shard.name === DEFAULT_SHARD ? base : `${base}-${shard.name}`;
}
