import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import proxyaddr from 'proxy-addr';

/** A compiled TRUSTED_PROXIES list: true when the peer at `address` may speak for the client. */
export type ProxyTrust = (address: string, hop: number) => boolean;

const compiled = new WeakMap<readonly string[], ProxyTrust>();

/**
 * The trust function of a TRUSTED_PROXIES list (addresses, CIDR ranges, `loopback`,
 * `linklocal`, `uniquelocal`), compiled once per list. An empty list trusts no one.
 */
export function proxyTrust(trusted: readonly string[]): ProxyTrust {
  let trust = compiled.get(trusted);
  if (!trust) {
    trust = proxyaddr.compile([...trusted]);
    compiled.set(trusted, trust);
  }
  return trust;
}

/**
 * The client's address of an HTTP request or WebSocket upgrade: the socket's peer, unless that
 * peer is a trusted proxy, in which case X-Forwarded-For is walked from the right past every
 * trusted hop (so a client cannot choose its address by sending the header itself). IPv4-mapped
 * IPv6 addresses are given as IPv4. `'unknown'` when the socket has already closed.
 */
export function clientAddress(req: IncomingMessage, trusted: readonly string[]): string {
  if (req.socket.remoteAddress === undefined) return 'unknown';
  return unmapped(proxyaddr(req, proxyTrust(trusted)));
}

/**
 * The key an address is budgeted under: an IPv4 address itself, an IPv6 address by its /64
 * (one subscriber's usual allocation, so rotating through a prefix buys nothing).
 */
export function addressBucket(address: string): string {
  const a = unmapped(address);
  if (isIPv4(a) || !isIPv6(a)) return a;
  return `${expandIPv6(a).slice(0, 4).join(':')}::/64`;
}

function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** The eight hextets of a valid IPv6 address (zone id dropped, embedded IPv4 converted). */
function expandIPv6(address: string): string[] {
  let a = address.split('%', 1)[0]!.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = a.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((h) => h.replace(/^0+(?=.)/, ''));
}
