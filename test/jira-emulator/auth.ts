/**
 * Authentication as the two deployments do it: Jira Cloud takes Basic `email:apiToken`; Data
 * Center takes Bearer personal access tokens (and Basic for its users). Failures are 401s with the
 * bodies Jira sends; credentials are compared in constant time and never echoed.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Mode } from './model/types.ts';
import type { Reply } from './http.ts';

export interface Credential { email: string; apiToken: string; userIndex: number }

export type AuthResult =
  | { ok: true; userIndex: number; scheme: 'basic' | 'bearer' }
  | { ok: false; reply: Reply; scheme: 'basic' | 'bearer' | 'none' };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The 401 for missing credentials: Jira's JSON error body. */
function unauthenticated(): Reply {
  return {
    status: 401,
    body: { errorMessages: ['You are not authenticated. Authentication required to perform this operation.'], errors: {} },
    headers: { 'WWW-Authenticate': 'Basic realm="protected-by-api-token"', 'X-Seraph-LoginReason': 'AUTHENTICATION_DENIED' },
  };
}

/** The 401 for wrong credentials: Jira answers with a plain-text line. */
function rejected(): Reply {
  return {
    status: 401,
    text: 'Client must be authenticated to access this resource.',
    headers: { 'WWW-Authenticate': 'Basic realm="protected-by-api-token"', 'X-Seraph-LoginReason': 'AUTHENTICATED_FAILED' },
  };
}

/** Checks an Authorization header against the emulator's users and PATs. */
export function authenticate(header: string | undefined, mode: Mode, users: readonly Credential[], pats: readonly string[], patUserIndex: number): AuthResult {
  if (!header) return { ok: false, reply: unauthenticated(), scheme: 'none' };
  const [scheme, value = ''] = header.split(/\s+/, 2);
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      const email = decoded.slice(0, i);
      const token = decoded.slice(i + 1);
      const u = users.find((c) => same(c.email.toLowerCase(), email.toLowerCase()) && same(c.apiToken, token));
      if (u) return { ok: true, userIndex: u.userIndex, scheme: 'basic' };
    }
    return { ok: false, reply: rejected(), scheme: 'basic' };
  }
  if (/^bearer$/i.test(scheme)) {
    // Cloud takes Bearer only for OAuth 2.0 access tokens, which the emulator does not issue.
    if (mode === 'datacenter' && pats.some((p) => same(p, value))) return { ok: true, userIndex: patUserIndex, scheme: 'bearer' };
    return { ok: false, reply: rejected(), scheme: 'bearer' };
  }
  return { ok: false, reply: rejected(), scheme: 'none' };
}
