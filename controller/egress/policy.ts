/**
 * The controller's egress policy: which Jira and git hosts a JIRASync may make it talk to. Every
 * field of a JIRASync is tenant input, so a host is checked twice: its URL before anything is
 * sent (scheme, name patterns, IP literals however they are spelled — WHATWG URL normalises
 * `2130706433` and `0x7f.1` to 127.0.0.1), and every address its name resolves to, at connect
 * time, inside the socket's DNS lookup (so a name that resolves to something else by the time
 * of the connection — DNS rebinding — is still caught, and a denied request never leaves).
 *
 * Rules, first match wins:
 * 1. an explicit deny entry (host pattern or CIDR) denies;
 * 2. an address in an explicit allow CIDR is allowed (this is how an operator opens loopback or a
 *    private range on purpose);
 * 3. an address in the default-deny ranges (loopback, link-local, unspecified, the cluster's
 *    service and pod CIDRs) is denied, whatever the name;
 * 4. otherwise, with no allow entries everything else is allowed; with allow entries, the host
 *    name must match an allow pattern (or its address an allow CIDR).
 * Plain http is refused unless the host matches an allowHttp pattern.
 */
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import type { FailureReason } from '../api/reasons.ts';

/** The ranges denied unless an allow CIDR names them. */
export const DEFAULT_DENIED_CIDRS = ['127.0.0.0/8', '::1/128', '169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128'];

export interface EgressConfig {
  /** Host patterns (`jira.example.com`, `*.atlassian.net`) and CIDRs (`10.1.0.0/16`, `127.0.0.1/32`). */
  allow: string[];
  deny: string[];
  /** Host patterns that may be reached over plain http. */
  allowHttp: string[];
  /** The cluster's service and pod CIDRs (denied by default). */
  clusterCidrs: string[];
}

/** A request the policy refuses; names the host, never the path or query. */
export class EgressDeniedError extends Error {
  readonly failureReason: FailureReason = 'EgressDenied';
  readonly host: string;
  constructor(host: string, why: string) {
    super(`egress to ${host} denied: ${why} (the operator's egress policy, docs/security.md)`);
    this.name = 'EgressDeniedError';
    this.host = host;
    // net.connect reports a lookup error with its code; keep one that is not a transport code.
    Object.assign(this, { code: 'EGRESS_DENIED' });
  }
}

function isCidr(entry: string): boolean {
  return entry.includes('/') || isIP(entry) !== 0;
}

function addCidr(list: BlockList, entry: string): void {
  const [addr, bits] = entry.includes('/') ? entry.split('/') : [entry, undefined];
  const family = isIP(addr);
  if (family === 0) throw new Error(`egress: ${JSON.stringify(entry)} is not an IP address or CIDR`);
  const type = family === 6 ? 'ipv6' : 'ipv4';
  const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) throw new Error(`egress: bad prefix in ${JSON.stringify(entry)}`);
  list.addSubnet(addr, prefix, type);
}

/** `*.example.com` matches sub-domains only; `example.com` matches itself. Case-insensitive. */
function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase().replace(/\.$/, '');
  return p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p;
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d or ::ffff:7f00:1) as the IPv4 address it is. */
function unmapped(address: string): string {
  const m = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return address;
  if (m[1]) return m[1];
  const hi = parseInt(m[2], 16);
  const lo = parseInt(m[3], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

export class EgressPolicy {
  readonly #allowHosts: string[];
  readonly #denyHosts: string[];
  readonly #allowHttp: string[];
  readonly #allowNets = new BlockList();
  readonly #denyNets = new BlockList();
  readonly #defaultDenied = new BlockList();
  readonly #hasAllow: boolean;
  readonly #hasAllowNets: boolean;

  constructor(cfg: EgressConfig) {
    this.#allowHosts = cfg.allow.filter((e) => !isCidr(e));
    this.#denyHosts = cfg.deny.filter((e) => !isCidr(e));
    this.#allowHttp = cfg.allowHttp;
    for (const e of cfg.allow.filter(isCidr)) addCidr(this.#allowNets, e);
    for (const e of cfg.deny.filter(isCidr)) addCidr(this.#denyNets, e);
    for (const e of [...DEFAULT_DENIED_CIDRS, ...cfg.clusterCidrs]) addCidr(this.#defaultDenied, e);
    this.#hasAllow = cfg.allow.length > 0;
    this.#hasAllowNets = cfg.allow.some(isCidr);
  }

  /** Checks a URL before any request: scheme, host name, and the host when it is an IP literal. */
  checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new EgressDeniedError('<invalid URL>', 'not a valid URL');
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (url.protocol === 'http:') {
      if (!this.#allowHttp.some((p) => hostMatches(p, host))) throw new EgressDeniedError(host, 'plain http is not allowed for this host; use https');
    } else if (url.protocol !== 'https:') {
      throw new EgressDeniedError(host, `scheme ${url.protocol} is not allowed`);
    }
    if (isIP(host)) this.checkAddress(host, host);
    else this.#checkName(host);
    return url;
  }

  #checkName(host: string): void {
    if (this.#denyHosts.some((p) => hostMatches(p, host))) throw new EgressDeniedError(host, 'the host is on the deny list');
    // Only names can allow it: refuse before even resolving. (An allow CIDR is checked at connect.)
    if (this.#hasAllow && !this.#hasAllowNets && !this.#allowHosts.some((p) => hostMatches(p, host))) {
      throw new EgressDeniedError(host, 'the host is not on the allow list');
    }
  }

  /** Checks one resolved (or literal) address of `host`. */
  checkAddress(host: string, address: string): void {
    const ip = unmapped(address.toLowerCase());
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (this.#denyHosts.some((p) => hostMatches(p, host)) || this.#denyNets.check(ip, type)) {
      throw new EgressDeniedError(host, 'the host is on the deny list');
    }
    if (this.#allowNets.check(ip, type)) return;
    if (this.#defaultDenied.check(ip, type)) throw new EgressDeniedError(host, `it resolves to ${ip}, a loopback, link-local, unspecified or cluster address`);
    if (this.#hasAllow && !this.#allowHosts.some((p) => hostMatches(p, host))) throw new EgressDeniedError(host, 'the host is not on the allow list');
  }

  /**
   * A `lookup` for net/tls.connect and https.Agent: resolves as dns.lookup does, then fails the
   * connection before it is made when any address is denied.
   */
  lookup(): typeof dnsLookup {
    const check = (host: string, addresses: LookupAddress[]): EgressDeniedError | undefined => {
      try {
        for (const a of addresses) this.checkAddress(host, a.address);
        return undefined;
      } catch (err) {
        return err as EgressDeniedError;
      }
    };
    const lookup = (hostname: string, options: LookupOneOptions | LookupAllOptions | number, callback: (...args: unknown[]) => void): void => {
      const opts = typeof options === 'number' ? { family: options } : { ...options };
      dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
        if (err) return callback(err);
        const denied = check(hostname, addresses);
        if (denied) return callback(denied);
        if ((opts as LookupAllOptions).all) return callback(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      });
    };
    return lookup as unknown as typeof dnsLookup;
  }
}

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** The policy from the controller's environment (docs/configuration.md). */
export function egressFromEnv(env: NodeJS.ProcessEnv = process.env): EgressPolicy {
  return new EgressPolicy({
    allow: list(env.JIRASYNC_EGRESS_ALLOW),
    deny: list(env.JIRASYNC_EGRESS_DENY),
    allowHttp: list(env.JIRASYNC_EGRESS_ALLOW_HTTP),
    clusterCidrs: list(env.JIRASYNC_CLUSTER_CIDRS),
  });
}
