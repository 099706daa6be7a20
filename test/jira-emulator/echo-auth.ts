/**
 * A hostile mode for leak tests: 401 and 400 answers echo the Authorization header the client sent
 * (as sent, decoded, and its bare value) in their body, as careless or malicious servers do. It is
 * off by default; a leak test turns it on so the credentials travel back into the controller's
 * error paths and redaction has something to catch. (The controller drops a 401's body unread, so
 * the 400 — an invalid JQL, say — is the echo that reaches its messages; it comes first so a
 * shortened excerpt of the messages still holds it.)
 */
import type { Reply } from './http.ts';

/** The reply with the client's Authorization header appended to its text or error messages. */
export function echoAuthorization(reply: Reply, header: string | undefined): Reply {
  if (reply.status !== 401 && reply.status !== 400) return reply;
  const value = (header ?? '').split(/\s+/, 2)[1] ?? '';
  const decoded = /^basic\s/i.test(header ?? '') ? Buffer.from(value, 'base64').toString('utf8') : value;
  const echo = `you sent Authorization: ${header ?? '(none)'}; credentials ${decoded}; value ${value}`;
  if (reply.text !== undefined) return { ...reply, text: `${reply.text} (${echo})` };
  const body = reply.body as { errorMessages?: string[] } | undefined;
  return { ...reply, body: { ...body, errorMessages: [echo, ...(body?.errorMessages ?? [])] } };
}
