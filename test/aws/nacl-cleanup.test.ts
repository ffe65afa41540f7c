import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { NetworkAclEntry } from "@aws-sdk/client-ec2";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { removeOwnedEntries } from "../../lambda/aws/nacl-cleanup";
import { SlotLeases } from "../../lambda/aws/slot-leases";
import { createDocumentClient } from "../../lambda/aws/store";
import {
  answerCustomResource,
  CUSTOM_RESOURCE_ID,
  sendCustomResourceResponse,
} from "../../lambda/handlers/custom-resource";
import { respond } from "../../lambda/handlers/respond";
import type { Runtime } from "../../lambda/handlers/runtime";
import { useDynalite } from "../support/dynalite";
import { attackLines, createWorld, logsEvent, T0, type World } from "../support/runtime-world";

const db = useDynalite();
let world: World;
afterEach(() => world?.restore());

const ATTACKERS = ["203.0.113.9", "198.51.100.20", "2001:db8:dead::7"];

/** The runtime bans ATTACKERS the way the responder does: into every NACL of the VPC. */
async function banAttackers(): Promise<Runtime> {
  world = await createWorld(db);
  const { runtime } = world.runtime();
  await respond(runtime, logsEvent(attackLines(ATTACKERS, 5), { logStream: world.instanceId }), T0);
  return runtime;
}

function inRangeEntries(naclId: string) {
  const { first, last } = world.config.nacl.reservedRuleRange;
  return world.model
    .entriesOf(naclId)
    .filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) >= first && (entry.RuleNumber ?? 0) <= last);
}

function cleanup(runtime: Runtime) {
  return removeOwnedEntries({
    leases: runtime.leases,
    enforcer: runtime.enforcer,
    reservedRuleRange: runtime.config.nacl.reservedRuleRange,
  });
}

function cfnEvent(requestType: "Create" | "Update" | "Delete"): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:cleanup",
    ResponseURL: "https://cloudformation-custom-resource-response.example/x",
    StackId: "arn:aws:cloudformation:us-east-1:123456789012:stack/cloudjail/1",
    RequestId: "request-1",
    LogicalResourceId: "NaclCleanup",
    ResourceType: "Custom::CloudjailNaclCleanup",
    ResourceProperties: { ServiceToken: "arn:aws:lambda:us-east-1:123456789012:function:cleanup" },
  };
  if (requestType === "Create") return { ...common, RequestType: "Create" };
  if (requestType === "Update")
    return {
      ...common,
      RequestType: "Update",
      PhysicalResourceId: CUSTOM_RESOURCE_ID,
      OldResourceProperties: common.ResourceProperties,
    };
  return { ...common, RequestType: "Delete", PhysicalResourceId: CUSTOM_RESOURCE_ID };
}

