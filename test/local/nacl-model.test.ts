import {
  CreateNetworkAclEntryCommand,
  type CreateNetworkAclEntryCommandInput,
  DeleteNetworkAclEntryCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
  ReplaceNetworkAclEntryCommand,
} from "@aws-sdk/client-ec2";
import type { AwsClientStub } from "aws-sdk-client-mock";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NaclModel } from "../../bin/local/nacl-model";
import { mockEc2WithNaclModel } from "../support/ec2-nacl-mock";

const ec2 = new EC2Client({ region: "us-east-1" });
let model: NaclModel;
let stub: AwsClientStub<EC2Client>;
let vpcId: string;
let naclId: string;

function deny(ruleNumber: number, cidr: string, extra: Partial<CreateNetworkAclEntryCommandInput> = {}) {
  const block = cidr.includes(":") ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr };
  return new CreateNetworkAclEntryCommand({
    NetworkAclId: naclId,
    RuleNumber: ruleNumber,
    Egress: false,
    Protocol: "-1",
    RuleAction: "deny",
    ...block,
    ...extra,
  });
}

async function errorOf(promise: Promise<unknown>): Promise<EC2ServiceException> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(EC2ServiceException);
  return error as EC2ServiceException;
}

beforeEach(() => {
  model = new NaclModel({ quota: 20 });
  vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16", ipv6CidrBlock: "2600:1f18:aaaa::/56" });
  naclId = model.addNacl({ vpcId });
  stub = mockEc2WithNaclModel(model);
});

afterEach(() => stub.restore());

describe("NaclModel rule numbers", () => {
  it("rejects rule numbers outside 1-32766 with InvalidParameterValue", async () => {
    for (const ruleNumber of [0, 32767, 40000, 1.5]) {
      const error = await errorOf(ec2.send(deny(ruleNumber, "203.0.113.9/32")));
      expect(error.name, String(ruleNumber)).toBe("InvalidParameterValue");
    }
    expect(model.countEntries(naclId, false, "ipv4")).toBe(1);
  });

  it("refuses a second entry with the same rule number and direction, but not in the other direction", async () => {
    await ec2.send(deny(10, "203.0.113.9/32"));
    const error = await errorOf(ec2.send(deny(10, "198.51.100.7/32")));
    expect(error.name).toBe("NetworkAclEntryAlreadyExists");
    expect(error.$metadata.httpStatusCode).toBe(400);
    await ec2.send(deny(10, "198.51.100.7/32", { Egress: true }));
    expect(model.entriesOf(naclId).filter((entry) => entry.RuleNumber === 10)).toHaveLength(2);
  });

  it("counts rule numbers across address families: an IPv6 entry cannot reuse an IPv4 entry's number", async () => {
    await ec2.send(deny(10, "203.0.113.9/32"));
    const error = await errorOf(ec2.send(deny(10, "2001:db8::1/128")));
    expect(error.name).toBe("NetworkAclEntryAlreadyExists");
  });

  it("stores the CIDR as its network address and the protocol as a number", async () => {
    await ec2.send(deny(11, "203.0.113.9/24", { Protocol: "tcp", PortRange: { From: 22, To: 22 } }));
    const stored = model.entriesOf(naclId).find((entry) => entry.RuleNumber === 11);
    expect(stored).toMatchObject({
      CidrBlock: "203.0.113.0/24",
      Protocol: "6",
      PortRange: { From: 22, To: 22 },
    });
  });

  it("rejects a TCP entry without a port range and an entry with both or neither CIDR fields", async () => {
    expect((await errorOf(ec2.send(deny(12, "203.0.113.9/32", { Protocol: "6" })))).name).toBe(
      "MissingParameter",
    );
    const both = deny(13, "203.0.113.9/32", { Ipv6CidrBlock: "2001:db8::/64" });
    expect((await errorOf(ec2.send(both))).name).toBe("InvalidParameterCombination");
    const neither = deny(14, "203.0.113.9/32", { CidrBlock: undefined });
    expect((await errorOf(ec2.send(neither))).name).toBe("MissingParameter");
    expect((await errorOf(ec2.send(deny(15, "203.0.113.300/32")))).name).toBe("InvalidParameterValue");
  });
});

