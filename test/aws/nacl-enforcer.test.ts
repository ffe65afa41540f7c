import { EC2Client } from "@aws-sdk/client-ec2";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { ec2ModelRequestHandler } from "../../bin/local/ec2-request-handler";
import { NaclModel } from "../../bin/local/nacl-model";
import { Ec2NaclEnforcer, OutsideReservedRangeError } from "../../lambda/aws/nacl-enforcer";
import { LOCAL_CREDENTIALS } from "../support/dynalite";
import { testRetryStrategy } from "../support/sdk-retry";

const range = { first: 1, last: 99 };
const userEntries = [
  {
    RuleNumber: 100,
    Egress: false,
    Protocol: "6",
    RuleAction: "allow" as const,
    CidrBlock: "0.0.0.0/0",
    PortRange: { From: 22, To: 22 },
  },
  { RuleNumber: 110, Egress: false, Protocol: "-1", RuleAction: "allow" as const, CidrBlock: "10.0.0.0/8" },
  { RuleNumber: 1, Egress: true, Protocol: "-1", RuleAction: "allow" as const, CidrBlock: "0.0.0.0/0" },
];

let model: NaclModel;
let naclId: string;
/** The backoff ceilings the SDK computed for the last enforcer's retries (its waits are skipped). */
let backoffs: number[];

/** An enforcer whose EC2 client reaches the model through the SDK's whole stack, retried by the SDK. */
function enforcer(options: { maxAttempts?: number } = {}) {
  const retry = testRetryStrategy(options.maxAttempts ?? 6);
  backoffs = retry.delays;
  const client = new EC2Client({
    region: "us-east-1",
    credentials: LOCAL_CREDENTIALS,
    requestHandler: ec2ModelRequestHandler(model),
    retryStrategy: retry.strategy,
  });
  return new Ec2NaclEnforcer(client, { reservedRuleRange: range });
}

function setUp(quota = 20) {
  model = new NaclModel({ quota });
  const vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16", ipv6CidrBlock: "2600:1f18:aaaa::/56" });
  naclId = model.addNacl({ vpcId, entries: userEntries });
}

/** Every entry the user owns, exactly as it was: cloudjail must never change one. */
function userRulesOf(id: string) {
  return model.entriesOf(id).filter((entry) => entry.Egress || (entry.RuleNumber ?? 0) > range.last);
}

beforeEach(() => setUp());

