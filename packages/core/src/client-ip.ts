import ipaddr from 'ipaddr.js';

/**
 * Which peers may speak for the client through `X-Forwarded-For` / `X-Forwarded-Host`:
 * - `false` (default): nobody; the socket address is the client.
 * - `true`: every hop; the leftmost `X-Forwarded-For` entry is the client. Only behind a proxy that overwrites the header.
 * - a number `n`: the `n` hops nearest to the relay (the socket peer first).
 * - addresses or CIDR ranges, or the names `loopback`, `linklocal`, `uniquelocal`: hops inside them.
 */
export type TrustProxy = boolean | number | string | readonly string[];

/** Decides whether the hop `hop` steps from the relay (0 = the socket peer), at `address`, is a trusted proxy. */
export type TrustRule = (address: string, hop: number) => boolean;

const NAMED_RANGES: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseRange(entry: string): Range {
  try {
    if (entry.includes('/')) return ipaddr.parseCIDR(entry);
    const address = ipaddr.process(entry);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new TypeError(
      `trustProxy: "${entry}" is not an IP address, a CIDR range or one of ${Object.keys(NAMED_RANGES).join(', ')}.`,
    );
  }
}

/** Compiles the trust setting once, at relay construction. */
export function compileTrustProxy(trust: TrustProxy | undefined): TrustRule {
  if (trust === undefined || trust === false) return () => false;
  if (trust === true) return () => true;
  if (typeof trust === 'number') {
    if (!Number.isInteger(trust) || trust < 0)
      throw new TypeError('trustProxy: a hop count must be a whole number of 0 or more.');
    return (_address, hop) => hop < trust;
  }
  const entries = (typeof trust === 'string' ? trust.split(',') : trust)
    .map((entry) => entry.trim())
    .filter(Boolean);
  const ranges = entries.flatMap((entry) => (NAMED_RANGES[entry] ?? [entry]).map(parseRange));
  return (address) => {
    if (!ipaddr.isValid(address)) return false;
    const parsed = ipaddr.process(address);
    return ranges.some(
      ([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits),
    );
  };
}

/** A dotted quad already in the form `canonicalAddress` returns: no leading zeros, each part at most 255. */
const CANONICAL_IPV4 =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** An address in its canonical form (IPv4-mapped IPv6 unwrapped), or undefined if it is not an IP address. */
export function canonicalAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  // What a socket reports for an IPv4 peer, as such or IPv4-mapped, is answered without parsing: it runs
  // on every request (bench/results/stage-budget.md), and the parse would return the same text.
  if (CANONICAL_IPV4.test(address)) return address;
  if (address.startsWith('::ffff:') && CANONICAL_IPV4.test(address.slice(7)))
    return address.slice(7);
  const bare = address.trim().replace(/^\[(.*)\]$/, '$1');
  // Only dotted-quad IPv4: ipaddr.js also reads "2130706433" or "0x7f.1" as addresses, which no proxy writes.
  const valid = bare.includes(':')
    ? ipaddr.IPv6.isValid(bare)
    : ipaddr.IPv4.isValidFourPartDecimal(bare);
  return valid ? ipaddr.process(bare).toString() : undefined;
}

/** `203.0.113.7:5000` or `[2001:db8::1]:443`: an address with the port some proxies add (Azure, IIS ARR). */
const WITH_PORT = /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9A-Fa-f:.]+)\]):(\d{1,5})$/;

/**
 * One `X-Forwarded-For` entry as an address: as `canonicalAddress` reads it, or an IPv4 address or a
 * bracketed IPv6 address followed by a port, the port dropped (it names the client's connection, not the
 * client). A bare IPv6 address is never cut at a colon: `2001:db8::1:443` is that address.
 */
export function forwardedAddress(entry: string | undefined): string | undefined {
  if (entry === undefined) return undefined;
  const withPort = WITH_PORT.exec(entry.trim());
  if (withPort === null) return canonicalAddress(entry);
  if (Number(withPort[3]) > 65535) return undefined;
  return canonicalAddress(withPort[1] ?? withPort[2]);
}

/**
 * The client's address: the socket peer, then, while the current hop is trusted, the next `X-Forwarded-For`
 * entry from the right (`forwardedAddress`: a port after an entry is dropped). An entry that is not an IP
 * address stops the walk at the hop that added it.
 */
export function resolveClientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trusts: TrustRule,
): string {
  return clientAddressFromPeer(canonicalAddress(socketAddress), forwardedFor, trusts);
}

/** `resolveClientAddress` for a peer already in canonical form (`canonicalAddress`), for callers that hold one. */
export function clientAddressFromPeer(
  peer: string | undefined,
  forwardedFor: string | undefined,
  trusts: TrustRule,
): string {
  let current = peer;
  if (current === undefined) return 'unknown';
  if (forwardedFor === undefined || forwardedFor === '') return current;
  const hops = forwardedFor.split(',');
  for (let hop = 0; hop < hops.length; hop++) {
    if (!trusts(current, hop)) return current;
    const next = forwardedAddress(hops[hops.length - 1 - hop]);
    if (next === undefined) return current;
    current = next;
  }
  return current;
}

/** IPv6 clients are limited per /64, the smallest block a single subscriber is usually given. */
export function rateLimitKey(address: string): string {
  if (!address.includes(':')) return address;
  const parts = ipaddr.IPv6.parse(address).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(':')}::/64`;
}
