/**
 * A webhook receiver inside the test, and a real Alertmanager (Debian's `prometheus-alertmanager`)
 * that delivers every alert to it at once (group_wait 1s), one group per label set.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './ports.ts';
import { startProcess, type ManagedProcess, waitForHttp } from './process.ts';

/** One alert as Alertmanager's webhook delivers it. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** One webhook call (Alertmanager webhook payload version 4). */
export interface WebhookNotification {
  version: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** The receiver: every notification in arrival order, and a way to wait for the next one. */
export interface WebhookReceiver {
  url: string;
  notifications: WebhookNotification[];
  /** Resolves on the next notification (or at once if `seen` is below the count received). */
  next(seen: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 that records the JSON bodies POSTed to /alerts. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const notifications: WebhookNotification[] = [];
  let waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/alerts') {
        try {
          notifications.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookNotification);
        } catch {
          res.writeHead(400).end('bad json');
          return;
        }
        const w = waiters;
        waiters = [];
        for (const wake of w) wake();
        res.writeHead(200).end('ok');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    notifications,
    next: (seen) => (seen < notifications.length ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve))),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Timing of the Alertmanager route; the defaults deliver within about a second. */
export interface AlertmanagerRoute {
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
}

/** A running Alertmanager. */
export interface Alertmanager {
  url: string;
  proc: ManagedProcess;
}

/**
 * Starts Alertmanager on a free 127.0.0.1 port with clustering off, its data in `dir`, and one
 * route sending every alert (grouped by all labels, resolved ones too) to `webhookUrl`.
 */
export async function startAlertmanager(dir: string, webhookUrl: string, route: AlertmanagerRoute = {}, timeoutMs = 30_000): Promise<Alertmanager> {
  const config = {
    route: {
      receiver: 'test-webhook',
      group_by: ['...'],
      group_wait: route.groupWait ?? '1s',
      group_interval: route.groupInterval ?? '1s',
      repeat_interval: route.repeatInterval ?? '1h',
    },
    receivers: [{ name: 'test-webhook', webhook_configs: [{ url: webhookUrl, send_resolved: true }] }],
  };
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, stringify(config));
  mkdirSync(join(dir, 'alertmanager-data'), { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess('alertmanager', 'prometheus-alertmanager', [
    `--config.file=${configFile}`,
    `--storage.path=${join(dir, 'alertmanager-data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ]);
  try {
    await waitForHttp(`${url}/-/ready`, proc, timeoutMs);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url, proc };
}
