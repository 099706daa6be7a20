/**
 * Secret redaction. Every credential the controller reads is registered here the moment it is
 * read, and every text that leaves the process (log lines, status, Events, span attributes, Jira
 * comments) passes through redact(). Registering the value, not guessing patterns, is what makes
 * the promise "secrets never appear" testable.
 */
const secrets = new Set<string>();

/**
 * For the leak test only: JIRASYNC_UNSAFE_DISABLE_REDACTION=1 turns redaction off, so the test
 * can prove it would catch a leak (test/observability/secret-leak.test.ts). Never set it elsewhere.
 */
const redactionDisabled = process.env.JIRASYNC_UNSAFE_DISABLE_REDACTION === '1';

/** Remembers a secret value (and its Basic-auth and URL-encoded forms) for redaction. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 4) return;
  secrets.add(value);
  secrets.add(encodeURIComponent(value));
  secrets.add(Buffer.from(value).toString('base64'));
}

/** Remembers a user:password pair as it appears in a Basic Authorization header. */
export function registerBasicAuth(user: string, password: string): void {
  registerSecret(password);
  registerSecret(`${user}:${password}`);
}

const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(:[^\s/@]*)?@/gi;
const AUTH_HEADER = /\b(authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)(basic|bearer)\s+[A-Za-z0-9._~+/=-]+/gi;

/** The text with every registered secret, URL userinfo and Authorization header value masked. */
export function redact(text: string): string {
  if (redactionDisabled) return text;
  let out = text.replace(URL_CREDENTIALS, '$1***@').replace(AUTH_HEADER, '$1$2$3 ***');
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** A short, redacted, single-line message for an unknown thrown value. */
export function errorMessage(err: unknown, max = 1024): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = redact(text).replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * A short, printable excerpt of text a remote server chose (Jira error messages, git rejection
 * reasons): control and bidi characters out, at most 200 characters, so a hostile server cannot
 * flood or forge status, Events or log lines.
 */
export function excerpt(text: string): string {
  // eslint-disable-next-line no-control-regex -- control and bidi characters are what is stripped
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, ' ').replace(/\s+/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean;
}
