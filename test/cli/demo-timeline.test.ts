import type { NetworkAclEntry } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import type { BanView } from "../../bin/cli/jail-status";
import {
  banLine,
  entryChanges,
  formatNaclTables,
  snapshotEntries,
  unbanLine,
} from "../../bin/local/demo-timeline";

const deny = (RuleNumber: number, CidrBlock: string): NetworkAclEntry => ({
  RuleNumber,
  RuleAction: "deny",
  Egress: false,
  Protocol: "-1",
  CidrBlock,
});
const defaults: NetworkAclEntry[] = [
  { RuleNumber: 100, RuleAction: "allow", Egress: false, Protocol: "-1", CidrBlock: "0.0.0.0/0" },
  { RuleNumber: 32767, RuleAction: "deny", Egress: false, Protocol: "-1", CidrBlock: "0.0.0.0/0" },
  { RuleNumber: 100, RuleAction: "allow", Egress: true, Protocol: "-1", CidrBlock: "0.0.0.0/0" },
];

const ban: BanView = {
  ip: "203.0.113.10",
  cidr: "203.0.113.10/32",
  jail: "sshd",
  bannedAt: Date.UTC(2026, 10, 25, 11, 55, 50),
  endsAt: Date.UTC(2026, 10, 25, 12, 55, 50),
  banNumber: 1,
  failures: 3,
  reason: "3 failures within 5m (maxretry 3)",
  state: "enforced",
  naclEntries: [{ naclId: "acl-1", ruleNumber: 1 }],
  pending: {},
  why: { seconds: 3600, failureTimes: [], instanceIds: [], lines: [] },
};

describe("the demo timeline", () => {
  it("shows a ban with its length, end and reason, and its unban at the simulated time", () => {
    expect(banLine(ban.bannedAt, ban)).toBe(
      "11:55:50  BAN    203.0.113.10     sshd  #1 for 1h, until 12:55:50  3 failures within 5m (maxretry 3)\n",
    );
    expect(unbanLine(Date.UTC(2026, 10, 25, 12, 56), ban)).toBe(
      "12:56:00  UNBAN  203.0.113.10     sshd  ban #1 ended 12:55:50\n",
    );
  });

  it("lists the inbound entries written and removed between two snapshots, ignoring egress", () => {
    const before = snapshotEntries(new Map([["acl-1", [...defaults, deny(1, "203.0.113.10/32")]]]));
    const after = snapshotEntries(new Map([["acl-1", [...defaults, deny(2, "198.51.100.23/32")]]]));
    expect(entryChanges(before, after)).toBe(
      "          - acl-1 rule 1: deny 203.0.113.10/32 all traffic  (removed)\n" +
        "          + acl-1 rule 2: deny 198.51.100.23/32 all traffic  (written)\n",
    );
    expect(entryChanges(after, after)).toBe("");
  });

  it("prints a NACL's inbound rules as the console does, the default rule as *", () => {
    const text = formatNaclTables(new Map([["acl-1", [...defaults, deny(1, "203.0.113.10/32")]]]), "vpc-1");
    expect(text.split("\n")).toEqual([
      "Network ACL acl-1 (vpc-1, simulated), inbound rules:",
      "Rule  Action  Source           Ports",
      "----  ------  ---------------  -----------",
      "   1  DENY    203.0.113.10/32  all traffic",
      " 100  ALLOW   0.0.0.0/0        all traffic",
      "   *  DENY    0.0.0.0/0        all traffic",
      "",
    ]);
  });
});