describe("NaclModel quota", () => {
  it("fits quota - 1 entries beside the default deny rule, then answers NetworkAclEntryLimitExceeded", async () => {
    for (let rule = 1; rule <= 19; rule += 1) await ec2.send(deny(rule, `203.0.113.${rule}/32`));
    const error = await errorOf(ec2.send(deny(20, "203.0.113.20/32")));
    expect(error.name).toBe("NetworkAclEntryLimitExceeded");
    expect(model.countEntries(naclId, false, "ipv4")).toBe(20);
  });

  it("counts IPv4, IPv6, ingress and egress separately", async () => {
    for (let rule = 1; rule <= 19; rule += 1) await ec2.send(deny(rule, `203.0.113.${rule}/32`));
    for (let rule = 21; rule <= 39; rule += 1) await ec2.send(deny(rule, `2001:db8::${rule}/128`));
    await ec2.send(deny(50, "198.51.100.1/32", { Egress: true }));
    expect((await errorOf(ec2.send(deny(40, "2001:db8::40/128")))).name).toBe("NetworkAclEntryLimitExceeded");
    expect(model.countEntries(naclId, false, "ipv6")).toBe(20);
    expect(model.countEntries(naclId, true, "ipv4")).toBe(2);
  });

  it("counts the user's own rules of a default NACL against the quota", async () => {
    const defaultNacl = model.describeNetworkAcls({ Filters: [{ Name: "default", Values: ["true"] }] });
    const entries = defaultNacl.NetworkAcls?.[0]?.Entries ?? [];
    expect(
      entries.filter((entry) => !entry.Egress).map((entry) => [entry.RuleNumber, entry.RuleAction]),
    ).toEqual([
      [100, "allow"],
      [101, "allow"],
      [32767, "deny"],
      [32768, "deny"],
    ]);
    naclId = defaultNacl.NetworkAcls?.[0]?.NetworkAclId ?? "";
    for (let rule = 1; rule <= 18; rule += 1) await ec2.send(deny(rule, `203.0.113.${rule}/32`));
    expect((await errorOf(ec2.send(deny(19, "203.0.113.19/32")))).name).toBe("NetworkAclEntryLimitExceeded");
  });
});

describe("NaclModel errors for missing things", () => {
  it("answers InvalidNetworkAclEntry.NotFound for deleting or replacing a missing entry", async () => {
    const remove = new DeleteNetworkAclEntryCommand({ NetworkAclId: naclId, RuleNumber: 7, Egress: false });
    expect((await errorOf(ec2.send(remove))).name).toBe("InvalidNetworkAclEntry.NotFound");
    const replace = new ReplaceNetworkAclEntryCommand({ ...deny(7, "203.0.113.1/32").input });
    expect((await errorOf(ec2.send(replace))).name).toBe("InvalidNetworkAclEntry.NotFound");
  });

  it("answers InvalidNetworkAclID.NotFound for an unknown NACL in writes and describes", async () => {
    naclId = "acl-0123456789abcdef0";
    expect((await errorOf(ec2.send(deny(7, "203.0.113.1/32")))).name).toBe("InvalidNetworkAclID.NotFound");
    const describe = new DescribeNetworkAclsCommand({ NetworkAclIds: [naclId] });
    expect((await errorOf(ec2.send(describe))).name).toBe("InvalidNetworkAclID.NotFound");
  });

  it("rejects commands it does not model instead of answering undefined", async () => {
    expect((await errorOf(ec2.send(new DescribeSecurityGroupsCommand({})))).name).toBe("InvalidAction");
  });

  it("replaces an entry in place and deletes it", async () => {
    await ec2.send(deny(7, "203.0.113.1/32"));
    await ec2.send(new ReplaceNetworkAclEntryCommand({ ...deny(7, "198.51.100.0/24").input }));
    expect(model.entriesOf(naclId).find((entry) => entry.RuleNumber === 7)?.CidrBlock).toBe(
      "198.51.100.0/24",
    );
    await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: naclId, RuleNumber: 7, Egress: false }));
    expect(model.entriesOf(naclId).some((entry) => entry.RuleNumber === 7)).toBe(false);
  });
});