describe("removing cloudjail's NACL entries on stack deletion", () => {
  it("removes every entry the runtime placed, in every NACL, and nothing else", async () => {
    const runtime = await banAttackers();
    const [defaultNacl, customNacl] = world.naclIds;
    for (const naclId of world.naclIds) expect(inRangeEntries(naclId)).toHaveLength(ATTACKERS.length);
    // The user's own rules afterwards: a deny and an allow inside the reserved range, an egress deny on a number
    // cloudjail leased, for the very address it leased it for.
    const leased = (await runtime.leases.list(customNacl))[0];
    const userRules = [
      { RuleNumber: 90, Egress: false, RuleAction: "deny", Protocol: "-1", CidrBlock: "192.0.2.0/24" },
      {
        RuleNumber: 91,
        Egress: false,
        RuleAction: "allow",
        Protocol: "6",
        CidrBlock: "10.0.0.0/8",
        PortRange: { From: 443, To: 443 },
      },
      {
        RuleNumber: leased?.ruleNumber,
        Egress: true,
        RuleAction: "deny",
        Protocol: "-1",
        CidrBlock: leased?.cidr,
      },
    ] as const;
    for (const rule of userRules) world.model.createNetworkAclEntry({ NetworkAclId: customNacl, ...rule });
    const leasedNumbers = new Map<string, Set<number>>();
    for (const naclId of world.naclIds) {
      leasedNumbers.set(
        naclId,
        new Set((await runtime.leases.list(naclId)).map((lease) => lease.ruleNumber)),
      );
    }
    const cloudjails = (naclId: string, entry: NetworkAclEntry) =>
      !entry.Egress && (leasedNumbers.get(naclId)?.has(entry.RuleNumber ?? 0) ?? false);
    const expected = world.naclIds.map((naclId) =>
      world.model.entriesOf(naclId).filter((entry) => !cloudjails(naclId, entry)),
    );

    const report = await cleanup(runtime);

    expect(report.removed).toHaveLength(2 * ATTACKERS.length);
    expect(world.naclIds.map((naclId) => world.model.entriesOf(naclId))).toEqual(expected);
    expect(inRangeEntries(defaultNacl)).toEqual([]);
    expect(inRangeEntries(customNacl)).toEqual([
      expect.objectContaining({ RuleNumber: 90, RuleAction: "deny", CidrBlock: "192.0.2.0/24" }),
      expect.objectContaining({ RuleNumber: 91, RuleAction: "allow" }),
    ]);
    expect(world.model.entriesOf(customNacl)).toContainEqual(
      expect.objectContaining({ Egress: true, RuleNumber: leased?.ruleNumber }),
    );
    for (const [naclId, entries] of world.userEntries) {
      for (const entry of entries) expect(world.model.entriesOf(naclId)).toContainEqual(entry);
    }
    expect(report.keptInRange).toEqual([
      `${customNacl} rule 90 (deny 192.0.2.0/24)`,
      `${customNacl} rule 91 (allow 10.0.0.0/8)`,
    ]);
  });

  it("keeps a user's rule that took a number cloudjail still holds a lease on, for another address", async () => {
    const runtime = await banAttackers();
    const [, customNacl] = world.naclIds;
    const lease = (await runtime.leases.list(customNacl))[0];
    if (lease === undefined) throw new Error("the ban placed no entry");
    world.model.deleteNetworkAclEntry({
      NetworkAclId: customNacl,
      RuleNumber: lease.ruleNumber,
      Egress: false,
    });
    const userRule = {
      RuleNumber: lease.ruleNumber,
      Egress: false,
      RuleAction: "deny",
      Protocol: "-1",
      CidrBlock: "192.0.2.77/32",
    } as const;
    world.model.createNetworkAclEntry({ NetworkAclId: customNacl, ...userRule });

    await cleanup(runtime);

    expect(inRangeEntries(customNacl)).toEqual([expect.objectContaining(userRule)]);
  });

  it("is idempotent: a second run finds nothing to remove and fails on nothing", async () => {
    const runtime = await banAttackers();
    await cleanup(runtime);
    const after = world.naclIds.map((naclId) => world.model.entriesOf(naclId));

    const again = await cleanup(runtime);

    expect(again.removed).toEqual([]);
    expect(world.naclIds.map((naclId) => world.model.entriesOf(naclId))).toEqual(after);
  });

  it("survives a NACL that is gone: the others are still cleaned", async () => {
    const runtime = await banAttackers();
    await runtime.leases.acquire({
      naclId: "acl-0000000000000dead",
      ruleNumber: 1,
      ip: "203.0.113.9",
      cidr: "203.0.113.9/32",
      family: "ipv4",
      banId: "gone",
      now: T0,
    });

    const report = await cleanup(runtime);

    expect(report.missingNacls).toEqual(["acl-0000000000000dead"]);
    for (const naclId of world.naclIds) expect(inRangeEntries(naclId)).toEqual([]);
  });

  it("survives a missing table, touching no entry (nothing tells cloudjail's entries apart)", async () => {
    const runtime = await banAttackers();
    const before = world.naclIds.map((naclId) => world.model.entriesOf(naclId));
    const leases = new SlotLeases(createDocumentClient(world.runtime().dynamodb), "no-such-table");

    const report = await removeOwnedEntries({
      leases,
      enforcer: runtime.enforcer,
      reservedRuleRange: runtime.config.nacl.reservedRuleRange,
    });

    expect(report.tableMissing).toBe(true);
    expect(world.naclIds.map((naclId) => world.model.entriesOf(naclId))).toEqual(before);
  });
});

describe("the custom resource's answers to CloudFormation", () => {
  it("does nothing on Create and Update, and keeps one physical id so that an Update never becomes a Delete", async () => {
    const runtime = await banAttackers();
    const before = world.naclIds.map((naclId) => world.model.entriesOf(naclId));
    for (const type of ["Create", "Update"] as const) {
      const answer = await answerCustomResource(cfnEvent(type), async () => {
        await cleanup(runtime);
        return "cleaned";
      });
      expect(answer).toMatchObject({ Status: "SUCCESS", PhysicalResourceId: CUSTOM_RESOURCE_ID });
    }
    expect(world.naclIds.map((naclId) => world.model.entriesOf(naclId))).toEqual(before);
  });

  it("runs the clean-up on Delete and answers SUCCESS with what it did", async () => {
    const runtime = await banAttackers();
    const answer = await answerCustomResource(cfnEvent("Delete"), async () => {
      const report = await cleanup(runtime);
      return `removed ${report.removed.length}`;
    });
    expect(answer).toEqual({
      Status: "SUCCESS",
      Reason: "removed 6",
      PhysicalResourceId: CUSTOM_RESOURCE_ID,
      StackId: cfnEvent("Delete").StackId,
      RequestId: "request-1",
      LogicalResourceId: "NaclCleanup",
    });
    for (const naclId of world.naclIds) expect(inRangeEntries(naclId)).toEqual([]);
  });

  it("answers FAILED with the error when the clean-up fails, instead of leaving CloudFormation waiting", async () => {
    const answer = await answerCustomResource(cfnEvent("Delete"), async () => {
      throw Object.assign(new Error("not allowed to delete acl-1 entries"), {
        name: "UnauthorizedOperation",
      });
    });
    expect(answer).toMatchObject({
      Status: "FAILED",
      Reason: "UnauthorizedOperation: not allowed to delete acl-1 entries",
    });
  });

  it("PUTs the answer to the pre-signed URL as JSON with an empty content type", async () => {
    const received: { method?: string; contentType?: string; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        received.push({ method: request.method, contentType: request.headers["content-type"], body });
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await answerCustomResource(cfnEvent("Create"), async () => "");
      await sendCustomResourceResponse(`http://127.0.0.1:${port}/signed?X-Amz-Signature=abc`, answer);
      expect(received).toEqual([{ method: "PUT", contentType: "", body: JSON.stringify(answer) }]);
    } finally {
      server.close();
    }
  });
});
