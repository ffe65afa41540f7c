import { canonicalIp } from "./ip";

/**
 * Address text as sshd writes it, turned into canonical addresses cheaply: the common dotted quad is read as a
 * number without allocating; every other form goes through canonicalIp (lambda/core/ip.ts), cached.
 */

/**
 * The value of `text[start, end)` when it is a dotted quad without leading zeros, octets at most 255 (the form
 * sshd writes, already canonical for canonicalIp); -1 otherwise. A fast path only.
 */
export function plainIpv4Value(text: string, start: number, end: number): number {
  let dots = 0;
  let address = 0;
  let octet = 0;
  let digits = 0;
  for (let position = start; position < end; position++) {
    const code = text.charCodeAt(position);
    if (code === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return -1;
      address = address * 256 + octet;
      digits = 0;
      octet = 0;
    } else if (code >= 48 && code <= 57) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + code - 48;
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? address * 256 + octet : -1;
}

/**
 * True when `text[start, end)` is an IPv6 address already in the canonical form canonicalIp gives (RFC 5952: lower
 * case, no leading zeros, the first longest run of two or more zero groups as `::`, a lone zero group kept) and not
 * an IPv4-mapped one: what sshd writes for an IPv6 client, taken as it stands without parsing. A fast path only:
 * false sends the text through canonicalIp, which decides.
 */
export function isCanonicalIpv6(text: string, start: number, end: number): boolean {
  if (end - start < 2 || end - start > 39) return false;
  // `::ffff:<x>:<y>` is IPv4-mapped: canonicalIp makes it the IPv4 address.
  if (text.startsWith("::ffff:", start)) return false;
  let groups = 0;
  /** Group index where `::` stands, or -1. */
  let gap = -1;
  let digits = 0;
  let leadingZero = false;
  /** The current and the longest explicit run of zero groups before `::`, and the longest after it. */
  let zeroRun = 0;
  let longestBefore = 0;
  let longestAfter = 0;
  let previousZero = false;
  for (let position = start; position <= end; position++) {
    const code = position === end ? 58 : text.charCodeAt(position);
    if (code === 58 /* : */) {
      if (digits === 0) {
        // An empty group: only as the two colons of one `::` (or the ends of a leading or trailing one).
        if (position === start) {
          if (text.charCodeAt(position + 1) !== 58) return false;
          continue;
        }
        if (position === end) {
          if (gap !== groups || text.charCodeAt(end - 2) !== 58) return false;
          break;
        }
        if (gap !== -1 || text.charCodeAt(position - 1) !== 58) return false;
        // A zero group next to `::` belongs in it.
        if (previousZero) return false;
        gap = groups;
        zeroRun = 0;
        continue;
      }
      const zero = leadingZero && digits === 1;
      if (zero && gap !== -1 && gap === groups) return false;
      groups++;
      if (zero) {
        zeroRun++;
        if (gap === -1) longestBefore = Math.max(longestBefore, zeroRun);
        else longestAfter = Math.max(longestAfter, zeroRun);
      } else zeroRun = 0;
      previousZero = zero;
      digits = 0;
      leadingZero = false;
      if (position === end) break;
      continue;
    }
    if (!((code >= 48 && code <= 57) || (code >= 97 && code <= 102))) return false;
    if (digits === 0) leadingZero = code === 48;
    else if (leadingZero) return false;
    if (++digits > 4) return false;
  }
  if (gap === -1) return groups === 8 && longestBefore < 2;
  const compressed = 8 - groups;
  // `::` stands for two or more zero groups, and for the first longest run of them.
  return compressed >= 2 && longestBefore < compressed && longestAfter <= compressed;
}

export function ipv4Text(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

/**
 * A copy of `part` that does not keep its parent alive. V8 makes a slice of 13 characters or more a view into the
 * string it was cut from, and a log line is itself a view into the whole decoded chunk: an address kept in the
 * connection table would pin a megabyte of log text. Concatenating first makes V8 copy the characters.
 */
export function detach(part: string): string {
  return `${part} `.slice(0, -1);
}

/** Canonical addresses of address texts, remembered for the last few thousand distinct texts. */
export class AddressCache {
  private readonly known = new Map<string, string | null>();

  /** The canonical address written at `text[start, end)`, or undefined when it is not exactly one address. */
  canonical(text: string, start: number, end: number): string | undefined {
    if (plainIpv4Value(text, start, end) !== -1 || isCanonicalIpv6(text, start, end)) {
      return detach(text.slice(start, end));
    }
    const raw = detach(text.slice(start, end));
    const cached = this.known.get(raw);
    if (cached !== undefined) return cached ?? undefined;
    if (this.known.size >= 4096) this.known.clear();
    const ip = canonicalIp(raw);
    this.known.set(raw, ip ?? null);
    return ip;
  }
}
