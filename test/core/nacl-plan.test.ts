import { describe, expect, it } from "vitest";
import {
  checkReservedRange,
  denyPortRange,
  type NaclRule,
  planReconcile,
  planSlots,
  ReservedRangeConflictError,
} from "../../lambda/core/nacl-plan";

const range = { first: 1, last: 99 };

function rule(ruleNumber: number, cidr: string, overrides: Partial<NaclRule> = {}): NaclRule {
  return { ruleNumber, egress: false, action: "deny", cidr, protocol: "-1", ...overrides };
}

const userRules: NaclRule[] = [
  rule(100, "0.0.0.0/0", { action: "allow" }),
  rule(32767, "0.0.0.0/0"),
  rule(32768, "::/0"),
];

describe("checkReservedRange", () => {
  it("accepts a range below every user rule", () => {
    expect(() => checkReservedRange("acl-1", [...userRules, rule(5, "203.0.113.9/32")], range)).not.toThrow();
  });

  it("names the NACL and the rule when a user rule lies below the range", () => {
    const rules = [...userRules, rule(5, "192.0.2.0/24", { action: "allow" })];
    expect(() => checkReservedRange("acl-7", rules, { first: 10, last: 99 })).toThrow(
      /acl-7: inbound rule 5 \(allow 192\.0\.2\.0\/24\) lies below the reserved range 10-99/,
    );
  });

  it("treats an ALLOW inside the range as a user rule, since cloudjail only writes DENY entries", () => {
    const rules = [...userRules, rule(50, "192.0.2.0/24", { action: "allow" })];
    expect(() => checkReservedRange("acl-7", rules, range)).toThrow(ReservedRangeConflictError);
  });

  it("ignores egress rules, which are a separate number space", () => {
    const rules = [...userRules, rule(1, "0.0.0.0/0", { action: "allow", egress: true })];
    expect(() => checkReservedRange("acl-7", rules, { first: 10, last: 99 })).not.toThrow();
  });

  it("rejects ranges EC2 cannot hold", () => {
    for (const bad of [
      { first: 0, last: 10 },
      { first: 50, last: 40 },
      { first: 1, last: 32767 },
    ]) {
      expect(() => checkReservedRange("acl-7", [], bad), JSON.stringify(bad)).toThrow(
        ReservedRangeConflictError,
      );
    }
  });
});

describe("planSlots", () => {
  it("lists free numbers lowest first, skipping numbers taken by either family", () => {
    const rules = [...userRules, rule(1, "203.0.113.9/32"), rule(3, "2001:db8::1/128")];
    const report = planSlots(rules, { first: 1, last: 5 }, 20, "ipv4");
    expect(report.freeNumbers).toEqual([2, 4, 5]);
  });

  it("limits free slots by the quota, counting the default rule and the user's rules of the family", () => {
    const owned = Array.from({ length: 16 }, (_, index) => rule(index + 1, `203.0.113.${index + 1}/32`));
    // IPv4 ingress: 16 owned + rule 100 + the default 32767 = 18 of 20.
    const report = planSlots([...userRules, ...owned], range, 20, "ipv4");
    expect(report.entriesOfFamily).toBe(18);
    expect(report.freeSlots).toBe(2);
    expect(report.freeNumbers).toHaveLength(83);
  });

  it("counts IPv6 separately from IPv4", () => {
    const owned = Array.from({ length: 16 }, (_, index) => rule(index + 1, `203.0.113.${index + 1}/32`));
    expect(planSlots([...userRules, ...owned], range, 20, "ipv6")).toMatchObject({
      entriesOfFamily: 1,
      freeSlots: 19,
    });
  });

  it("limits free slots by the free numbers when the range is smaller than the quota", () => {
    const report = planSlots([...userRules, rule(1, "203.0.113.1/32")], { first: 1, last: 3 }, 20, "ipv4");
    expect(report.freeSlots).toBe(2);
  });

  it("never reports negative room when a NACL is already over the quota", () => {
    const owned = Array.from({ length: 25 }, (_, index) => rule(index + 1, `203.0.113.${index + 1}/32`));
    expect(planSlots(owned, range, 20, "ipv4").freeSlots).toBe(0);
  });
});

describe("planReconcile", () => {
  it("removes entries in the range that no active ban accounts for and re-applies missing ones", () => {
    const rules = [...userRules, rule(1, "203.0.113.1/32"), rule(2, "203.0.113.2/32")];
    const plan = planReconcile(
      rules,
      [
        { ruleNumber: 1, cidr: "203.0.113.1/32" },
        { ruleNumber: 3, cidr: "203.0.113.3/32" },
      ],
      range,
    );
    expect(plan.stale.map((entry) => entry.ruleNumber)).toEqual([2]);
    expect(plan.missing).toEqual([{ ruleNumber: 3, cidr: "203.0.113.3/32" }]);
  });

  it("never proposes to touch a rule outside the range", () => {
    const plan = planReconcile(userRules, [], range);
    expect(plan.stale).toEqual([]);
  });

  it("treats a number holding another CIDR or other ports as stale and missing at once", () => {
    const rules = [
      rule(1, "198.51.100.7/32"),
      rule(2, "203.0.113.2/32", { protocol: "6", portRange: { from: 22, to: 22 } }),
    ];
    const desired = [
      { ruleNumber: 1, cidr: "203.0.113.1/32" },
      { ruleNumber: 2, cidr: "203.0.113.2/32", portRange: { from: 2222, to: 2222 } },
    ];
    const plan = planReconcile(rules, desired, range);
    expect(plan.stale.map((entry) => entry.ruleNumber)).toEqual([1, 2]);
    expect(plan.missing).toEqual(desired);
  });

  it("matches CIDRs by their network, so EC2's normalised form equals the ban's", () => {
    const plan = planReconcile(
      [rule(4, "2001:db8::/64")],
      [{ ruleNumber: 4, cidr: "2001:DB8:0::/64" }],
      range,
    );
    expect(plan).toMatchObject({ stale: [], missing: [] });
  });

  it("reports desired entries outside the range instead of applying them", () => {
    const plan = planReconcile([], [{ ruleNumber: 150, cidr: "203.0.113.1/32" }], range);
    expect(plan.missing).toEqual([]);
    expect(plan.outOfRange).toEqual([{ ruleNumber: 150, cidr: "203.0.113.1/32" }]);
  });
});

describe("denyPortRange", () => {
  const sshPorts = [
    { from: 22, to: 22 },
    { from: 2222, to: 2222 },
  ];

  it("denies all traffic unless the user asked to restrict entries to the jail's ports", () => {
    expect(denyPortRange(sshPorts, false)).toBeUndefined();
    expect(denyPortRange(undefined, true)).toBeUndefined();
  });

  it("spans one range from the jail's lowest to its highest port, since an entry holds one range", () => {
    expect(denyPortRange(sshPorts, true)).toEqual({ from: 22, to: 2222 });
    expect(denyPortRange([{ from: 5000, to: 5010 }], true)).toEqual({ from: 5000, to: 5010 });
  });
});
