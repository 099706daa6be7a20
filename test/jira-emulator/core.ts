/** Everything a route handler may use: the data, the faults and the base URL. */
import type { Faults } from './faults.ts';
import type { IssueStore } from './model/store.ts';
import type { RequestLog } from './requestlog.ts';

/** Switchable authentication behaviour (see EmulatorState.expireToken / expiredTokenMode). */
export interface AuthSettings {
  /** API tokens and PATs that no longer authenticate (they behave as wrong ones). */
  expired: Set<string>;
  /**
   * Jira Cloud's way with a refused token: routes it serves to anonymous users (search, count,
   * bulk fetch, serverInfo) answer 200 as the anonymous user with X-Seraph-LoginReason:
   * AUTHENTICATED_FAILED; every other route is a 401.
   */
  expiredTokenMode: boolean;
}

export interface Core {
  auth: AuthSettings;
  store: IssueStore;
  faults: Faults;
  log: RequestLog;
  /** The first user's API token (what expireToken() expires by default). */
  defaultApiToken: string;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** Signs nextPageTokens so they stay opaque and bound to their query. */
  tokenSecret: string;
  /** Hostile mode: 401 answers echo the Authorization header (echo-auth.ts). */
  echoAuthorization?: boolean;
}
