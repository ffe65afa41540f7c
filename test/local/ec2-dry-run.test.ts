import { CreateNetworkAclEntryCommand, DeleteNetworkAclEntryCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Ec2Endpoint, startEc2Endpoint } from "../../bin/local/ec2-endpoint";
import { NaclModel } from "../../bin/local/nacl-model";
import { LOCAL_CREDENTIALS } from "../support/dynalite";

let model: NaclModel;
let endpoint: Ec2Endpoint;
let client: EC2Client;
let allowed: string;
let denied: string;

beforeAll(async () => {
  model = new NaclModel();
  const vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16" });
  allowed = model.addNacl({ vpcId });
  denied = model.addNacl({ vpcId });
  // The caller may write to one NACL only, as a policy scoped to that NACL's ARN would allow.
  endpoint = await startEc2Endpoint(model, {
    authorize: ({ action, naclId }) => !action.endsWith("NetworkAclEntry") || naclId === allowed,
  });
  client = new EC2Client({
    region: "us-east-1",
    credentials: LOCAL_CREDENTIALS,
    endpoint: endpoint.url,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await endpoint.close();
});

const entry = (naclId: string, DryRun?: boolean) =>
  new CreateNetworkAclEntryCommand({
    NetworkAclId: naclId,
    RuleNumber: 1,
    Protocol: "-1",
    RuleAction: "deny",
    Egress: false,
    CidrBlock: "192.0.2.0/32",
    ...(DryRun === undefined ? {} : { DryRun }),
  });
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => [
      error.name,
      error.$metadata?.httpStatusCode,
    ],
  );

describe("the local EC2 endpoint with DryRun", () => {
  it("answers DryRunOperation when the call would succeed, and changes nothing", async () => {
    const before = model.entriesOf(allowed);
    expect(await errorOf(client.send(entry(allowed, true)))).toEqual(["DryRunOperation", 412]);
    expect(model.entriesOf(allowed)).toEqual(before);
    expect(model.calls.CreateNetworkAclEntry).toBe(0);
  });

  it("answers UnauthorizedOperation when the caller lacks the right, with DryRun or without", async () => {
    expect(await errorOf(client.send(entry(denied, true)))).toEqual(["UnauthorizedOperation", 403]);
    expect(await errorOf(client.send(entry(denied)))).toEqual(["UnauthorizedOperation", 403]);
    expect(model.entriesOf(denied).filter((each) => each.RuleNumber === 1)).toEqual([]);
  });

  it("refuses a DryRun on a NACL that does not exist, as the real call would", async () => {
    const endpointAll = await startEc2Endpoint(model);
    const open = new EC2Client({
      region: "us-east-1",
      credentials: LOCAL_CREDENTIALS,
      endpoint: endpointAll.url,
    });
    try {
      expect(await errorOf(open.send(entry("acl-0000000000000dead", true)))).toEqual([
        "InvalidNetworkAclID.NotFound",
        400,
      ]);
      expect(
        await errorOf(
          open.send(
            new DeleteNetworkAclEntryCommand({
              NetworkAclId: allowed,
              RuleNumber: 1,
              Egress: false,
              DryRun: true,
            }),
          ),
        ),
      ).toEqual(["DryRunOperation", 412]);
    } finally {
      open.destroy();
      await endpointAll.close();
    }
  });

  it("still writes for real without DryRun when the caller has the right", async () => {
    await client.send(entry(allowed));
    expect(model.entriesOf(allowed).find((each) => each.RuleNumber === 1)?.CidrBlock).toBe("192.0.2.0/32");
  });
});
