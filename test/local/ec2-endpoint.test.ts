import {
  CreateNetworkAclEntryCommand,
  type CreateNetworkAclEntryCommandInput,
  DeleteNetworkAclEntryCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  EC2ServiceException,
  paginateDescribeNetworkAcls,
  ReplaceNetworkAclEntryCommand,
} from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Ec2Endpoint, startEc2Endpoint } from "../../bin/local/ec2-endpoint";
import { NaclModel } from "../../bin/local/nacl-model";
import { Ec2NaclEnforcer } from "../../lambda/aws/nacl-enforcer";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
let model: NaclModel;
let endpoint: Ec2Endpoint;
let vpcId: string;
let naclId: string;
let subnetId: string;
let instanceId: string;

/** The real SDK client, unchanged, pointed at the loopback endpoint. */
function client(maxAttempts = 1): EC2Client {
  return new EC2Client({ region: "us-east-1", endpoint: endpoint.url, credentials, maxAttempts });
}

function deny(ruleNumber: number, cidr: string, extra: Partial<CreateNetworkAclEntryCommandInput> = {}) {
  return new CreateNetworkAclEntryCommand({
    NetworkAclId: naclId,
    RuleNumber: ruleNumber,
    Egress: false,
    Protocol: "-1",
    RuleAction: "deny",
    ...(cidr.includes(":") ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr }),
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

beforeAll(async () => {
  // One server for the file; each test gets a fresh model behind it through this indirection.
  const proxy = new Proxy({} as NaclModel, {
    get: (_target, property) => {
      const value = Reflect.get(model, property);
      return typeof value === "function" ? value.bind(model) : value;
    },
  });
  endpoint = await startEc2Endpoint(proxy);
});

afterAll(() => endpoint.close());

beforeEach(() => {
  model = new NaclModel({ quota: 20 });
  vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16", ipv6CidrBlock: "2600:1f18:aaaa::/56" });
  naclId = model.addNacl({
    vpcId,
    entries: [
      { RuleNumber: 100, Egress: false, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0" },
    ],
  });
  subnetId = model.addSubnet({ vpcId, cidrBlock: "10.0.1.0/24", naclId });
  instanceId = model.addInstance({ subnetId, instanceId: "i-0123456789abcdef0" });
});

describe("the loopback EC2 endpoint with the real EC2Client", () => {
  it("creates, describes, replaces and deletes entries with the SDK's own types", async () => {
    const ec2 = client();
    await ec2.send(deny(1, "203.0.113.9/32"));
    await ec2.send(deny(2, "2001:db8::7/128", { Protocol: "6", PortRange: { From: 22, To: 2222 } }));
    const described = await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [naclId] }));
    const [nacl] = described.NetworkAcls ?? [];
    expect(nacl).toMatchObject({ NetworkAclId: naclId, VpcId: vpcId, IsDefault: false });
    expect(nacl?.Associations).toEqual([
      expect.objectContaining({ SubnetId: subnetId, NetworkAclId: naclId }),
    ]);
    const ingress = nacl?.Entries?.filter((entry) => !entry.Egress);
    expect(ingress).toEqual([
      { RuleNumber: 1, Egress: false, Protocol: "-1", RuleAction: "deny", CidrBlock: "203.0.113.9/32" },
      {
        RuleNumber: 2,
        Egress: false,
        Protocol: "6",
        RuleAction: "deny",
        Ipv6CidrBlock: "2001:db8::7/128",
        PortRange: { From: 22, To: 2222 },
      },
      { RuleNumber: 100, Egress: false, Protocol: "-1", RuleAction: "allow", CidrBlock: "0.0.0.0/0" },
      { RuleNumber: 32767, Egress: false, Protocol: "-1", RuleAction: "deny", CidrBlock: "0.0.0.0/0" },
      { RuleNumber: 32768, Egress: false, Protocol: "-1", RuleAction: "deny", Ipv6CidrBlock: "::/0" },
    ]);
    await ec2.send(new ReplaceNetworkAclEntryCommand({ ...deny(1, "198.51.100.0/24").input }));
    await ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: naclId, RuleNumber: 2, Egress: false }));
    const rules = model.entriesOf(naclId).filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) < 100);
    expect(rules).toEqual([
      { RuleNumber: 1, Egress: false, Protocol: "-1", RuleAction: "deny", CidrBlock: "198.51.100.0/24" },
    ]);
  });

  it("raises EC2's error codes as the SDK's error names, with EC2's HTTP status", async () => {
    const ec2 = client();
    await ec2.send(deny(1, "203.0.113.9/32"));
    const taken = await errorOf(ec2.send(deny(1, "203.0.113.10/32")));
    expect([taken.name, taken.$metadata.httpStatusCode]).toEqual(["NetworkAclEntryAlreadyExists", 400]);
    const remove = new DeleteNetworkAclEntryCommand({ NetworkAclId: naclId, RuleNumber: 9, Egress: false });
    expect((await errorOf(ec2.send(remove))).name).toBe("InvalidNetworkAclEntry.NotFound");
    const unknown = new DescribeNetworkAclsCommand({ NetworkAclIds: ["acl-00000000000000bad"] });
    expect((await errorOf(ec2.send(unknown))).name).toBe("InvalidNetworkAclID.NotFound");
    expect((await errorOf(ec2.send(deny(0, "203.0.113.9/32")))).name).toBe("InvalidParameterValue");
    expect((await errorOf(ec2.send(new DescribeSecurityGroupsCommand({})))).name).toBe("InvalidAction");
  });

  it("answers NetworkAclEntryLimitExceeded once the quota is reached", async () => {
    const ec2 = client();
    // The user's rule 100 and the default deny leave 18 IPv4 entries.
    for (let rule = 1; rule <= 18; rule += 1) await ec2.send(deny(rule, `203.0.113.${rule}/32`));
    expect((await errorOf(ec2.send(deny(19, "203.0.113.19/32")))).name).toBe("NetworkAclEntryLimitExceeded");
  });

  it("throttles with RequestLimitExceeded (503), which the SDK's own retry then absorbs", async () => {
    model.throttleNext(1);
    const throttled = await errorOf(client(1).send(deny(1, "203.0.113.9/32")));
    expect([throttled.name, throttled.$metadata.httpStatusCode]).toEqual(["RequestLimitExceeded", 503]);
    model.throttleNext(1);
    await client(3).send(deny(1, "203.0.113.9/32"));
    expect(model.calls.CreateNetworkAclEntry).toBe(3);
    expect(model.entriesOf(naclId).some((entry) => entry.RuleNumber === 1)).toBe(true);
  });

  it("filters and pages DescribeNetworkAcls for the SDK's paginator", async () => {
    for (let extra = 0; extra < 11; extra += 1) model.addNacl({ vpcId });
    model.addVpc({ cidrBlock: "10.9.0.0/16" });
    const ids: string[] = [];
    const pages = paginateDescribeNetworkAcls(
      { client: client(), pageSize: 5 },
      { Filters: [{ Name: "vpc-id", Values: [vpcId] }] },
    );
    let pageCount = 0;
    for await (const page of pages) {
      pageCount += 1;
      ids.push(...(page.NetworkAcls ?? []).map((nacl) => nacl.NetworkAclId ?? ""));
    }
    // Default NACL + naclId + 11 extra.
    expect(ids).toHaveLength(13);
    expect(pageCount).toBe(3);
    const bySubnet = await client().send(
      new DescribeNetworkAclsCommand({ Filters: [{ Name: "association.subnet-id", Values: [subnetId] }] }),
    );
    expect(bySubnet.NetworkAcls?.map((nacl) => nacl.NetworkAclId)).toEqual([naclId]);
  });

  it("describes instances and subnets", async () => {
    const instances = await client().send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    expect(instances.Reservations?.[0]?.Instances?.[0]).toMatchObject({
      InstanceId: instanceId,
      SubnetId: subnetId,
      VpcId: vpcId,
      State: { Code: 16, Name: "running" },
    });
    const subnets = await client().send(
      new DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }] }),
    );
    expect(subnets.Subnets).toEqual([
      expect.objectContaining({ SubnetId: subnetId, CidrBlock: "10.0.1.0/24", State: "available" }),
    ]);
    const missing = new DescribeInstancesCommand({ InstanceIds: ["i-00000000000000bad"] });
    expect((await errorOf(client().send(missing))).name).toBe("InvalidInstanceID.NotFound");
  });

  it("describes VPCs with their IPv4 and IPv6 blocks and association states", async () => {
    const answer = await client().send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
    expect(answer.Vpcs).toEqual([
      expect.objectContaining({
        VpcId: vpcId,
        CidrBlock: "10.0.0.0/16",
        State: "available",
        CidrBlockAssociationSet: [
          expect.objectContaining({ CidrBlock: "10.0.0.0/16", CidrBlockState: { State: "associated" } }),
        ],
        Ipv6CidrBlockAssociationSet: [
          expect.objectContaining({
            Ipv6CidrBlock: "2600:1f18:aaaa::/56",
            Ipv6CidrBlockState: { State: "associated" },
          }),
        ],
      }),
    ]);
    const missing = new DescribeVpcsCommand({ VpcIds: ["vpc-00000000000000bad"] });
    expect((await errorOf(client().send(missing))).name).toBe("InvalidVpcID.NotFound");
  });

  it("is found through AWS_ENDPOINT_URL_EC2, as the Lambdas find it", async () => {
    const saved = process.env.AWS_ENDPOINT_URL_EC2;
    process.env.AWS_ENDPOINT_URL_EC2 = endpoint.url;
    try {
      const ec2 = new EC2Client({ region: "us-east-1", credentials });
      const answer = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
      expect(answer.Subnets?.[0]?.SubnetId).toBe(subnetId);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_EC2;
      else process.env.AWS_ENDPOINT_URL_EC2 = saved;
    }
  });

  it("runs the NACL enforcer end to end: add, idempotent add, conflict, full, remove", async () => {
    const enforcer = new Ec2NaclEnforcer(client(), { reservedRuleRange: { first: 1, last: 99 } });
    expect(await enforcer.addDeny({ naclId, ruleNumber: 1, cidr: "203.0.113.9/32" })).toEqual({
      status: "added",
    });
    expect(await enforcer.addDeny({ naclId, ruleNumber: 1, cidr: "203.0.113.9/32" })).toEqual({
      status: "exists",
    });
    expect((await enforcer.addDeny({ naclId, ruleNumber: 1, cidr: "203.0.113.10/32" })).status).toBe(
      "conflict",
    );
    for (let rule = 2; rule <= 18; rule += 1)
      await enforcer.addDeny({ naclId, ruleNumber: rule, cidr: `198.51.100.${rule}/32` });
    expect(await enforcer.addDeny({ naclId, ruleNumber: 19, cidr: "198.51.100.19/32" })).toEqual({
      status: "full",
    });
    expect(await enforcer.removeEntry(naclId, 1)).toEqual({ status: "removed" });
    expect((await enforcer.readEntries(naclId)).map((rule) => rule.ruleNumber)).not.toContain(1);
  });
});
