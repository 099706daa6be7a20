/**
 * A JQL problem that Jira answers with HTTP 400 and `{"errorMessages":[message],"errors":{}}`.
 * Syntax errors carry Jira's "Error in the JQL Query: … (line 1, character N)" wording.
 */
export class JqlError extends Error {
  override name = 'JqlError';
}

/** A syntax error at a 0-based offset, worded as Jira words them. */
export function syntaxError(message: string, offset?: number): JqlError {
  const where = offset === undefined ? '' : ` (line 1, character ${offset + 1})`;
  return new JqlError(`Error in the JQL Query: ${message}${where}`);
}
