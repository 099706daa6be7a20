/**
 * The leader election record as client-go keeps it in a coordination.k8s.io/v1 Lease spec, and the
 * conversions both ways. Times are MicroTime on the wire; the client hands them back as strings,
 * so the record keeps them as strings and only ever compares them for equality (expiry is judged on
 * our own clock, never from these timestamps).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { V1MicroTime, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';

/** What the elector reads from and writes to the Lease spec (client-go's LeaderElectionRecord). */
export interface LeaderRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

/** A time field as the client returns it (a string) or as we create it (a V1MicroTime). */
function timeText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : '';
}

/** The record held in a Lease; an empty record for a Lease without a spec. */
export function recordFromLease(lease: V1Lease | undefined): LeaderRecord {
  const spec = lease?.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: timeText(spec.acquireTime),
    renewTime: timeText(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/** Two records are the same observation when every field matches (client-go compares raw bytes). */
export function sameRecord(a: LeaderRecord | undefined, b: LeaderRecord | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/** Now as a MicroTime (serialised with six fractional digits, as the API server expects). */
export function microNow(): V1MicroTime {
  return new V1MicroTime();
}

/** The Lease spec for a record; times given as strings are sent back unchanged. */
export function leaseSpec(record: {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: V1MicroTime | string;
  renewTime: V1MicroTime | string;
  leaseTransitions: number;
}): V1LeaseSpec {
  // The generated type says V1MicroTime, but the serialiser passes values through untouched, and
  // a string we read earlier must go back byte for byte so observers do not see a false change.
  const time = (v: V1MicroTime | string) => (v === '' ? undefined : (v as V1MicroTime));
  return {
    // client-go writes an empty holder as "" (not absent) when it releases; so do we.
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: time(record.acquireTime),
    renewTime: time(record.renewTime),
    leaseTransitions: record.leaseTransitions,
  };
}

/**
 * A holder identity unique to this process: the pod name (or host name) plus a random suffix, so a
 * restarted pod with the same name never mistakes the old holder's record for its own.
 */
export function newIdentity(base: string = process.env.POD_NAME || hostname()): string {
  return `${base}_${randomBytes(6).toString('hex')}`;
}
