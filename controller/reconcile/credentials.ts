/**
 * Credentials for one JIRASync, read only from Secrets in its own namespace (never another's), or
 * from the controller's own default connection (environment, mounted from the release's Secret)
 * when the spec names no Secret. Every value is registered for redaction the moment it is read.
 */
import * as k8s from '@kubernetes/client-node';
import type { JIRASync } from '../api/jirasync.ts';
import type { FailureReason } from '../api/reasons.ts';
import type { GitAuth } from '../git/destination.ts';
import type { JiraConnection } from '../jira/source.ts';
import { registerBasicAuth, registerSecret } from '../observability/redact.ts';

/** A Secret that is missing or lacks keys. Retried per retryPolicy: the user may create or fix it. */
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
}

/** The controller's default connection from its environment (see docs/configuration.md). */
export function defaultsFromEnv(env: NodeJS.ProcessEnv = process.env): Defaults {
  const out: Defaults = {};
  if (env.JIRA_BASE_URL) {
    if (env.JIRA_EMAIL && env.JIRA_API_TOKEN) {
      registerBasicAuth(env.JIRA_EMAIL, env.JIRA_API_TOKEN);
      out.jira = { baseUrl: env.JIRA_BASE_URL, credentials: { kind: 'basic', email: env.JIRA_EMAIL, apiToken: env.JIRA_API_TOKEN } };
    } else if (env.JIRA_TOKEN) {
      registerSecret(env.JIRA_TOKEN);
      out.jira = { baseUrl: env.JIRA_BASE_URL, credentials: { kind: 'bearer', token: env.JIRA_TOKEN } };
    }
  }
  if (env.GIT_TOKEN) {
    registerSecret(env.GIT_TOKEN);
    out.git = { username: env.GIT_USERNAME || 'x-access-token', password: env.GIT_TOKEN };
  }
  return out;
}

async function readSecret(core: k8s.CoreV1Api, namespace: string, name: string, what: string): Promise<Record<string, string>> {
  try {
    const s = await core.readNamespacedSecret({ name, namespace });
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8').trim();
    for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] = v.trim();
    return data;
  } catch (err) {
    if ((err as { code?: number }).code === 404) {
      throw new CredentialsError('SecretNotFound', `${what} Secret ${namespace}/${name} not found`);
    }
    throw new Error(`reading ${what} Secret ${namespace}/${name}: ${(err as Error).message}`, { cause: err });
  }
}

/** The Jira connection of a JIRASync. */
export async function jiraConnection(core: k8s.CoreV1Api, obj: JIRASync, defaults: Defaults): Promise<JiraConnection> {
  const ref = obj.spec.jira?.secretRef?.name;
  const ns = obj.metadata.namespace ?? 'default';
  if (!ref) {
    if (!defaults.jira) throw new CredentialsError('CredentialsMissing', 'spec.jira.secretRef is not set and the controller has no default Jira connection');
    return defaults.jira;
  }
  const d = await readSecret(core, ns, ref, 'Jira');
  if (!d.baseUrl) throw new CredentialsError('SecretInvalid', `Jira Secret ${ns}/${ref} has no key baseUrl`);
  if (d.email && d.apiToken) {
    registerBasicAuth(d.email, d.apiToken);
    return { baseUrl: d.baseUrl, credentials: { kind: 'basic', email: d.email, apiToken: d.apiToken } };
  }
  if (d.token) {
    registerSecret(d.token);
    return { baseUrl: d.baseUrl, credentials: { kind: 'bearer', token: d.token } };
  }
  throw new CredentialsError('SecretInvalid', `Jira Secret ${ns}/${ref} needs keys email and apiToken (Jira Cloud) or token (Data Center)`);
}

/** The git credentials of a JIRASync (undefined: anonymous). */
export async function gitAuth(core: k8s.CoreV1Api, obj: JIRASync, defaults: Defaults): Promise<GitAuth | undefined> {
  const ref = obj.spec.destination.secretRef?.name;
  const ns = obj.metadata.namespace ?? 'default';
  if (!ref) return defaults.git;
  const d = await readSecret(core, ns, ref, 'git');
  if (!d.token) throw new CredentialsError('SecretInvalid', `git Secret ${ns}/${ref} has no key token`);
  registerSecret(d.token);
  return { username: d.username || 'x-access-token', password: d.token };
}
