/** Everything a route handler may use: the data, the faults and the base URL. */
import type { Faults } from './faults.ts';
import type { IssueStore } from './model/store.ts';
import type { RequestLog } from './requestlog.ts';

export interface Core {
  store: IssueStore;
  faults: Faults;
  log: RequestLog;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** Signs nextPageTokens so they stay opaque and bound to their query. */
  tokenSecret: string;
  /** Hostile mode: 401 answers echo the Authorization header (echo-auth.ts). */
  echoAuthorization?: boolean;
}
