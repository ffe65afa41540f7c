import ipaddr from "ipaddr.js";

/**
 * The one place cloudjail turns address text into addresses. Built on ipaddr.js.
 * Canonical form: IPv4 dotted quad; IPv6 as RFC 5952 (lower case, `::` compression);
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes the IPv4 address it carries.
 */

export type IpFamily = "ipv4" | "ipv6";

const IPV4_STRICT = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Returns the canonical form of an address, or undefined if the text is not exactly one IP address. */
export function canonicalIp(text: string): string | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  if (text.indexOf(":") === -1) {
    // ipaddr.js also accepts octal, hex and short forms ("1.2.3", "0x7f.1"); sshd never writes them.
    return IPV4_STRICT.test(text) ? text : undefined;
  }
  let parsed: ipaddr.IPv6;
  try {
    parsed = ipaddr.IPv6.parse(text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text);
  } catch {
    return undefined;
  }
  if (parsed.zoneId) return undefined;
  if (parsed.isIPv4MappedAddress()) return parsed.toIPv4Address().toString();
  return parsed.toRFC5952String();
}

/** Address family of a canonical address. */
export function ipFamily(ip: string): IpFamily {
  return ip.indexOf(":") === -1 ? "ipv4" : "ipv6";
}

/** A parsed CIDR block: `203.0.113.0/24`, `2001:db8::/64`; a bare address is a /32 or /128. */
export interface Cidr {
  readonly family: IpFamily;
  readonly address: ipaddr.IPv4 | ipaddr.IPv6;
  readonly prefix: number;
}

/** Parses `a.b.c.d[/n]` or `x::y[/n]`; throws with a message naming the text when it is not valid. */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const slash = trimmed.indexOf("/");
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const ip = canonicalIp(addressText);
  if (ip === undefined) throw new Error(`"${text}" is not an IP address or CIDR block`);
  const family = ipFamily(ip);
  const max = family === "ipv4" ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const prefixText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      throw new Error(
        `"${text}" has an invalid prefix length (0-${max} for ${family === "ipv4" ? "IPv4" : "IPv6"})`,
      );
    }
    prefix = Number(prefixText);
    // A mapped IPv6 CIDR (::ffff:10.0.0.0/104) becomes the IPv4 CIDR it describes.
    if (addressText.indexOf(":") !== -1 && family === "ipv4") prefix = Math.max(0, prefix - 96);
  }
  return { family, address: ipaddr.parse(ip), prefix };
}

/** The network address of a CIDR block in canonical `address/prefix` text. */
export function cidrText(cidr: Cidr): string {
  const network =
    cidr.family === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${cidr.address.toString()}/${cidr.prefix}`).toString()
      : (
          ipaddr.IPv6.networkAddressFromCIDR(`${cidr.address.toString()}/${cidr.prefix}`) as ipaddr.IPv6
        ).toRFC5952String();
  return `${network}/${cidr.prefix}`;
}

/** The covering block of `ip` at `prefix` bits, e.g. (`203.0.113.9`, 24) -> `203.0.113.0/24`. */
export function coveringCidr(ip: string, prefix: number): string {
  const address = ipaddr.parse(ip);
  return cidrText({ family: ipFamily(ip), address, prefix });
}

/** A NACL entry's CIDR for a single address: `/32` or `/128`. */
export function hostCidr(ip: string): string {
  return `${ip}/${ipFamily(ip) === "ipv4" ? 32 : 128}`;
}

/** True when the canonical address `ip` lies inside `cidr`. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  if (ipFamily(ip) !== cidr.family) return false;
  const address = ipaddr.parse(ip);
  return cidr.family === "ipv4"
    ? (address as ipaddr.IPv4).match(cidr.address as ipaddr.IPv4, cidr.prefix)
    : (address as ipaddr.IPv6).match(cidr.address as ipaddr.IPv6, cidr.prefix);
}

/** True when two CIDR blocks share at least one address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const prefix = Math.min(a.prefix, b.prefix);
  return a.family === "ipv4"
    ? (a.address as ipaddr.IPv4).match(b.address as ipaddr.IPv4, prefix)
    : (a.address as ipaddr.IPv6).match(b.address as ipaddr.IPv6, prefix);
}

/** A compiled `ignoreip` list: answers "is this address exempt?" */
export class IpSet {
  private readonly blocks: readonly Cidr[];

  constructor(entries: readonly string[]) {
    this.blocks = entries.map(parseCidr);
  }

  has(ip: string): boolean {
    for (const block of this.blocks) if (cidrContains(block, ip)) return true;
    return false;
  }

  /** True when some listed block shares an address with `cidr` (a covering ban must not touch it). */
  overlaps(cidr: Cidr): boolean {
    for (const block of this.blocks) if (cidrsOverlap(block, cidr)) return true;
    return false;
  }
}

/** Bits in an address of the family: 32 or 128. */
export function familyBits(family: IpFamily): number {
  return family === "ipv4" ? 32 : 128;
}

/** A canonical address as an unsigned integer (32 bits IPv4, 128 bits IPv6), for arithmetic on blocks. */
export function addressValue(ip: string): bigint {
  let value = 0n;
  for (const byte of ipaddr.parse(ip).toByteArray()) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Canonical `address/prefix` text of the block of `prefix` bits that holds the integer address `value`. */
export function cidrOfValue(value: bigint, family: IpFamily, prefix: number): string {
  const bytes: number[] = [];
  let rest = value;
  for (let index = 0; index < familyBits(family) / 8; index++) {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return cidrText({ family, address: ipaddr.fromByteArray(bytes), prefix });
}
