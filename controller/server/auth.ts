/**
 * Who is calling, and may they read this JIRASync? Answered the way kube-rbac-proxy answers it:
 * the bearer token goes to a TokenReview, the user it names to a SubjectAccessReview for `get` on
 * `jirasyncs.sync.jira.io` in the namespace (and for the name, so RBAC resourceNames work). Both
 * answers are cached briefly, keyed by a hash of the token (never the token) and by the user, so
 * a polling script costs the API server two calls per TTL, not per request.
 * The controller's ServiceAccount needs `create` on tokenreviews and subjectaccessreviews
 * (the built-in ClusterRole system:auth-delegator).
 */
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig, type V1NonResourceAttributes, type V1ResourceAttributes } from '@kubernetes/client-node';
import { GROUP, PLURAL } from '../api/jirasync.ts';
import { errorMessage } from '../observability/redact.ts';
import { ApiError } from './errors.ts';

/** The authenticated caller, as the TokenReview named them. */
export interface Caller {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The two questions the status API asks about a request. */
export interface AccessReviewer {
  /** The caller a bearer token belongs to; undefined when the token is not valid. */
  authenticate(token: string): Promise<Caller | undefined>;
  /** Whether the caller may `get` jirasyncs in the namespace (the named one, when given). */
  mayGet(caller: Caller, namespace: string, name?: string): Promise<boolean>;
  /** Whether the caller may `get` a non-resource URL such as /metrics. */
  mayGetPath(caller: Caller, path: string): Promise<boolean>;
}

/** A small map whose entries expire, bounded in size (oldest entries go first). */
export class TtlCache<V> {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #entries = new Map<string, { value: V; expires: number }>();

  constructor(ttlMs: number, max = 10_000) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expires <= performance.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, expires: performance.now() + this.#ttlMs });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}

/**
 * Caches promises, so concurrent requests with the same key share one review; a failed review
 * (the API server unreachable) is not cached.
 */
function cached<V>(cache: TtlCache<Promise<V>>, key: string, load: () => Promise<V>): Promise<V> {
  const hit = cache.get(key);
  if (hit) return hit;
  const p = load();
  cache.set(key, p);
  p.catch(() => cache.delete(key));
  return p;
}

export interface KubeAccessReviewerOptions {
  kc: KubeConfig;
  /** How long an answer is reused [10 s]. */
  ttlMs?: number;
  /** Audiences the token must be valid for; the API server's own by default. */
  audiences?: string[];
}

/** AccessReviewer backed by TokenReview and SubjectAccessReview on the API server. */
export class KubeAccessReviewer implements AccessReviewer {
  readonly #authn: AuthenticationV1Api;
  readonly #authz: AuthorizationV1Api;
  readonly #audiences: string[] | undefined;
  readonly #callers: TtlCache<Promise<Caller | undefined>>;
  readonly #decisions: TtlCache<Promise<boolean>>;

  constructor(opts: KubeAccessReviewerOptions) {
    this.#authn = opts.kc.makeApiClient(AuthenticationV1Api);
    this.#authz = opts.kc.makeApiClient(AuthorizationV1Api);
    this.#audiences = opts.audiences;
    this.#callers = new TtlCache(opts.ttlMs ?? 10_000);
    this.#decisions = new TtlCache(opts.ttlMs ?? 10_000);
  }

  authenticate(token: string): Promise<Caller | undefined> {
    const key = createHash('sha256').update(token).digest('hex');
    return cached(this.#callers, key, async () => {
      try {
        const review = await this.#authn.createTokenReview({ body: { spec: { token, audiences: this.#audiences } } });
        const user = review.status?.authenticated ? review.status.user : undefined;
        if (!user?.username) return undefined;
        // The API server answers with the audiences it validated; with audiences configured, one
        // of ours must be among them (a token for another service is not a token for us).
        const audiences = this.#audiences;
        if (audiences?.length && !(review.status?.audiences ?? []).some((a) => audiences.includes(a))) return undefined;
        return { username: user.username, uid: user.uid, groups: user.groups, extra: user.extra };
      } catch (err) {
        // The message of a failed call must not carry the token, whatever the client put in it.
        throw new ApiError('ServiceUnavailable', `cannot review the token: ${errorMessage(err).split(token).join('***')}`, { cause: err });
      }
    });
  }

  mayGet(caller: Caller, namespace: string, name?: string): Promise<boolean> {
    return this.#review(caller, { resourceAttributes: { verb: 'get', group: GROUP, resource: PLURAL, namespace, name } });
  }

  mayGetPath(caller: Caller, path: string): Promise<boolean> {
    return this.#review(caller, { nonResourceAttributes: { verb: 'get', path } });
  }

  #review(caller: Caller, attributes: { resourceAttributes?: V1ResourceAttributes; nonResourceAttributes?: V1NonResourceAttributes }): Promise<boolean> {
    const key = JSON.stringify([caller.username, caller.uid, caller.groups, caller.extra, attributes]);
    return cached(this.#decisions, key, async () => {
      try {
        const review = await this.#authz.createSubjectAccessReview({
          body: {
            spec: {
              user: caller.username,
              uid: caller.uid,
              groups: caller.groups,
              extra: caller.extra,
              ...attributes,
            },
          },
        });
        return review.status?.allowed === true && review.status.denied !== true;
      } catch (err) {
        throw new ApiError('ServiceUnavailable', `cannot review access: ${errorMessage(err)}`, { cause: err });
      }
    });
  }
}