describe("NaclModel fault injection", () => {
  it("throttles exactly the next N calls with RequestLimitExceeded (HTTP 503), then succeeds", async () => {
    model.throttleNext(2);
    for (const attempt of [1, 2]) {
      const error = await errorOf(ec2.send(deny(5, "203.0.113.5/32")));
      expect(error.name, `attempt ${attempt}`).toBe("RequestLimitExceeded");
      expect(error.$metadata.httpStatusCode).toBe(503);
    }
    await ec2.send(deny(5, "203.0.113.5/32"));
    expect(model.throttledCalls).toBe(2);
    expect(model.calls.CreateNetworkAclEntry).toBe(3);
    expect(model.entriesOf(naclId).some((entry) => entry.RuleNumber === 5)).toBe(true);
  });

  it("throttles randomly but reproducibly for a given seed", () => {
    const outcomes = (seed: number) => {
      const seeded = new NaclModel({ seed });
      seeded.addVpc({ cidrBlock: "10.0.0.0/16" });
      seeded.throttleRandomly(0.5, ["DescribeNetworkAcls"]);
      return Array.from({ length: 40 }, () => {
        try {
          seeded.describeNetworkAcls();
          return "ok";
        } catch (error) {
          return (error as Error).name;
        }
      });
    };
    const first = outcomes(7);
    expect(first).toEqual(outcomes(7));
    expect(first).toContain("ok");
    expect(first).toContain("RequestLimitExceeded");
    expect(outcomes(8)).not.toEqual(first);
  });

  it("shows the pre-write entries to the next K describes when eventual consistency is on", async () => {
    model.staleDescribes(2);
    await ec2.send(deny(5, "203.0.113.5/32"));
    const visible = async () => {
      const answer = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [naclId] }));
      return answer.NetworkAcls?.[0]?.Entries?.some((entry) => entry.RuleNumber === 5);
    };
    expect([await visible(), await visible(), await visible()]).toEqual([false, false, true]);
    expect(model.entriesOf(naclId).some((entry) => entry.RuleNumber === 5)).toBe(true);
  });
});

describe("NaclModel topology", () => {
  it("filters NACLs by VPC, id and associated subnet, and pages through them", async () => {
    const otherVpc = model.addVpc({ cidrBlock: "10.1.0.0/16" });
    const extraNacls = Array.from({ length: 6 }, () => model.addNacl({ vpcId }));
    const subnetId = model.addSubnet({ vpcId, cidrBlock: "10.0.1.0/24", naclId: extraNacls[2] });
    const byVpc = await ec2.send(
      new DescribeNetworkAclsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }),
    );
    expect(byVpc.NetworkAcls).toHaveLength(8);
    const bySubnet = await ec2.send(
      new DescribeNetworkAclsCommand({ Filters: [{ Name: "association.subnet-id", Values: [subnetId] }] }),
    );
    expect(bySubnet.NetworkAcls?.map((nacl) => nacl.NetworkAclId)).toEqual([extraNacls[2]]);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeNetworkAclsCommand({
          Filters: [{ Name: "vpc-id", Values: [vpcId] }],
          MaxResults: 5,
          NextToken: token,
        }),
      );
      expect(page.NetworkAcls?.length).toBeLessThanOrEqual(5);
      seen.push(...(page.NetworkAcls ?? []).map((nacl) => nacl.NetworkAclId ?? ""));
      token = page.NextToken;
    } while (token);
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    expect(
      model.describeNetworkAcls({ Filters: [{ Name: "vpc-id", Values: [otherVpc] }] }).NetworkAcls,
    ).toHaveLength(1);
  });

  it("resolves an instance to its subnet and VPC, and rejects an unknown instance", async () => {
    const subnetId = model.addSubnet({ vpcId, cidrBlock: "10.0.2.0/24", naclId });
    const instanceId = model.addInstance({ subnetId });
    const answer = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    expect(answer.Reservations?.[0]?.Instances?.[0]).toMatchObject({
      InstanceId: instanceId,
      SubnetId: subnetId,
      VpcId: vpcId,
    });
    const error = await errorOf(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-0000000000000dead"] })),
    );
    expect(error.name).toBe("InvalidInstanceID.NotFound");
  });

  it("describes a VPC's CIDR blocks with their association state, and rejects an unknown VPC", async () => {
    const wide = model.addVpc({
      cidrBlock: "10.1.0.0/16",
      secondaryCidrBlocks: ["100.64.0.0/16", "100.65.0.0/16"],
      ipv6CidrBlock: "2600:1f18:BBBB:0::/56",
    });
    model.disassociateCidrBlock(wide, "100.65.0.0/16");
    const answer = await ec2.send(new DescribeVpcsCommand({ VpcIds: [wide] }));
    const [vpc] = answer.Vpcs ?? [];
    expect(answer.Vpcs).toHaveLength(1);
    expect(vpc?.CidrBlock).toBe("10.1.0.0/16");
    expect(
      vpc?.CidrBlockAssociationSet?.map((block) => [block.CidrBlock, block.CidrBlockState?.State]),
    ).toEqual([
      ["10.1.0.0/16", "associated"],
      ["100.64.0.0/16", "associated"],
      ["100.65.0.0/16", "disassociated"],
    ]);
    expect(vpc?.Ipv6CidrBlockAssociationSet?.map((block) => block.Ipv6CidrBlock)).toEqual([
      "2600:1f18:bbbb::/56",
    ]);
    expect(() => model.disassociateCidrBlock(wide, "10.1.0.0/16")).toThrow(/no secondary/);
    const unknown = ec2.send(new DescribeVpcsCommand({ VpcIds: ["vpc-00000000000000bad"] }));
    expect((await errorOf(unknown)).name).toBe("InvalidVpcID.NotFound");
    expect(model.calls.DescribeVpcs).toBe(2);
  });

  it("keeps pre-populated user rules and lets one NACL serve several subnets", () => {
    const userNacl = model.addNacl({
      vpcId,
      entries: [
        {
          RuleNumber: 100,
          Egress: false,
          Protocol: "6",
          RuleAction: "allow",
          CidrBlock: "0.0.0.0/0",
          PortRange: { From: 22, To: 22 },
        },
        { RuleNumber: 200, Egress: false, Protocol: "-1", RuleAction: "deny", CidrBlock: "192.0.2.0/24" },
      ],
    });
    model.addSubnet({ vpcId, cidrBlock: "10.0.3.0/24", naclId: userNacl });
    model.addSubnet({ vpcId, cidrBlock: "10.0.4.0/24", naclId: userNacl });
    const [described] = model.describeNetworkAcls({ NetworkAclIds: [userNacl] }).NetworkAcls ?? [];
    expect(described?.Associations).toHaveLength(2);
    expect(described?.Entries?.filter((entry) => !entry.Egress).map((entry) => entry.RuleNumber)).toEqual([
      100, 200, 32767, 32768,
    ]);
  });
});

