import { describe, expect, it } from "vitest";
import { canonicalIp, coveringCidr, hostCidr, IpSet, parseCidr } from "../../lambda/core/ip";

describe("canonicalIp", () => {
  it("keeps a dotted-quad IPv4 address as it is", () => {
    expect(canonicalIp("203.0.113.9")).toBe("203.0.113.9");
  });

  it("turns an IPv4-mapped IPv6 address into the IPv4 address it carries", () => {
    expect(canonicalIp("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(canonicalIp("::FFFF:cb00:7109")).toBe("203.0.113.9");
  });

  it("writes IPv6 in RFC 5952 form", () => {
    expect(canonicalIp("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(canonicalIp("::1")).toBe("::1");
  });

  it("rejects forms sshd never writes and text that is not an address", () => {
    for (const text of [
      "1.2.3",
      "0x7f.0.0.1",
      "01.2.3.4",
      "256.1.1.1",
      "fe80::1%eth0",
      "x",
      "",
      "1.2.3.4 ",
    ]) {
      expect(canonicalIp(text), text).toBeUndefined();
    }
  });
});

describe("CIDR helpers", () => {
  it("computes covering blocks and host entries", () => {
    expect(coveringCidr("203.0.113.9", 24)).toBe("203.0.113.0/24");
    expect(coveringCidr("2001:db8:1:2:3::9", 64)).toBe("2001:db8:1:2::/64");
    expect(hostCidr("2001:db8::1")).toBe("2001:db8::1/128");
    expect(hostCidr("203.0.113.9")).toBe("203.0.113.9/32");
  });

  it("names the bad text in a parse error", () => {
    expect(() => parseCidr("10.0.0.0/33")).toThrow(/10.0.0.0\/33/);
    expect(() => parseCidr("nope")).toThrow(/"nope"/);
  });
});

describe("IpSet", () => {
  const ignored = new IpSet(["127.0.0.1/8", "::1", "103.1.2.3", "2001:db8:aa::/48"]);

  it("matches addresses inside listed blocks, across notations", () => {
    expect(ignored.has("127.45.6.7")).toBe(true);
    expect(ignored.has("103.1.2.3")).toBe(true);
    expect(ignored.has("::1")).toBe(true);
    expect(ignored.has("2001:db8:aa:1::5")).toBe(true);
  });

  it("does not match neighbours", () => {
    expect(ignored.has("103.1.2.4")).toBe(false);
    expect(ignored.has("128.0.0.1")).toBe(false);
    expect(ignored.has("2001:db8:ab::1")).toBe(false);
  });

  it("tells when a covering block would touch an ignored address", () => {
    expect(ignored.overlaps(parseCidr("103.1.2.0/24"))).toBe(true);
    expect(ignored.overlaps(parseCidr("198.51.100.0/24"))).toBe(false);
  });
});
