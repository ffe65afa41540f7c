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
    if (plainIpv4Value(text, start, end) !== -1) return detach(text.slice(start, end));
    const raw = detach(text.slice(start, end));
    const cached = this.known.get(raw);
    if (cached !== undefined) return cached ?? undefined;
    if (this.known.size >= 4096) this.known.clear();
    const ip = canonicalIp(raw);
    this.known.set(raw, ip ?? null);
    return ip;
  }
}
