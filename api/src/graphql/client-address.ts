import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * The remote address of a request or WebSocket upgrade: the peer of its TCP connection, with an
 * IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) written as the IPv4 address it is. `unknown`
 * when the socket has already gone (Node then reports no address).
 *
 * This is the peer as the server sees it: behind a reverse proxy, the proxy's address. Budgets
 * keyed by it (see {@link addressBucket}) are per proxy there unless the deployment's trusted
 * proxies are taken into account where this is called.
 */
export function clientAddress(req: IncomingMessage): string {
  const raw = req.socket.remoteAddress;
  if (!raw) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
  return mapped ? mapped[1]! : raw;
}

/**
 * The key under which an address's budgets are counted: an IPv4 address as it is; an IPv6
 * address by its /64 prefix (one subscriber line or host usually holds a whole /64, so counting
 * single IPv6 addresses would give an attacker 2^64 budgets); anything else as it is.
 */
export function addressBucket(address: string): string {
  if (isIPv4(address) || !isIPv6(address)) return address;
  const zoneless = address.split('%', 1)[0]!;
  const [head, tail] = zoneless.includes('::') ? zoneless.split('::', 2) : [zoneless, undefined];
  const groupsOf = (part: string | undefined): string[] => {
    if (!part) return [];
    // An embedded IPv4 address (64:ff9b::1.2.3.4) fills the last two groups.
    return part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  };
  const left = groupsOf(head);
  const right = groupsOf(tail);
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}
