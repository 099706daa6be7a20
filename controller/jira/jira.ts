/**
 * The Jira layer's entry point: builds an IssueSource (and the JiraApi that failure reporting
 * uses) for one connection. Every request goes through the host's shared limiter, the hooks
 * (metrics, spans) and the retry policy; credentials are registered for redaction the moment a
 * connection is used, so no error, log line or comment can carry them.
 *
 * Cloud is spoken with jira.js (cloud.ts), Data Center / Server with our own small REST v2 client
 * (datacenter.ts on v2-http.ts: jira.js 6 publishes no Data Center client); which one is settled by
 * deployment.ts, from the Secret or from Jira's serverInfo. Callers see the same JiraApi either way.
 */
import { createHash } from 'node:crypto';
import { registerBasicAuth, registerSecret } from '../observability/redact.ts';
import type { JiraApi } from './api.ts';
import { DEFAULT_RETRY, type JiraRetryOptions } from './backoff.ts';
import { createCaller } from './call.ts';
import { createCloudApi, type SchemaMismatchMode } from './cloud.ts';
import { sharedFieldList } from './fields.ts';
import { createDataCenterApi } from './datacenter.ts';
import { declaredDeployment, detectDeployment, detectingApi } from './deployment.ts';
import { createIssueSource } from './issues.ts';
import { limiterForHost, type JiraLimiter } from './limiter.ts';
import type { DeploymentType, IssueSource, JiraConnection, JiraRequestHooks } from './source.ts';
import { createV2Http } from './v2-http.ts';

export type { IssueSource, IssueRef, JiraIssue, JiraConnection, JiraCredentials, JiraRequestHooks, DeploymentType } from './source.ts';
export { DEPLOYMENT_TYPES } from './source.ts';
export type { JiraApi, JiraIdentity, JiraSearchApi, JiraWorkflowApi, AdfDocument } from './api.ts';
export * from './errors.ts';
export { DEFAULT_RETRY, backoffDelayMs, rateLimitDelayMs, type JiraRetryOptions } from './backoff.ts';
export { createLimiter, limiterForHost, configureHostLimits, DEFAULT_LIMITS, type JiraLimiter, type LimiterOptions } from './limiter.ts';
export { DEFAULT_OVERLAP_MINUTES, formatJqlDateTime, jqlDateTimeAtOrBefore, zoneOffsetMinutes } from './jql.ts';
export type { SchemaMismatchMode } from './cloud.ts';

export interface JiraClientOptions {
  /** Metrics and tracing hooks, called once per HTTP request. */
  hooks?: JiraRequestHooks;
  /** Defaults to the limiter shared by every connection to the same host. */
  limiter?: JiraLimiter;
  /** Overrides of DEFAULT_RETRY (tests shrink the delays). */
  retry?: Partial<JiraRetryOptions>;
  /** Default 'warn' (drift logged, shapes guarded); tests use 'throw'. See cloud.ts. */
  onSchemaMismatch?: SchemaMismatchMode;
  /** Bulk-fetch chunks in flight per fetch() (default 3). */
  parallelChunks?: number;
  /** Random source for jitter, for tests. */
  random?: () => number;
  /**
   * The controller's egress policy (controller/egress/): the base URL is checked before any request;
   * addresses are checked at connect time by the dispatcher main.ts installs.
   */
  egress?: { checkUrl(url: string): unknown };
}

function checkConnection(conn: JiraConnection): void {
  let url: URL;
  try {
    url = new URL(conn.baseUrl);
  } catch {
    throw new Error('jira: baseUrl is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('jira: baseUrl must be http(s)');
  if (url.username || url.password) throw new Error('jira: baseUrl must not contain credentials');
}

/** The promise's outcome, or the signal's abort reason if that comes first. */
function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Which field-list cache entry a connection uses: the site and who asks (never the secret itself). */
function fieldListKey(conn: JiraConnection): string {
  const c = conn.credentials;
  const who =
    c.kind === 'basic' ? `basic\n${c.email}\n${c.apiToken}` : c.kind === 'password' ? `password\n${c.username}\n${c.password}` : `bearer\n${c.token}`;
  return `${conn.baseUrl}\n${createHash('sha256').update(who).digest('hex')}`;
}

/** The low-level API for one connection (used by reportFailure/reportRecovery and createJiraSource). */
export function createJiraApi(conn: JiraConnection, opts: JiraClientOptions = {}): JiraApi {
  const c = conn.credentials;
  if (c.kind === 'basic') registerBasicAuth(c.email, c.apiToken);
  else if (c.kind === 'password') registerBasicAuth(c.username, c.password);
  else registerSecret(c.token);
  checkConnection(conn);
  opts.egress?.checkUrl(conn.baseUrl);
  const caller = createCaller({
    limiter: opts.limiter ?? limiterForHost(conn.baseUrl),
    retry: { ...DEFAULT_RETRY, ...opts.retry },
    hooks: opts.hooks,
    random: opts.random,
  });
  const http = createV2Http(conn, caller);
  const make = (type: DeploymentType): JiraApi =>
    type === 'cloud' ? createCloudApi(conn, caller, opts.onSchemaMismatch ?? 'warn') : createDataCenterApi(http, () => caller.requestCount());
  const declared = declaredDeployment(conn);
  if (declared) return make(declared);
  return detectingApi((signal) => detectDeployment(conn, http, signal), make, () => caller.requestCount());
}

/** The IssueSource for one connection, plus the number of HTTP requests it has made. */
export function createJiraSource(conn: JiraConnection, opts: JiraClientOptions = {}): IssueSource & { requestCount(): number } {
  const api = createJiraApi(conn, opts);
  const source = createIssueSource(api, { parallelChunks: opts.parallelChunks });
  const fieldList = source.fieldList;
  return {
    timeZone: source.timeZone,
    count: source.count,
    enumerate: source.enumerate,
    fetch: source.fetch,
    search: source.search,
    // Shared by runs of one connection: loaded without a run's signal (another run may wait on it).
    ...(fieldList && { fieldList: (signal?: AbortSignal) => untilAborted(sharedFieldList(fieldListKey(conn), () => fieldList()), signal) }),
    ...(source.issuePart ? { issuePart: source.issuePart } : {}),
    epicChildren: source.epicChildren,
    requestCount: () => api.requestCount(),
  };
}
