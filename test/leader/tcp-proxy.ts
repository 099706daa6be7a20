/**
 * A TCP proxy in front of the API server, so a test can cut one candidate off (a network
 * partition, or a process frozen hard) while the API server itself keeps serving the others.
 * TLS passes through untouched; the API server's certificate is valid for 127.0.0.1.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import * as k8s from '@kubernetes/client-node';

export interface TcpProxy {
  /** A KubeConfig like `kc` whose server is this proxy. */
  kc: k8s.KubeConfig;
  /** Drops every connection and refuses new ones from now on. */
  cut(): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (a free port) to the server of `kc`'s current cluster. */
export async function startTcpProxy(kc: k8s.KubeConfig): Promise<TcpProxy> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const target = new URL(cluster.server);
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  const proxied = new k8s.KubeConfig();
  proxied.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${port}` } : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  const cutAll = () => {
    cut = true;
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    kc: proxied,
    cut: cutAll,
    close() {
      cutAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
