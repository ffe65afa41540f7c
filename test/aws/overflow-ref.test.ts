import { describe, expect, it } from "vitest";
import { parseOverflowRef } from "../../lambda/aws/overflow-ref";

describe("CLOUDJAIL_OVERFLOW", () => {
  it("names WAFv2 IP sets by name and id, the IPv6 one optional", () => {
    const ref = parseOverflowRef(
      JSON.stringify({ kind: "waf", scope: "REGIONAL", ipv4: { name: "cj-v4", id: "a1b2" } }),
    );
    expect(ref).toEqual({ kind: "waf", scope: "REGIONAL", ipv4: { name: "cj-v4", id: "a1b2" } });
  });

  it("names a Network Firewall rule group and its IP set variable", () => {
    const text = JSON.stringify({
      kind: "network-firewall",
      ruleGroupArn: "arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/cj",
      variable: "CLOUDJAIL_BANNED",
    });
    expect(parseOverflowRef(text)).toMatchObject({ kind: "network-firewall", variable: "CLOUDJAIL_BANNED" });
  });

  it("says what is wrong with a bad value", () => {
    expect(() => parseOverflowRef("{")).toThrow(/not JSON/);
    expect(() =>
      parseOverflowRef(JSON.stringify({ kind: "waf", scope: "GLOBAL", ipv4: { name: "a", id: "b" } })),
    ).toThrow(/scope/);
    expect(() => parseOverflowRef(JSON.stringify({ kind: "waf", scope: "REGIONAL" }))).toThrow(/ipv4/);
    expect(() =>
      parseOverflowRef(JSON.stringify({ kind: "network-firewall", ruleGroupArn: "rg", variable: "X" })),
    ).toThrow(/ruleGroupArn/);
    expect(() => parseOverflowRef(JSON.stringify({ kind: "shield" }))).toThrow(/kind/);
  });
});
