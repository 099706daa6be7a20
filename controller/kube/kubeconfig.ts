/**
 * A KubeConfig whose API clients reuse their connections. @kubernetes/client-node 2.x builds a new
 * undici Agent for every API request (applySecurityAuthentication → createDispatcher), so every
 * status write, Event and Secret read opened its own TLS connection with a fresh secure context:
 * most of the controller's CPU in a fleet of small syncs. Here each request gets the one
 * dispatcher kept for its cluster and user, with keep-alive connections. A kept dispatcher is
 * replaced after MAX_AGE_MS, so rotated CA or client-certificate files are picked up.
 */
import * as k8s from '@kubernetes/client-node';

type RequestContext = Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const MAX_AGE_MS = 10 * 60_000;

export class PooledKubeConfig extends k8s.KubeConfig {
  readonly #kept = new Map<string, { dispatcher: Dispatcher; since: number }>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const key = JSON.stringify([this.getCurrentCluster(), this.getCurrentUser()?.name]);
    const kept = this.#kept.get(key);
    const now = Date.now();
    if (kept && now - kept.since < MAX_AGE_MS) {
      // The fresh Agent has opened nothing yet: closing it costs nothing.
      void fresh.close();
      context.setDispatcher(kept.dispatcher);
      return;
    }
    this.#kept.set(key, { dispatcher: fresh, since: now });
    // Requests in flight on the replaced one finish first; close() waits for them.
    if (kept) void kept.dispatcher.close();
  }
}
