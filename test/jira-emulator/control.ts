/**
 * The control API under /_emulator: the EmulatorState operations over HTTP (JSON in and out) so
 * tests and the sandbox can drive an emulator running in another process. No auth, no faults.
 * Errors answer `{ "error": "..." }`. See README.md for the list.
 */
import type { Fail5xxOptions, RateLimitOptions } from './faults.ts';
import type { Reply } from './http.ts';
import type { IssueFieldsInput, WorkflowTransitionInput } from './model/mutations.ts';
import { StoreError } from './model/store.ts';
import type { EmulatorState } from './state.ts';
import type { ControlHandler } from './server.ts';

type Body = Record<string, unknown>;
type Op = (m: RegExpExecArray, body: Body, query: URLSearchParams) => Reply;

const ok = (body?: unknown, status = 200): Reply => (body === undefined ? { status: 204 } : { status, body });

function str(body: Body, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || v === '') throw new StoreError(`'${name}' (string) is required`);
  return v;
}

function num(body: Body, name: string): number {
  const v = body[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new StoreError(`'${name}' (number) is required`);
  return v;
}

const optStr = (body: Body, name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);

/** Connection details the info endpoint reports. */
export interface ControlInfo { url: string; mode: string; email: string; apiToken: string; pat: string; timeZone: string }

export function createControlHandler(state: EmulatorState, info: () => ControlInfo): ControlHandler {
  const routes: [string, RegExp, Op][] = [
    ['GET', /^$/, () => ok({ ...info(), projects: state.projects() })],
    ['GET', /^\/health$/, () => ok({ ok: true })],
    ['GET', /^\/projects$/, () => ok(state.projects())],
    ['POST', /^\/projects$/, (_m, b) => {
      state.addProject(str(b, 'key'), typeof b.issues === 'number' ? b.issues : 0, optStr(b, 'name'));
      return ok(state.projects().find((p) => p.key === str(b, 'key').toUpperCase()), 201);
    }],
    ['GET', /^\/projects\/([^/]+)\/workflow$/, (m) => ok(state.workflow(m[1]))],
    ['PUT', /^\/projects\/([^/]+)\/workflow$/, (m, b) => ok(state.setWorkflow(m[1], b.transitions as WorkflowTransitionInput[]))],
    ['POST', /^\/issues$/, (_m, b) => ok({ key: state.createIssue(str(b, 'project'), (b.fields ?? {}) as IssueFieldsInput) }, 201)],
    ['GET', /^\/issues\/([^/]+)$/, (m) => {
      const i = state.issue(m[1]);
      if (!i) throw new StoreError(`Issue ${m[1]} does not exist`, 404);
      return ok(i);
    }],
    ['PATCH', /^\/issues\/([^/]+)$/, (m, b) => (state.updateIssue(m[1], (b.fields ?? b) as IssueFieldsInput), ok())],
    ['PUT', /^\/issues\/([^/]+)$/, (m, b) => (state.updateIssue(m[1], (b.fields ?? b) as IssueFieldsInput), ok())],
    ['DELETE', /^\/issues\/([^/]+)$/, (m) => (state.deleteIssue(m[1]), ok())],
    ['POST', /^\/issues\/([^/]+)\/move$/, (m, b) => ok({ key: state.moveIssue(m[1], str(b, 'project')) })],
    ['POST', /^\/issues\/([^/]+)\/hidden$/, (m, b) => (state.setHidden(m[1], b.hidden !== false, (typeof b.status === 'number' ? b.status : 404) as 403 | 404), ok())],
    ['POST', /^\/issues\/([^/]+)\/status$/, (m, b) => (state.setIssueStatus(m[1], str(b, 'status')), ok())],
    ['GET', /^\/issues\/([^/]+)\/comments$/, (m) => ok(state.comments(m[1]))],
    ['GET', /^\/issues\/([^/]+)\/transitions$/, (m) => ok(state.transitionsReceived(m[1]))],
    ['POST', /^\/links$/, (_m, b) => (state.addLink(str(b, 'from'), str(b, 'type'), str(b, 'to')), ok())],
    ['GET', /^\/requests$/, (_m, _b, q) => ok(state.requestsSince(Number(q.get('since') ?? 0)))],
    ['DELETE', /^\/requests$/, () => (state.resetRequestLog(), ok())],
    ['GET', /^\/auth$/, () => ok(state.auth())],
    ['POST', /^\/auth\/expire-token$/, (_m, b) => (state.expireToken(optStr(b, 'token'), b.expired !== false), ok())],
    ['POST', /^\/auth\/expired-token-mode$/, (_m, b) => (state.expiredTokenMode(b.on !== false), ok())],
    ['POST', /^\/faults\/ip-allowlist$/, (_m, b) => (state.ipAllowlistDenies(b.on !== false), ok())],
    ['POST', /^\/faults\/truncate-paging$/, (_m, b) => (state.truncatePaging(num(b, 'afterIssues')), ok())],
    ['GET', /^\/faults$/, () => ok(state.faults())],
    ['DELETE', /^\/faults$/, () => (state.clearFaults(), ok())],
    ['POST', /^\/faults\/rate-limit$/, (_m, b) => (state.rateLimit({ ...b, retryAfter: num(b, 'retryAfter') } as RateLimitOptions), ok())],
    ['POST', /^\/faults\/eventual-consistency$/, (_m, b) => (state.eventualConsistency(num(b, 'seconds')), ok())],
    ['POST', /^\/faults\/5xx$/, (_m, b) => (state.fail5xx(b as Fail5xxOptions), ok())],
    ['POST', /^\/faults\/latency$/, (_m, b) => (state.latency(num(b, 'ms'), optStr(b, 'path')), ok())],
    ['POST', /^\/faults\/drop-connections$/, (_m, b) => (state.dropConnections(num(b, 'count'), optStr(b, 'path')), ok())],
    ['POST', /^\/faults\/malformed-json$/, (_m, b) => (state.malformedJson(num(b, 'count'), optStr(b, 'path')), ok())],
  ];

  return (method, path, query, body) => {
    const sub = path.slice('/_emulator'.length).replace(/\/$/, '');
    const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Body;
    for (const [meth, re, op] of routes) {
      const m = re.exec(sub);
      if (!m || meth !== method) continue;
      try {
        for (let i = 1; i < m.length; i++) m[i] = decodeURIComponent(m[i]);
        return op(m, b, query);
      } catch (err) {
        const status = err instanceof StoreError ? err.status : 400;
        return { status, body: { error: err instanceof Error ? err.message : String(err) } };
      }
    }
    return { status: 404, body: { error: `No control operation ${method} ${path}; see test/jira-emulator/README.md` } };
  };
}