describe("Ec2NaclEnforcer.addDeny", () => {
  it("writes an ingress DENY of all traffic for IPv4 and with Ipv6CidrBlock for IPv6", async () => {
    const jail = enforcer();
    expect(await jail.addDeny({ naclId, ruleNumber: 1, cidr: "203.0.113.9/32" })).toEqual({
      status: "added",
    });
    expect(await jail.addDeny({ naclId, ruleNumber: 2, cidr: "2001:db8::7/128" })).toEqual({
      status: "added",
    });
    const entries = model.entriesOf(naclId).filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) <= 2);
    expect(entries).toEqual([
      { RuleNumber: 1, Egress: false, Protocol: "-1", RuleAction: "deny", CidrBlock: "203.0.113.9/32" },
      { RuleNumber: 2, Egress: false, Protocol: "-1", RuleAction: "deny", Ipv6CidrBlock: "2001:db8::7/128" },
    ]);
  });

  it("narrows the entry to TCP on a port range when asked", async () => {
    await enforcer().addDeny({
      naclId,
      ruleNumber: 3,
      cidr: "203.0.113.9/32",
      portRange: { from: 22, to: 22 },
    });
    const stored = model.entriesOf(naclId).find((entry) => entry.RuleNumber === 3);
    expect(stored).toMatchObject({ Protocol: "6", PortRange: { From: 22, To: 22 }, RuleAction: "deny" });
  });

  it("refuses a rule number outside the reserved range before sending anything", async () => {
    const jail = enforcer();
    for (const ruleNumber of [0, 100, 110, 32767]) {
      await expect(jail.addDeny({ naclId, ruleNumber, cidr: "203.0.113.9/32" })).rejects.toThrow(
        OutsideReservedRangeError,
      );
      await expect(jail.removeEntry(naclId, ruleNumber)).rejects.toThrow(OutsideReservedRangeError);
    }
    expect(model.totalCalls()).toBe(0);
  });

  it("is idempotent: adding the same entry again reports it exists", async () => {
    const jail = enforcer();
    await jail.addDeny({ naclId, ruleNumber: 4, cidr: "203.0.113.9/32" });
    expect(await jail.addDeny({ naclId, ruleNumber: 4, cidr: "203.0.113.9/32" })).toEqual({
      status: "exists",
    });
  });

  it("reports a conflict with the entry holding the number, so the caller can lease another", async () => {
    const jail = enforcer();
    await jail.addDeny({ naclId, ruleNumber: 4, cidr: "198.51.100.1/32" });
    const result = await jail.addDeny({ naclId, ruleNumber: 4, cidr: "203.0.113.9/32" });
    expect(result).toMatchObject({
      status: "conflict",
      existing: { ruleNumber: 4, cidr: "198.51.100.1/32" },
    });
  });

  it("reads an entry that already exists through a stale DescribeNetworkAcls by asking again", async () => {
    model.staleDescribes(2);
    await enforcer().addDeny({ naclId, ruleNumber: 5, cidr: "203.0.113.9/32" });
    expect(await enforcer().addDeny({ naclId, ruleNumber: 5, cidr: "203.0.113.9/32" })).toEqual({
      status: "exists",
    });
  });

  it("reports full, not an error, when the NACL holds its quota of IPv4 entries", async () => {
    const jail = enforcer();
    // Two user ingress IPv4 rules + the default deny: 17 more fit in a quota of 20.
    for (let rule = 1; rule <= 17; rule += 1) {
      expect(await jail.addDeny({ naclId, ruleNumber: rule, cidr: `203.0.113.${rule}/32` })).toEqual({
        status: "added",
      });
    }
    expect(await jail.addDeny({ naclId, ruleNumber: 18, cidr: "203.0.113.18/32" })).toEqual({
      status: "full",
    });
    expect(await jail.addDeny({ naclId, ruleNumber: 18, cidr: "2001:db8::18/128" })).toEqual({
      status: "added",
    });
  });
});

describe("Ec2NaclEnforcer retries (the SDK's adaptive strategy)", () => {
  it("has RequestLimitExceeded retried as throttling, backing off from the SDK's throttling base, until it succeeds", async () => {
    model.throttleNext(4);
    const jail = enforcer();
    expect(await jail.addDeny({ naclId, ruleNumber: 6, cidr: "203.0.113.9/32" })).toEqual({
      status: "added",
    });
    // The SDK's throttling base (1 s, where a transient error gets 50 ms), doubling: the ceilings of its jitter.
    expect(backoffs).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(model.calls.CreateNetworkAclEntry).toBe(5);
    expect(jail.stats).toEqual({ calls: 5, retries: 4 });
  });

  it("gives up after the bounded number of attempts and raises the throttling error", async () => {
    model.throttleNext(10);
    const jail = enforcer({ maxAttempts: 3 });
    await expect(jail.addDeny({ naclId, ruleNumber: 6, cidr: "203.0.113.9/32" })).rejects.toMatchObject({
      name: "RequestLimitExceeded",
    });
    expect(model.calls.CreateNetworkAclEntry).toBe(3);
  });

  it("gets every ban in within bounded attempts when a third of all calls are throttled", async () => {
    setUp(40);
    model.throttleRandomly(1 / 3);
    const jail = enforcer({ maxAttempts: 10 });
    for (let rule = 1; rule <= 30; rule += 1) {
      await jail.addDeny({ naclId, ruleNumber: rule, cidr: `203.0.113.${rule}/32` });
    }
    expect(model.throttledCalls).toBeGreaterThan(5);
    expect(
      model.entriesOf(naclId).filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) <= 30),
    ).toHaveLength(30);
  });

  it("does not retry an error that another attempt cannot fix", async () => {
    const jail = enforcer();
    await expect(jail.removeEntry("acl-00000000000000bad", 1)).rejects.toMatchObject({
      name: "InvalidNetworkAclID.NotFound",
    });
    expect(jail.stats.calls).toBe(1);
  });
});

