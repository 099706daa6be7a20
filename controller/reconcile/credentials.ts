/**
 * Credentials for one JIRASync, read only from Secrets in its own namespace (never another's), or
 * from the controller's own default connection (environment, mounted from the release's Secret)
 * when the spec names no Secret. Every value is registered for redaction the moment it is read.
 *
 * Tenant isolation (docs/security.md):
 * - A Secret is used only when its owner opted it in: type `Opaque` and the label
 *   `sync.jira.io/credentials: "true"`. ServiceAccount token Secrets and every other type are refused.
 * - The default connections are offered only to the namespaces the operator names, and the default
 *   git token only to repositories under the URL prefixes the operator names (parsed origin and
 *   path, never a raw string prefix). Elsewhere Jira fails with CredentialsMissing and git goes
 *   anonymous: in both cases no default credential is sent.
 */
import * as k8s from '@kubernetes/client-node';
import type { JIRASync } from '../api/jirasync.ts';
import type { FailureReason } from '../api/reasons.ts';
import { defaultsScopeFromEnv, urlUnderPrefix, type DefaultsScope } from '../config.ts';
import type { GitAuth } from '../git/destination.ts';
import { DEPLOYMENT_TYPES, type DeploymentType, type JiraConnection } from '../jira/source.ts';
import { registerBasicAuth, registerSecret } from '../observability/redact.ts';

/** The label a Secret must carry (value "true") before the controller uses it as credentials. */
export const CREDENTIALS_LABEL = 'sync.jira.io/credentials';

/** A Secret that is missing, lacks keys, is not opted in, or no credentials at all. */
export class CredentialsError extends Error {
  readonly failureReason: CredentialsReason;
  constructor(reason: CredentialsReason, message: string) {
    super(message);
    this.name = 'CredentialsError';
    this.failureReason = reason;
  }
}

export type CredentialsReason = Extract<FailureReason, 'SecretNotFound' | 'SecretInvalid' | 'SecretNotAllowed' | 'CredentialsMissing'>;

export interface Defaults {
  jira?: JiraConnection;
  git?: GitAuth;
  /** Who may use them; absent: nobody. */
  scope?: DefaultsScope;
}

/**
 * The controller's default connection and its scope from the environment (see
 * docs/configuration.md). Throws on a malformed scope, so a typo fails at start.
 */
export function defaultsFromEnv(env: NodeJS.ProcessEnv = process.env): Defaults {
  const out: Defaults = { scope: defaultsScopeFromEnv(env) };
  if (env.JIRA_BASE_URL) {
    const keys = { baseUrl: env.JIRA_BASE_URL, email: env.JIRA_EMAIL, apiToken: env.JIRA_API_TOKEN, token: env.JIRA_TOKEN,
      username: env.JIRA_USERNAME, password: env.JIRA_PASSWORD, deploymentType: env.JIRA_DEPLOYMENT_TYPE };
    const type = deploymentTypeOf(keys.deploymentType?.trim());
    if (type === null) throw new Error(`JIRA_DEPLOYMENT_TYPE must be one of ${DEPLOYMENT_TYPES.join(', ')}`);
    out.jira = connectionFrom(keys, type);
  }
  if (env.GIT_TOKEN) {
    const username = env.GIT_USERNAME || 'x-access-token';
    // The pair too: a server that echoes the Basic header's value must not get it past redaction.
    registerBasicAuth(username, env.GIT_TOKEN);
    out.git = { username, password: env.GIT_TOKEN };
  }
  return out;
}

function offeredTo(namespaces: readonly string[] | undefined, ns: string): boolean {
  return !!namespaces && (namespaces.includes('*') || namespaces.includes(ns));
}

/** Whether the default Jira connection is offered to a namespace. */
export function jiraDefaultAllowed(scope: DefaultsScope | undefined, ns: string): boolean {
  return offeredTo(scope?.jiraNamespaces, ns);
}

/** Whether the default git credentials are offered to a namespace and repository URL. */
export function gitDefaultAllowed(scope: DefaultsScope | undefined, ns: string, repository: string): boolean {
  return offeredTo(scope?.gitNamespaces, ns) && (scope?.gitUrlPrefixes ?? []).some((p) => urlUnderPrefix(repository, p));
}

