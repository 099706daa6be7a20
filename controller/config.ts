/**
 * The controller's configuration from environment variables (docs/configuration.md), validated
 * at start so a typo fails fast with a clear message instead of a default silently used.
 */
import { readFileSync } from 'node:fs';
import { leaseNameFor, shardFrom, type Shard } from './api/shard.ts';

export interface Config {
  podName: string;
  podNamespace: string;
  watchNamespaces: string[];
  concurrency: number;
  /** Keys of one namespace that may run at once (fairness between tenants). */
  concurrencyPerNamespace: number;
  httpPort: number;
  httpHost: string;
  leaderElection: boolean;
  /** The JIRASyncs this instance serves (api/shard.ts). */
  shard: Shard;
  /** This shard's Lease: LEASE_NAME for the default shard, LEASE_NAME-<shard> for the others. */
  leaseName: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  gitCacheDir: string;
  gitCaCertificates?: string;
  author: { name: string; email: string };
  watchSilenceSeconds: number;
  relistIntervalSeconds: number;
  shutdownTimeoutSeconds: number;
  /** Largest Jira response body accepted (bytes). */
  jiraMaxResponseBytes: number;
  /** Largest git response body accepted (bytes): info/refs and packs. */
  gitMaxResponseBytes: number;
  /** Default per-run deadline (seconds) for a JIRASync without spec.timeout. */
  runTimeoutSeconds: number;
  /** The HTTP server's TLS, authentication audiences, metrics protection and list cap. */
  http: HttpSecurity;
}

/** Who may use the controller's default connections (docs/security.md); empty lists: nobody. */
export interface DefaultsScope {
  /** Namespaces offered the default Jira connection (`*`: every namespace). */
  jiraNamespaces: string[];
  /** Namespaces offered the default git credentials (`*`: every namespace). */
  gitNamespaces: string[];
  /** Repository URL prefixes the default git credentials may be sent to (parsed, https). */
  gitUrlPrefixes: string[];
}