describe("Ec2NaclEnforcer.removeEntry and reads", () => {
  it("removes an owned entry and calls a missing one absent", async () => {
    const jail = enforcer();
    await jail.addDeny({ naclId, ruleNumber: 7, cidr: "203.0.113.9/32" });
    expect(await jail.removeEntry(naclId, 7)).toEqual({ status: "removed" });
    expect(await jail.removeEntry(naclId, 7)).toEqual({ status: "absent" });
  });

  it("reads ingress entries only, user rules included, for several NACLs in one call", async () => {
    const other = model.addNacl({ vpcId: model.describeNetworkAcls().NetworkAcls?.[0]?.VpcId ?? "" });
    const jail = enforcer();
    await jail.addDeny({ naclId, ruleNumber: 8, cidr: "203.0.113.9/32" });
    const calls = model.calls.DescribeNetworkAcls;
    const both = await jail.readManyEntries([naclId, other]);
    expect(model.calls.DescribeNetworkAcls).toBe(calls + 1);
    expect(both.get(naclId)?.map((rule) => rule.ruleNumber)).toEqual([8, 100, 110, 32767, 32768]);
    expect(both.get(other)?.map((rule) => rule.ruleNumber)).toEqual([32767, 32768]);
  });
});

describe("Ec2NaclEnforcer under concurrency", () => {
  it("lets exactly one of 20 parallel writers win each rule number; the others learn who holds it", async () => {
    const writers = Array.from({ length: 20 }, () => enforcer());
    const results = await Promise.all(
      writers.map((writer, index) =>
        writer.addDeny({ naclId, ruleNumber: (index % 5) + 1, cidr: `203.0.113.${index + 1}/32` }),
      ),
    );
    expect(results.filter((result) => result.status === "added")).toHaveLength(5);
    expect(results.filter((result) => result.status === "conflict")).toHaveLength(15);
    const owned = model
      .entriesOf(naclId)
      .filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) <= range.last);
    expect(owned.map((entry) => entry.RuleNumber)).toEqual([1, 2, 3, 4, 5]);
    for (const [index, result] of results.entries()) {
      if (result.status !== "conflict") continue;
      const holder = owned.find((entry) => entry.RuleNumber === (index % 5) + 1);
      expect(result.existing.cidr).toBe(holder?.CidrBlock);
    }
  });

  it("reports the same entry written by parallel duplicate deliveries as existing, never twice", async () => {
    const results = await Promise.all(
      Array.from({ length: 3 }, () => enforcer().addDeny({ naclId, ruleNumber: 9, cidr: "203.0.113.9/32" })),
    );
    expect(results.map((result) => result.status).sort()).toEqual(["added", "exists", "exists"]);
    expect(model.countEntries(naclId, false, "ipv4")).toBe(4);
  });
});

describe("Ec2NaclEnforcer invariants under any sequence of operations", () => {
  it("never changes an entry outside the range and never exceeds the quota", async () => {
    const operation = fc.record({
      kind: fc.constantFrom("add", "remove"),
      ruleNumber: fc.integer({ min: 0, max: 130 }),
      host: fc.integer({ min: 1, max: 40 }),
      ipv6: fc.boolean(),
      throttled: fc.integer({ min: 0, max: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 60 }), async (operations) => {
        setUp(20);
        const before = userRulesOf(naclId);
        const jail = enforcer();
        for (const op of operations) {
          model.throttleNext(op.throttled);
          const cidr = op.ipv6 ? `2001:db8::${op.host}/128` : `203.0.113.${op.host}/32`;
          const call =
            op.kind === "add"
              ? jail.addDeny({ naclId, ruleNumber: op.ruleNumber, cidr })
              : jail.removeEntry(naclId, op.ruleNumber);
          const outcome = await call.then(
            () => "ok",
            (error: Error) => error.name,
          );
          if (op.ruleNumber < range.first || op.ruleNumber > range.last)
            expect(outcome).toBe("OutsideReservedRangeError");
          else expect(outcome).toBe("ok");
        }
        expect(userRulesOf(naclId)).toEqual(before);
        for (const family of ["ipv4", "ipv6"] as const) {
          expect(model.countEntries(naclId, false, family)).toBeLessThanOrEqual(20);
        }
      }),
      { numRuns: 40 },
    );
  });
});
