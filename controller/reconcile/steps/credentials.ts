/**
 * Step 1, credentials: the Jira connection and the git credentials this JIRASync may use, from
 * Secrets in its own namespace or the controller's default connection (reconcile/credentials.ts
 * decides which and throws a CredentialsError with its reason), and the Jira issue source built
 * on that connection. The Jira connection is kept on the run as soon as it is known, so a failure
 * reading the git Secret is still reported to Jira with the sync's own identity.
 */
import { createJiraSource } from '../../jira/jira.ts';
import { gitAuth, jiraConnection } from '../credentials.ts';
import type { Run } from './run.ts';

export async function resolveCredentials(run: Run): Promise<void> {
  run.jira = await jiraConnection(run.core, run.initial, run.deps.defaults);
  const auth = await gitAuth(run.core, run.initial, run.deps.defaults);
  if (auth) run.auth = auth;
  run.source = createJiraSource(run.jira, run.deps.jiraOptions);
}
