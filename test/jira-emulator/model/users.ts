/** The emulator's users: a generated pool (assignees, reporters, mentions) plus the API users. */
import { Rng } from './random.ts';
import type { UserRecord } from './types.ts';

const NAMES = ['Alice Moreau', 'Bogdan Ionescu', '山田 太郎', 'Chen Wei', 'Dana Whitfield', 'Émile Laurent', 'Fatima Zahra',
  'Grigory Sokolov', 'Hannah Becker', 'Ivan Petrov', 'Jürgen Groß', 'Kofi Mensah'];
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC', 'Australia/Sydney', 'America/Los_Angeles'];

/** Cloud accountIds come in two shapes: 24 hex digits, or `712020:` followed by a UUID. */
function accountId(rng: Rng): string {
  if (rng.chance(0.5)) return rng.hex(24);
  const h = rng.hex(32);
  return `712020:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A deterministic pool of users; some without a visible e-mail, as Cloud privacy settings do. */
export function generateUsers(seed: number, count = NAMES.length): UserRecord[] {
  const rng = Rng.for(seed, 'users');
  return NAMES.slice(0, count).map((displayName, i) => {
    const login = displayName.normalize('NFKD').replace(/[^\w ]/g, '').trim().toLowerCase().replace(/\s+/g, '.') || `user${i}`;
    return {
      accountId: accountId(rng),
      displayName,
      email: rng.chance(0.6) ? `${login}@example.com` : undefined,
      timeZone: rng.pick(ZONES),
      active: i !== NAMES.length - 1,
      name: login,
      userKey: `JIRAUSER${10100 + i}`,
    };
  });
}

/** The record for an API user given in the options. */
export function apiUser(seed: number, u: { email: string; displayName?: string; accountId?: string }, index: number, timeZone: string): UserRecord {
  const rng = Rng.for(seed, `api-user:${u.email}`);
  const login = u.email.split('@')[0];
  return {
    accountId: u.accountId ?? accountId(rng),
    displayName: u.displayName ?? (index === 0 ? 'Jira Sync Bot' : login),
    email: u.email,
    timeZone,
    active: true,
    name: login,
    userKey: `JIRAUSER${10000 + index}`,
  };
}