describe("NaclModel under any sequence of writes", () => {
  it("keeps numbers unique, the default rules in place and every family within the quota", () => {
    const write = fc.record({
      kind: fc.constantFrom("create", "create", "replace", "delete"),
      ruleNumber: fc.integer({ min: 0, max: 12 }),
      egress: fc.boolean(),
      ipv6: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(write, { maxLength: 100 }), (writes) => {
        const fresh = new NaclModel({ quota: 4 });
        const id = fresh.addNacl({
          vpcId: fresh.addVpc({ cidrBlock: "10.0.0.0/16", ipv6CidrBlock: "2001:db8::/56" }),
        });
        for (const { kind, ruleNumber, egress, ipv6 } of writes) {
          const before = fresh.entriesOf(id);
          const taken = before.some((entry) => entry.RuleNumber === ruleNumber && entry.Egress === egress);
          const family = ipv6 ? "ipv6" : "ipv4";
          const full = fresh.countEntries(id, egress, family) >= 4;
          const block = ipv6
            ? { Ipv6CidrBlock: `2001:db8::${ruleNumber}/128` }
            : { CidrBlock: `203.0.113.${ruleNumber}/32` };
          const input = {
            NetworkAclId: id,
            RuleNumber: ruleNumber,
            Egress: egress,
            Protocol: "-1",
            RuleAction: "deny" as const,
            ...block,
          };
          let outcome = "ok";
          try {
            if (kind === "create") fresh.createNetworkAclEntry(input);
            else if (kind === "replace") fresh.replaceNetworkAclEntry(input);
            else fresh.deleteNetworkAclEntry({ NetworkAclId: id, RuleNumber: ruleNumber, Egress: egress });
          } catch (error) {
            outcome = (error as Error).name;
          }
          const held = before.find((entry) => entry.RuleNumber === ruleNumber && entry.Egress === egress);
          const familyChanges = held !== undefined && (held.Ipv6CidrBlock !== undefined) !== ipv6;
          let expected = "ok";
          if (ruleNumber < 1) expected = "InvalidParameterValue";
          else if (kind === "create" && taken) expected = "NetworkAclEntryAlreadyExists";
          else if (kind === "create" && full) expected = "NetworkAclEntryLimitExceeded";
          else if (kind !== "create" && !taken) expected = "InvalidNetworkAclEntry.NotFound";
          else if (kind === "replace" && familyChanges && full) expected = "NetworkAclEntryLimitExceeded";
          expect(outcome, `${kind} ${ruleNumber} ${egress ? "egress" : "ingress"} ${family}`).toBe(expected);
          const after = fresh.entriesOf(id);
          const keys = after.map((entry) => `${entry.Egress}:${entry.RuleNumber}`);
          expect(new Set(keys).size).toBe(keys.length);
          for (const direction of [false, true]) {
            expect(fresh.countEntries(id, direction, "ipv4")).toBeLessThanOrEqual(4);
            expect(fresh.countEntries(id, direction, "ipv6")).toBeLessThanOrEqual(4);
            expect(keys).toContain(`${direction}:32767`);
            expect(keys).toContain(`${direction}:32768`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