async function readSecret(core: k8s.CoreV1Api, namespace: string, name: string, what: string): Promise<Record<string, string>> {
  let s: k8s.V1Secret;
  try {
    s = await core.readNamespacedSecret({ name, namespace });
  } catch (err) {
    if ((err as { code?: number }).code === 404) {
      throw new CredentialsError('SecretNotFound', `${what} Secret ${namespace}/${name} not found`);
    }
    throw new Error(`reading ${what} Secret ${namespace}/${name}: ${(err as Error).message}`, { cause: err });
  }
  // Checked before a single value is read: a Secret that is not opted in is never registered, used or sent.
  const type = s.type || 'Opaque';
  if (type !== 'Opaque') {
    throw new CredentialsError('SecretNotAllowed', `${what} Secret ${namespace}/${name} is of type ${type}; only Opaque Secrets labelled ${CREDENTIALS_LABEL}: "true" are used as credentials`);
  }
  if (s.metadata?.labels?.[CREDENTIALS_LABEL] !== 'true') {
    throw new CredentialsError('SecretNotAllowed', `${what} Secret ${namespace}/${name} is not opted in: add the label ${CREDENTIALS_LABEL}=true (kubectl -n ${namespace} label secret ${name} ${CREDENTIALS_LABEL}=true)`);
  }
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8').trim();
  for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] = v.trim();
  return data;
}

/** The Jira connection of a JIRASync. */
export async function jiraConnection(core: k8s.CoreV1Api, obj: JIRASync, defaults: Defaults): Promise<JiraConnection> {
  const ref = obj.spec.jira?.secretRef?.name;
  const ns = obj.metadata.namespace ?? 'default';
  if (!ref) {
    if (!defaults.jira) throw new CredentialsError('CredentialsMissing', 'spec.jira.secretRef is not set and the controller has no default Jira connection');
    if (!jiraDefaultAllowed(defaults.scope, ns)) {
      throw new CredentialsError('CredentialsMissing', `spec.jira.secretRef is not set and the controller's default Jira connection is not offered to namespace ${ns}; name a Secret in spec.jira.secretRef`);
    }
    return defaults.jira;
  }
  const d = await readSecret(core, ns, ref, 'Jira');
  if (!d.baseUrl) throw new CredentialsError('SecretInvalid', `Jira Secret ${ns}/${ref} has no key baseUrl`);
  const type = deploymentTypeOf(d.deploymentType);
  if (type === null) {
    throw new CredentialsError('SecretInvalid', `Jira Secret ${ns}/${ref}: deploymentType must be one of ${DEPLOYMENT_TYPES.join(', ')} (or left out to detect it)`);
  }
  const conn = connectionFrom(d, type);
  if (conn) return conn;
  throw new CredentialsError('SecretInvalid', `Jira Secret ${ns}/${ref} needs keys email and apiToken (Jira Cloud), or token (a Data Center personal access token), or username and password (Data Center, discouraged)`);
}

/** The Secret's `deploymentType`: undefined when absent (detected), null when not a known type. */
function deploymentTypeOf(value: string | undefined): DeploymentType | undefined | null {
  if (!value) return undefined;
  const v = value.toLowerCase().replace(/[\s_-]/g, '');
  if (v === 'cloud') return 'cloud';
  if (v === 'datacenter' || v === 'server') return 'datacenter';
  return null;
}

/**
 * The connection the keys describe, every secret registered for redaction first: email + apiToken
 * (Cloud), token (a Data Center PAT, or a Cloud OAuth token), username + password (Data Center's
 * Basic auth, discouraged: Jira 11 disables it by default). Undefined when none is complete.
 */
function connectionFrom(d: Record<string, string | undefined>, deploymentType: DeploymentType | undefined): JiraConnection | undefined {
  const baseUrl = d.baseUrl ?? '';
  const typed = (conn: JiraConnection): JiraConnection => (deploymentType ? { ...conn, deploymentType } : conn);
  if (d.email && d.apiToken) {
    registerBasicAuth(d.email, d.apiToken);
    return typed({ baseUrl, credentials: { kind: 'basic', email: d.email, apiToken: d.apiToken } });
  }
  if (d.token) {
    registerSecret(d.token);
    return typed({ baseUrl, credentials: { kind: 'bearer', token: d.token } });
  }
  if (d.username && d.password) {
    registerBasicAuth(d.username, d.password);
    return typed({ baseUrl, credentials: { kind: 'password', username: d.username, password: d.password } });
  }
  return undefined;
}

/**
 * The git credentials of a JIRASync (undefined: anonymous). Without a secretRef the default
 * credentials are used only where the scope offers them; elsewhere the clone is anonymous, which
 * sends nothing secret and works for public repositories.
 */
export async function gitAuth(core: k8s.CoreV1Api, obj: JIRASync, defaults: Defaults): Promise<GitAuth | undefined> {
  const ref = obj.spec.destination.secretRef?.name;
  const ns = obj.metadata.namespace ?? 'default';
  if (!ref) return defaults.git && gitDefaultAllowed(defaults.scope, ns, obj.spec.destination.repository) ? defaults.git : undefined;
  const d = await readSecret(core, ns, ref, 'git');
  if (!d.token) throw new CredentialsError('SecretInvalid', `git Secret ${ns}/${ref} has no key token`);
  const username = d.username || 'x-access-token';
  registerBasicAuth(username, d.token);
  return { username, password: d.token };
}
