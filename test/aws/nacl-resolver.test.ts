import { EC2Client } from "@aws-sdk/client-ec2";
import type { AwsClientStub } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ec2ModelRequestHandler } from "../../bin/local/ec2-request-handler";
import { NaclModel } from "../../bin/local/nacl-model";
import { NaclResolver, type NaclResolverOptions } from "../../lambda/aws/nacl-resolver";
import { LOCAL_CREDENTIALS } from "../support/dynalite";
import { mockEc2WithNaclModel } from "../support/ec2-nacl-mock";
import { testRetryStrategy } from "../support/sdk-retry";

let model: NaclModel;
let stub: AwsClientStub<EC2Client> | undefined;
let now: number;
const fleet = {
  vpcA: "",
  vpcB: "",
  vpcOther: "",
  naclA: "",
  naclB: "",
  naclOther: "",
  defaultA: "",
  defaultB: "",
  webInstance: "",
  dbInstance: "",
};

beforeEach(() => {
  now = 1_700_000_000_000;
  model = new NaclModel();
  fleet.vpcA = model.addVpc({ cidrBlock: "10.0.0.0/16" });
  fleet.vpcB = model.addVpc({ cidrBlock: "10.1.0.0/16", ipv6CidrBlock: "2600:1f18:bbbb::/56" });
  fleet.vpcOther = model.addVpc({ cidrBlock: "10.2.0.0/16" });
  fleet.naclA = model.addNacl({ vpcId: fleet.vpcA });
  fleet.naclB = model.addNacl({ vpcId: fleet.vpcB });
  fleet.naclOther = model.addNacl({ vpcId: fleet.vpcOther });
  fleet.defaultA = model.defaultNaclOf(fleet.vpcA);
  fleet.defaultB = model.defaultNaclOf(fleet.vpcB);
  const web = model.addSubnet({ vpcId: fleet.vpcA, cidrBlock: "10.0.1.0/24", naclId: fleet.naclA });
  const db = model.addSubnet({ vpcId: fleet.vpcA, cidrBlock: "10.0.2.0/24" });
  fleet.webInstance = model.addInstance({ subnetId: web, instanceId: "i-0a1b2c3d4e5f60001" });
  fleet.dbInstance = model.addInstance({ subnetId: db, instanceId: "i-0a1b2c3d4e5f60002" });
  stub = mockEc2WithNaclModel(model);
});

afterEach(() => {
  stub?.restore();
  stub = undefined;
});

function resolver(settings: NaclResolverOptions["settings"], ttlMs = 60_000) {
  return new NaclResolver(new EC2Client({ region: "us-east-1" }), { settings, now: () => now, ttlMs });
}

/**
 * A client that reaches the model through the SDK's whole stack (the mock of every EC2Client is lifted for the rest
 * of the test), retried by the SDK's adaptive strategy with `maxAttempts`.
 */
function retryingClient(maxAttempts: number): EC2Client {
  stub?.restore();
  stub = undefined;
  const client = new EC2Client({
    region: "us-east-1",
    credentials: LOCAL_CREDENTIALS,
    requestHandler: ec2ModelRequestHandler(model),
    retryStrategy: testRetryStrategy(maxAttempts).strategy,
  });
  return client;
}

describe("NaclResolver, scope vpc", () => {
  it("bans in every NACL of the protected VPCs plus the explicit NACL ids, and nowhere else", async () => {
    const answer = await resolver({
      scope: "vpc",
      vpcIds: [fleet.vpcA, fleet.vpcB],
      naclIds: [fleet.naclOther],
    }).resolve(fleet.webInstance);
    expect(answer.basis).toBe("vpc");
    expect([...answer.naclIds]).toEqual(
      [fleet.naclA, fleet.naclB, fleet.naclOther, fleet.defaultA, fleet.defaultB].sort(),
    );
  });

  it("reuses its answer within the TTL and asks EC2 again after it", async () => {
    const vpcScope = resolver({ scope: "vpc", vpcIds: [fleet.vpcA] });
    await vpcScope.resolve(undefined);
    await vpcScope.resolve(undefined);
    expect(model.calls.DescribeNetworkAcls).toBe(1);
    const added = model.addNacl({ vpcId: fleet.vpcA });
    now += 60_001;
    expect((await vpcScope.resolve(undefined)).naclIds).toContain(added);
    expect(model.calls.DescribeNetworkAcls).toBe(2);
  });

  it("needs no EC2 call when only explicit NACL ids are configured", async () => {
    const answer = await resolver({ scope: "vpc", vpcIds: [], naclIds: [fleet.naclB] }).resolve(undefined);
    expect(answer.naclIds).toEqual([fleet.naclB]);
    expect(model.totalCalls()).toBe(0);
  });
});