/** Serving security of the HTTP server (docs/status-api.md). */
export interface HttpSecurity {
  /** PEM certificate and key files (cert-manager's tls.crt / tls.key); both or neither. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Audiences a status-API token must be valid for; empty: the API server's own. */
  audiences: string[];
  /** Whether /metrics needs a bearer token allowed `get` on the non-resource URL /metrics. */
  metricsAuth: boolean;
  /** The most JIRASyncs one list answer carries. */
  listLimit: number;
}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string, def: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return def;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got "${env[name]}"`);
}

function list(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function namespaces(env: NodeJS.ProcessEnv, name: string): string[] {
  const out = list(env, name);
  for (const ns of out) if (ns !== '*' && !NAMESPACE.test(ns)) throw new Error(`${name} must list namespace names or *, got "${ns}"`);
  return out;
}

/**
 * A URL prefix as an origin and a path without trailing slashes, or an error saying why not.
 * Only https; no credentials, query or fragment.
 */
export function parsePrefix(raw: string): { origin: string; path: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`"${raw}" is not a URL`);
  }
  if (u.protocol !== 'https:') throw new Error(`"${raw}" must be an https URL`);
  if (u.username || u.password || u.search || u.hash) throw new Error(`"${raw}" must not carry credentials, a query or a fragment`);
  return { origin: u.origin, path: u.pathname.replace(/\/+$/, '') };
}

/**
 * Whether a repository URL lies under a prefix: the same parsed origin (scheme, host, port) and a
 * path equal to the prefix's or below it at a segment boundary. So https://git.example.com does
 * not match https://git.example.com.evil.io, and https://git.example.com/org not /org-evil.
 * Encoded slashes and backslashes are refused, since a server may decode them into segments.
 */
export function urlUnderPrefix(url: string, prefix: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const p = parsePrefix(prefix);
  if (u.username || u.password || u.origin !== p.origin) return false;
  if (/%2f|%5c|\\/i.test(u.pathname)) return false;
  return p.path === '' || u.pathname === p.path || u.pathname.startsWith(`${p.path}/`);
}

/** The default connections' scope from JIRASYNC_DEFAULT_* (docs/configuration.md); throws on a malformed one. */
export function defaultsScopeFromEnv(env: NodeJS.ProcessEnv = process.env): DefaultsScope {
  const gitUrlPrefixes = list(env, 'JIRASYNC_DEFAULT_GIT_URL_PREFIXES');
  for (const p of gitUrlPrefixes) {
    try {
      parsePrefix(p);
    } catch (err) {
      throw new Error(`JIRASYNC_DEFAULT_GIT_URL_PREFIXES: ${(err as Error).message}`);
    }
  }
  return {
    jiraNamespaces: namespaces(env, 'JIRASYNC_DEFAULT_JIRA_NAMESPACES'),
    gitNamespaces: namespaces(env, 'JIRASYNC_DEFAULT_GIT_NAMESPACES'),
    gitUrlPrefixes,
  };
}

function httpSecurity(env: NodeJS.ProcessEnv): HttpSecurity {
  const cert = env.HTTP_TLS_CERT_FILE || undefined;
  const key = env.HTTP_TLS_KEY_FILE || undefined;
  if (!cert !== !key) throw new Error('HTTP_TLS_CERT_FILE and HTTP_TLS_KEY_FILE must be set together');
  return {
    ...(cert && key ? { tlsCertFile: cert, tlsKeyFile: key } : {}),
    audiences: list(env, 'STATUS_API_AUDIENCES'),
    metricsAuth: bool(env, 'METRICS_AUTH', false),
    listLimit: int(env, 'STATUS_API_LIST_LIMIT', 500, 1, 100_000),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const leaseDurationSeconds = int(env, 'LEASE_DURATION_SECONDS', 15, 1, 3600);
  const renewDeadlineSeconds = int(env, 'RENEW_DEADLINE_SECONDS', 10, 1, 3600);
  const retryPeriodSeconds = int(env, 'RETRY_PERIOD_SECONDS', 2, 1, 3600);
  if (!(leaseDurationSeconds > renewDeadlineSeconds && renewDeadlineSeconds > retryPeriodSeconds)) {
    throw new Error('leader election needs LEASE_DURATION_SECONDS > RENEW_DEADLINE_SECONDS > RETRY_PERIOD_SECONDS');
  }
  const concurrency = int(env, 'CONCURRENCY', 4, 1, 64);
  let gitCaCertificates: string | undefined;
  if (env.GIT_CA_FILE) {
    try {
      gitCaCertificates = readFileSync(env.GIT_CA_FILE, 'utf8');
    } catch (err) {
      throw new Error(`GIT_CA_FILE ${env.GIT_CA_FILE} cannot be read: ${(err as Error).message}`);
    }
  }
  const shard = shardFrom(env.SHARD, list(env, 'SHARDS'));
  return {
    podName: env.POD_NAME || '',
    podNamespace: env.POD_NAMESPACE || 'jirasync-system',
    watchNamespaces: (env.WATCH_NAMESPACES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    concurrency,
    // Default: half the workers (rounded up), so one tenant never occupies them all.
    concurrencyPerNamespace: int(env, 'CONCURRENCY_PER_NAMESPACE', Math.ceil(concurrency / 2), 1, concurrency),
    httpPort: int(env, 'HTTP_PORT', 8080, 0, 65535),
    httpHost: env.HTTP_HOST || '0.0.0.0',
    leaderElection: bool(env, 'LEADER_ELECTION', true),
    shard,
    leaseName: leaseNameFor(env.LEASE_NAME || 'jirasync-leader', shard),
    leaseDurationSeconds,
    renewDeadlineSeconds,
    retryPeriodSeconds,
    gitCacheDir: env.GIT_CACHE_DIR || '/var/cache/jirasync',
    ...(gitCaCertificates ? { gitCaCertificates } : {}),
    author: { name: env.GIT_AUTHOR_NAME || 'jirasync', email: env.GIT_AUTHOR_EMAIL || 'jirasync@localhost' },
    watchSilenceSeconds: int(env, 'WATCH_SILENCE_SECONDS', 300, 5, 86400),
    relistIntervalSeconds: int(env, 'RELIST_INTERVAL_SECONDS', 1800, 5, 86400),
    shutdownTimeoutSeconds: int(env, 'SHUTDOWN_TIMEOUT_SECONDS', 20, 1, 600),
    // A 100-issue Jira page with many fields is a few MiB; a pack of 100,000 issue files ~100 MiB.
    jiraMaxResponseBytes: int(env, 'JIRASYNC_JIRA_MAX_RESPONSE_BYTES', 64 * 1024 ** 2, 1024, 2 ** 31),
    gitMaxResponseBytes: int(env, 'JIRASYNC_GIT_MAX_RESPONSE_BYTES', 2 * 1024 ** 3, 1024, 2 ** 40),
    runTimeoutSeconds: int(env, 'JIRASYNC_RUN_TIMEOUT_SECONDS', 3600, 10, 7 * 86400),
    http: httpSecurity(env),
  };
}
