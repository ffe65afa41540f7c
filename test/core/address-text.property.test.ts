import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AddressCache, isCanonicalIpv6 } from "../../lambda/core/address-text";
import { canonicalIp } from "../../lambda/core/ip";

/**
 * The detector's fast path for IPv6 text (address-text.ts) must agree with canonicalIp, the one place addresses
 * are decided: it may only accept text that canonicalIp gives back unchanged.
 */
/** Zero groups often, so that runs of them (and their compression) are common. */
const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const groups = fc.array(group, { minLength: 8, maxLength: 8 });
const written = fc
  .tuple(groups, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 8 }), fc.boolean(), fc.boolean())
  .map(([parts, from, length, upper, padded]) => {
    const hex = parts.map((value) => {
      const text = value.toString(16);
      return padded ? text.padStart(4, "0") : text;
    });
    // Any run of groups may be written as `::`, zero or not: most such texts are wrong or not canonical.
    const to = Math.min(8, from + length);
    const text = length === 0 ? hex.join(":") : `${hex.slice(0, from).join(":")}::${hex.slice(to).join(":")}`;
    return upper ? text.toUpperCase() : text;
  });
const noise = fc.stringMatching(/^[0-9a-fA-F:.%]{0,41}$/);

describe("isCanonicalIpv6", () => {
  it("accepts only text that canonicalIp returns unchanged", () => {
    fc.assert(
      fc.property(fc.oneof(written, noise), (text) => {
        if (isCanonicalIpv6(text, 0, text.length)) expect(canonicalIp(text)).toBe(text);
      }),
      { numRuns: 20_000 },
    );
  });

  it("accepts every canonical IPv6 address that is not IPv4-mapped", () => {
    fc.assert(
      fc.property(written, (text) => {
        const ip = canonicalIp(text);
        if (ip === undefined || !ip.includes(":") || ip.startsWith("::ffff:")) return;
        expect(isCanonicalIpv6(ip, 0, ip.length)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it("reads the address inside a line, not past its ends", () => {
    const line = "from 2001:db8::1 port 22";
    expect(isCanonicalIpv6(line, 5, 16)).toBe(true);
    expect(isCanonicalIpv6(line, 5, 15)).toBe(true);
    expect(isCanonicalIpv6(line, 4, 16)).toBe(false);
    expect(isCanonicalIpv6(line, 5, 17)).toBe(false);
  });

  it("refuses the forms canonicalIp rewrites: a lone zero group as ::, zeros beside ::, IPv4-mapped", () => {
    for (const text of [
      "1::3:4:5:6:7:8",
      "1:0::2",
      "0::1",
      "2001:db8:0:0:1:0:0:1",
      "::ffff:1:2",
      "2001:DB8::1",
    ])
      expect(isCanonicalIpv6(text, 0, text.length), text).toBe(false);
  });
});

describe("AddressCache", () => {
  it("gives canonicalIp's answer for every text, through the fast paths or not", () => {
    const cache = new AddressCache();
    fc.assert(
      fc.property(fc.oneof(written, noise), (text) => {
        const line = `x ${text} y`;
        expect(cache.canonical(line, 2, 2 + text.length)).toBe(canonicalIp(text));
      }),
      { numRuns: 20_000 },
    );
  });
});
