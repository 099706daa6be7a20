/**
 * Which Jira a connection talks to, Cloud or Data Center, and the JiraApi for it.
 *
 * The Secret can say (`deploymentType`); otherwise its keys mostly do: `email`+`apiToken` is Cloud,
 * `username`+`password` Data Center. A `token` alone is either a Data Center personal access token
 * or a Cloud OAuth token, so Jira is asked once, at `/rest/api/2/serverInfo` (its
 * `deploymentType` is "Cloud" on Cloud, "Server" on Data Center and Server). The answer is kept
 * per origin for the life of the process (a host does not change deployment); a failed detection
 * is not kept. The request goes through the same Caller, so it is paced, traced and counted.
 */
import type { JiraApi } from './api.ts';
import type { CallInfo } from './call.ts';
import { JiraUnavailableError } from './errors.ts';
import { quoteJql } from './jql.ts';
import { record } from './response.ts';
import type { DeploymentType, JiraConnection } from './source.ts';
import type { V2Http } from './v2-http.ts';

const detected = new Map<string, DeploymentType>();

/** The deployment type a connection names or its credentials imply; undefined when Jira must be asked. */
export function declaredDeployment(conn: JiraConnection): DeploymentType | undefined {
  if (conn.deploymentType) return conn.deploymentType;
  if (conn.credentials.kind === 'basic') return 'cloud';
  if (conn.credentials.kind === 'password') return 'datacenter';
  return detected.get(new URL(conn.baseUrl).origin);
}

/** Asks `/rest/api/2/serverInfo` which deployment answers, and remembers it for the origin. */
export async function detectDeployment(conn: JiraConnection, http: V2Http, signal?: AbortSignal): Promise<DeploymentType> {
  const info: CallInfo = { endpoint: 'serverInfo', method: 'GET' };
  const res = await http.send(info, { method: 'GET', path: 'serverInfo' }, signal);
  const type = record(res)?.deploymentType;
  if (typeof type !== 'string' || !type) throw new JiraUnavailableError('malformed', 200, info, 'serverInfo names no deploymentType');
  const found: DeploymentType = type.toLowerCase() === 'cloud' ? 'cloud' : 'datacenter';
  detected.set(new URL(conn.baseUrl).origin, found);
  return found;
}

/**
 * A JiraApi that settles its deployment on first use, then delegates every call to the API made
 * for it. `pageSizes` is read by issues.ts only after myself() has answered, when it is known.
 */
export function detectingApi(detect: (signal?: AbortSignal) => Promise<DeploymentType>, make: (type: DeploymentType) => JiraApi, requestCount: () => number): JiraApi {
  let api: JiraApi | undefined;
  let pending: Promise<JiraApi> | undefined;
  const resolve = (signal?: AbortSignal): Promise<JiraApi> => {
    if (api) return Promise.resolve(api);
    if (!pending) {
      pending = detect(signal).then((type) => (api = make(type)));
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
  return {
    requestCount,
    get pageSizes() {
      return api?.pageSizes;
    },
    myself: async (signal) => (await resolve(signal)).myself(signal),
    searchPage: async (req, signal) => (await resolve(signal)).searchPage(req, signal),
    approximateCount: async (jql, signal) => (await resolve(signal)).approximateCount(jql, signal),
    bulkFetch: async (keys, fields, signal, expand) => (await resolve(signal)).bulkFetch(keys, fields, signal, expand),
    // Both deployments list fields and page issue parts; an API without them is refused plainly.
    fieldList: async (signal) => {
      const inner = await resolve(signal);
      if (!inner.fieldList) throw new Error('jira: this connection cannot list fields');
      return inner.fieldList(signal);
    },
    issuePart: async (key, part, startAt, maxResults, signal) => {
      const inner = await resolve(signal);
      if (!inner.issuePart) throw new Error('jira: this connection cannot page issue parts');
      return inner.issuePart(key, part, startAt, maxResults, signal);
    },
    epicChildren: async (epicKey, signal) => {
      const inner = await resolve(signal);
      return inner.epicChildren ? inner.epicChildren(epicKey, signal) : `parent = ${quoteJql(epicKey)}`;
    },
    issueStatus: async (key, signal) => (await resolve(signal)).issueStatus(key, signal),
    comments: async (key, startAt, signal) => (await resolve(signal)).comments(key, startAt, signal),
    addComment: async (key, body, signal) => (await resolve(signal)).addComment(key, body, signal),
    transitions: async (key, signal) => (await resolve(signal)).transitions(key, signal),
    transition: async (key, id, signal) => (await resolve(signal)).transition(key, id, signal),
  };
}
