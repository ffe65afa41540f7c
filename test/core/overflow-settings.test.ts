import { describe, expect, it } from "vitest";
import { parseConfigJson, parseJailConf } from "../../lambda/core/config";

const jails = { sshd: { filter: "sshd" } };
const json = (overflow: unknown) => parseConfigJson({ jails, overflow }, "cfg.json");

describe("the overflow target in the JSON configuration", () => {
  it("is absent unless chosen, and then absent from the resolved form too", () => {
    const config = parseConfigJson({ jails }, "cfg.json");
    expect(config.overflow).toBeUndefined();
    expect("overflow" in config).toBe(false);
    expect("overflow" in json("none")).toBe(false);
  });

  it("takes a preset name: regional or CloudFront WAF IP sets for both families, or a rule group", () => {
    expect(json("waf").overflow).toEqual({ kind: "waf", scope: "REGIONAL", ipv6: true });
    expect(json("waf-cloudfront").overflow).toEqual({ kind: "waf", scope: "CLOUDFRONT", ipv6: true });
    expect(json("network-firewall").overflow).toEqual({ kind: "network-firewall", capacity: 10_000 });
  });

  it("takes the fields of one kind, and survives being resolved twice (as CLOUDJAIL_CONFIG is)", () => {
    const once = json({ kind: "waf", scope: "CLOUDFRONT", ipv6: false });
    expect(once.overflow).toEqual({ kind: "waf", scope: "CLOUDFRONT", ipv6: false });
    expect(parseConfigJson(JSON.parse(JSON.stringify(once)), "again")).toEqual(once);
    expect(json({ kind: "network-firewall", capacity: 2000 }).overflow).toEqual({
      kind: "network-firewall",
      capacity: 2000,
    });
  });

  it("names the key and what is valid when the value is wrong", () => {
    expect(() => json("shield")).toThrow(/cfg\.json: overflow: "shield" is not an overflow target: use waf/);
    expect(() => json({ kind: "waf", scope: "GLOBAL" })).toThrow(/cfg\.json: overflow: expected "waf"/);
    expect(() => json({ kind: "network-firewall", capacity: 50_000 })).toThrow(
      /cfg\.json: overflow: capacity 50000 is too large: .* at most 30000/,
    );
    expect(() => json({ kind: "network-firewall", capacity: 1.5 })).toThrow(/overflow: .*whole number/);
  });
});

describe("the overflow target in jail.local's [cloudjail] section", () => {
  const jailLocal = (cloudjail: string) =>
    parseJailConf(`[sshd]\nenabled = true\n\n[cloudjail]\n${cloudjail}\n`, "jail.local").config;

  it("is absent by default and with `overflow = none`", () => {
    expect(jailLocal("quota = 20").overflow).toBeUndefined();
    expect(jailLocal("overflow = none").overflow).toBeUndefined();
  });

  it("reads the preset names and the options of each kind", () => {
    expect(jailLocal("overflow = waf").overflow).toEqual({ kind: "waf", scope: "REGIONAL", ipv6: true });
    expect(jailLocal("overflow = WAF-CloudFront\noverflow_ipv6 = false").overflow).toEqual({
      kind: "waf",
      scope: "CLOUDFRONT",
      ipv6: false,
    });
    expect(jailLocal("overflow-capacity = 5000\noverflow = network-firewall").overflow).toEqual({
      kind: "network-firewall",
      capacity: 5000,
    });
  });

  it("names the file, line and option of a bad value", () => {
    expect(() => jailLocal("overflow = shield")).toThrow(
      /jail\.local:5 \[cloudjail\]: overflow: "shield" is not an overflow target/,
    );
    expect(() => jailLocal("overflow = network-firewall\noverflow_capacity = 40000")).toThrow(
      /jail\.local:6 \[cloudjail\]: overflow_capacity: capacity 40000 is too large/,
    );
  });

  it("refuses an option of the other kind rather than ignoring it", () => {
    expect(() => jailLocal("overflow = waf\noverflow_capacity = 5000")).toThrow(
      /jail\.local:6 \[cloudjail\]: overflow_capacity applies only to overflow = network-firewall/,
    );
    expect(() => jailLocal("overflow_ipv6 = false")).toThrow(/overflow_ipv6 applies only to overflow = waf/);
  });

  it("lists its options among the valid ones of an unknown option", () => {
    expect(() => jailLocal("overflows = waf")).toThrow(
      /valid options: .*overflow, overflow_ipv6, overflow_capacity/,
    );
  });
});
