import { describe, expect, it } from "vitest";
import type { NaclRule } from "../../lambda/core/nacl-plan";
import { ownedEntries } from "../../lambda/core/owned-entries";

const RANGE = { first: 1, last: 99 };
const deny = (ruleNumber: number, cidr: string, egress = false): NaclRule => ({
  ruleNumber,
  egress,
  action: "deny",
  cidr,
  protocol: "-1",
});

describe("which NACL entries are cloudjail's", () => {
  it("is the ingress deny at a leased number for the leased CIDR, IPv6 text compared canonically", () => {
    const rules = [deny(1, "203.0.113.9/32"), deny(2, "2001:DB8:0:0::7/128")];
    const leases = [
      { ruleNumber: 1, cidr: "203.0.113.9/32" },
      { ruleNumber: 2, cidr: "2001:db8::7/128" },
    ];
    expect(ownedEntries(rules, leases, RANGE)).toEqual(rules);
  });

  it("is never a rule without a lease, with another CIDR, an allow, an egress rule or one outside the range", () => {
    const leases = [1, 2, 3, 4, 100].map((ruleNumber) => ({ ruleNumber, cidr: "203.0.113.9/32" }));
    const rules: NaclRule[] = [
      deny(5, "203.0.113.9/32"),
      deny(1, "203.0.113.10/32"),
      { ...deny(2, "203.0.113.9/32"), action: "allow" },
      deny(3, "203.0.113.9/32", true),
      deny(100, "203.0.113.9/32"),
      deny(4, "not a cidr"),
    ];
    expect(ownedEntries(rules, leases, RANGE)).toEqual([]);
  });
});
