/**
 * Which webhook URLs we will POST to. Only http(s) without credentials; and, unless loopback and
 * private targets are explicitly allowed (tests, closed networks), never an address inside the
 * server's own networks (SSRF): checked on the URL at request time and on every resolved address
 * at delivery time, so a name that later resolves inside (DNS rebinding) is refused too.
 */
import { BlockList, isIP } from 'node:net';

const MAX_URL_LENGTH = 2048;

const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
// IPv4 written inside IPv6: Node's BlockList checks IPv4-mapped addresses (::ffff:a.b.c.d) against
// the IPv4 rules itself; the other embeddings are blocked whole (deprecated or never public).
for (const [net, prefix] of [
  // Unspecified, loopback and IPv4-compatible (::a.b.c.d, e.g. [::127.0.0.1] = ::7f00:1).
  ['::', 96],
  // SIIT IPv4-translated (::ffff:0:a.b.c.d).
  ['::ffff:0:0:0', 96],
  ['64:ff9b::', 96],
  // Teredo and 6to4 carry an IPv4 address of the tunnel's choosing (2002:7f00:1:: is 127.0.0.1).
  ['2001::', 32],
  ['2002::', 16],
  // Site-local (deprecated, still routed inside some networks).
  ['fec0::', 10],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local, CGNAT, documentation, multicast and reserved addresses. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return NON_PUBLIC.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return NON_PUBLIC.check(mapped[1], 'ipv4');
    return NON_PUBLIC.check(address, 'ipv6');
  }
  return true;
}

/** Why a webhook URL is refused, or null when it may be used. */
export function webhookUrlProblem(raw: string, allowPrivate: boolean): string | null {
  if (raw.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must use http or https';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not have a fragment';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return isNonPublicAddress(host) ? 'must not point at a private or loopback address' : null;
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost') || name.endsWith('.local') || name.endsWith('.internal')) {
    return 'must not point at a local host name';
  }
  if (!name.includes('.')) return 'must be a fully qualified host name';
  return null;
}
