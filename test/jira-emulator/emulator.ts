/**
 * The Jira REST emulator: a real HTTP server on 127.0.0.1 that answers like Jira Cloud (REST v3 and
 * v2) or Data Center (v2), with generated projects, a JQL engine, faults and a control API.
 *
 *   const emu = await startJiraEmulator({ seed: 1, projects: [{ key: 'PROJ', issues: 300 }] });
 *   // emu.url, emu.email, emu.apiToken, emu.pat, emu.state.createIssue('PROJ', {...}) …
 *   await emu.stop();
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createControlHandler } from './control.ts';
import type { Core } from './core.ts';
import { Faults } from './faults.ts';
import { generateProject } from './model/generate.ts';
import { IssueStore } from './model/store.ts';
import { apiUser, generateUsers } from './model/users.ts';
import { assertTimeZone } from './render/dates.ts';
import { RequestLog } from './requestlog.ts';
import { createListener } from './server.ts';
import { EmulatorState } from './state.ts';

export interface EmulatorOptions {
  /** Jira Cloud (REST v3 + v2, Basic email:apiToken) or Data Center (REST v2, Bearer PAT). Default 'cloud'. */
  mode?: 'cloud' | 'datacenter';
  /** Seed for all generated data (default 1). */
  seed?: number;
  /** Projects to generate at start. */
  projects?: { key: string; issues: number; name?: string }[];
  /** IANA zone of the API users (from /myself; JQL dates are read and dates written in it). Default 'UTC'. */
  timeZone?: string;
  /** Basic-auth users; the first is the default. */
  users?: { email: string; apiToken: string; displayName?: string; accountId?: string }[];
  /** Bearer personal access tokens (Data Center); they act as the first user. */
  pats?: string[];
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Hostile mode for leak tests: 401 answers echo the client's Authorization header (echo-auth.ts). */
  echoAuthorization?: boolean;
}

export interface JiraEmulator {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  email: string;
  apiToken: string;
  pat: string;
  state: EmulatorState;
  stop(): Promise<void>;
}

export const DEFAULT_EMAIL = 'jirasync@example.com';
export const DEFAULT_API_TOKEN = 'emulator-api-token';
export const DEFAULT_PAT = 'emulator-personal-access-token';

/** Starts an emulator; stop it with `stop()` (tests: in t.teardown). */
export async function startJiraEmulator(opts: EmulatorOptions = {}): Promise<JiraEmulator> {
  const mode = opts.mode ?? 'cloud';
  const seed = opts.seed ?? 1;
  const timeZone = opts.timeZone ?? 'UTC';
  try {
    assertTimeZone(timeZone);
  } catch (err) {
    throw new Error(`jira emulator: unknown time zone '${timeZone}'`, { cause: err });
  }
  const userOpts = opts.users && opts.users.length > 0 ? opts.users : [{ email: DEFAULT_EMAIL, apiToken: DEFAULT_API_TOKEN }];
  const pats = opts.pats && opts.pats.length > 0 ? opts.pats : [DEFAULT_PAT];
  const pool = generateUsers(seed);
  const users = [...pool, ...userOpts.map((u, i) => apiUser(seed, u, i, timeZone))];
  const store = new IssueStore({ seed, mode, timeZone, users, apiUserStart: pool.length });
  for (const p of opts.projects ?? []) generateProject(store, p.key, p.issues, { name: p.name });

  const core: Core = {
    auth: { expired: new Set(), expiredTokenMode: false }, defaultApiToken: userOpts[0].apiToken, store, faults: new Faults(seed), log: new RequestLog(), baseUrl: '',
    tokenSecret: randomBytes(16).toString('hex'), echoAuthorization: opts.echoAuthorization === true,
  };
  const state = new EmulatorState(core);
  const info = () => ({ url: core.baseUrl, mode, email: userOpts[0].email, apiToken: userOpts[0].apiToken, pat: pats[0], timeZone });
  const listener = createListener(core, {
    credentials: userOpts.map((u, i) => ({ email: u.email, apiToken: u.apiToken, userIndex: pool.length + i })),
    pats,
    patUserIndex: pool.length,
  }, createControlHandler(state, info));

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    listener(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errorMessages: [`Internal emulator error: ${err instanceof Error ? err.message : String(err)}`], errors: {} }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  core.baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: core.baseUrl,
    email: userOpts[0].email,
    apiToken: userOpts[0].apiToken,
    pat: pats[0],
    state,
    stop: () => new Promise<void>((resolve, reject) => {
      for (const s of sockets) s.destroy();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}
