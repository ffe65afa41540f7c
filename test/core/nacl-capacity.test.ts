import { describe, expect, it } from "vitest";
import { ownedEntryCapacity } from "../../lambda/core/nacl-capacity";
import type { NaclRule } from "../../lambda/core/nacl-plan";

const nacl = { reservedRuleRange: { first: 1, last: 99 }, quota: 20 };

function rule(ruleNumber: number, cidr: string, overrides: Partial<NaclRule> = {}): NaclRule {
  return { ruleNumber, egress: false, action: "deny", cidr, protocol: "-1", ...overrides };
}

/** The two allow rules and the default deny of a NACL as EC2 creates it, one per family. */
const userRules = [
  rule(100, "0.0.0.0/0", { action: "allow" }),
  rule(101, "::/0", { action: "allow" }),
  rule(32767, "0.0.0.0/0"),
  rule(32768, "::/0"),
];

describe("ownedEntryCapacity", () => {
  it("is the quota less the user's entries of the same family", () => {
    expect(ownedEntryCapacity(userRules, "ipv4", nacl)).toBe(18);
    expect(ownedEntryCapacity([...userRules, rule(200, "192.0.2.0/24")], "ipv4", nacl)).toBe(17);
  });

  it("does not count egress entries or cloudjail's own entries against the quota", () => {
    const rules = [...userRules, rule(1, "203.0.113.9/32"), rule(300, "192.0.2.0/24", { egress: true })];
    expect(ownedEntryCapacity(rules, "ipv4", nacl)).toBe(18);
  });

  it("is bounded by the numbers the other family's entries leave in the reserved range", () => {
    const narrow = { reservedRuleRange: { first: 1, last: 5 }, quota: 20 };
    const rules = [...userRules, rule(1, "2001:db8::1/128"), rule(2, "2001:db8::2/128")];
    expect(ownedEntryCapacity(rules, "ipv4", narrow)).toBe(3);
    expect(ownedEntryCapacity(rules, "ipv6", narrow)).toBe(5);
  });

  it("is never negative when user entries exceed the quota", () => {
    const crowded = Array.from({ length: 25 }, (_, index) => rule(200 + index, `198.51.100.${index}/32`));
    expect(ownedEntryCapacity(crowded, "ipv4", nacl)).toBe(0);
  });
});