describe("NaclResolver, scope subnet", () => {
  it("bans only in the NACL of the attacked instance's subnet, the default NACL included", async () => {
    const subnetScope = resolver({ scope: "subnet", vpcIds: [fleet.vpcA] });
    expect(await subnetScope.resolve(fleet.webInstance)).toEqual({ naclIds: [fleet.naclA], basis: "subnet" });
    expect(await subnetScope.resolve(fleet.dbInstance)).toEqual({
      naclIds: [fleet.defaultA],
      basis: "subnet",
    });
  });

  it("caches instance lookups: a burst against one instance costs two EC2 calls in all", async () => {
    const subnetScope = resolver({ scope: "subnet", vpcIds: [fleet.vpcA] });
    for (let ban = 0; ban < 25; ban += 1) await subnetScope.resolve(fleet.webInstance);
    expect(model.calls.DescribeInstances).toBe(1);
    expect(model.calls.DescribeNetworkAcls).toBe(1);
  });

  it("falls back to every managed NACL for an instance EC2 does not know, never dropping the ban", async () => {
    const subnetScope = resolver({ scope: "subnet", vpcIds: [fleet.vpcA] });
    const answer = await subnetScope.resolve("i-0000000000000dead");
    expect(answer).toEqual({ naclIds: [fleet.naclA, fleet.defaultA].sort(), basis: "fallback" });
  });

  it("falls back without asking EC2 about a log stream that is not an instance id", async () => {
    const subnetScope = resolver({ scope: "subnet", vpcIds: [fleet.vpcA] });
    expect((await subnetScope.resolve("web-01/auth.log")).basis).toBe("fallback");
    expect(model.calls.DescribeInstances).toBe(0);
  });

  it("has a throttled lookup retried by the SDK, and counts its attempts", async () => {
    model.throttleNext(2);
    const subnetScope = new NaclResolver(retryingClient(6), {
      settings: { scope: "subnet", vpcIds: [fleet.vpcA] },
      now: () => now,
    });
    expect((await subnetScope.resolve(fleet.webInstance)).naclIds).toEqual([fleet.naclA]);
    expect(subnetScope.calls).toBe(4);
    expect(model.totalCalls()).toBe(4);
  });
});

describe("NaclResolver, CIDR blocks of the protected VPCs", () => {
  it("finds the blocks of the configured VPCs and of the VPCs of the explicit NACL ids, and no others", async () => {
    const cidrs = await resolver({ scope: "vpc", vpcIds: [fleet.vpcB], naclIds: [fleet.naclA] }).vpcCidrs();
    expect(cidrs).toEqual(["10.0.0.0/16", "10.1.0.0/16", "2600:1f18:bbbb::/56"]);
  });

  it("leaves out blocks that are no longer associated and keeps secondary and IPv6 blocks", async () => {
    const grown = model.addVpc({
      cidrBlock: "10.3.0.0/16",
      secondaryCidrBlocks: ["100.64.0.0/16", "100.65.0.0/16"],
      ipv6CidrBlock: "2600:1f18:cccc::/56",
    });
    model.disassociateCidrBlock(grown, "100.65.0.0/16");
    expect(await resolver({ scope: "vpc", vpcIds: [grown] }).vpcCidrs()).toEqual([
      "10.3.0.0/16",
      "100.64.0.0/16",
      "2600:1f18:cccc::/56",
    ]);
  });

  it("reuses the NACL listing: an explicit NACL inside a configured VPC costs no describe of its own", async () => {
    const vpcScope = resolver({ scope: "vpc", vpcIds: [fleet.vpcA], naclIds: [fleet.naclA] });
    await vpcScope.managedNacls();
    expect(await vpcScope.vpcCidrs()).toEqual(["10.0.0.0/16"]);
    expect(model.calls.DescribeNetworkAcls).toBe(1);
    expect(model.calls.DescribeVpcs).toBe(1);
  });

  it("reuses its answer within the TTL and asks EC2 again after it", async () => {
    const vpcScope = resolver({ scope: "vpc", vpcIds: [], naclIds: [fleet.naclB] });
    await vpcScope.vpcCidrs();
    const calls = model.totalCalls();
    expect(await vpcScope.vpcCidrs()).toEqual(["10.1.0.0/16", "2600:1f18:bbbb::/56"]);
    expect(model.totalCalls()).toBe(calls);
    now += 60_001;
    await vpcScope.vpcCidrs();
    expect(model.calls.DescribeVpcs).toBe(2);
  });

  it("lets an EC2 error through once the retries are spent, and answers again when EC2 does", async () => {
    const vpcScope = new NaclResolver(retryingClient(3), {
      settings: { scope: "vpc", vpcIds: [fleet.vpcA] },
      now: () => now,
    });
    model.throttleNext(3, ["DescribeVpcs"]);
    await expect(vpcScope.vpcCidrs()).rejects.toMatchObject({ name: "RequestLimitExceeded" });
    expect(model.calls.DescribeVpcs).toBe(3);
    expect(await vpcScope.vpcCidrs()).toEqual(["10.0.0.0/16"]);
  });
});
