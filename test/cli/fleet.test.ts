import { CloudWatchLogsClient, DescribeLogStreamsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeInstanceAssociationsStatusCommand,
  DescribeInstanceInformationCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { registerFleet } from "../../bin/cli/fleet";
import type { DeployedStack } from "../../bin/cli/stack";
import { FleetInstances } from "../../lambda/aws/fleet-instances";
import { LogStreamActivity } from "../../lambda/aws/log-stream-activity";
import { watchFleet } from "../../lambda/handlers/watch-fleet";
import { type OperatorWorld, runCommand, startOperatorWorld } from "./support/operator-harness";
import { repoConfig } from "./support/stack-config";

/**
 * `cloudjail fleet` against the local EC2 endpoint (instances, subnets, NACLs of the NACL model), with CloudWatch
 * Logs and SSM behind aws-sdk-client-mock.
 */
const now = Date.UTC(2026, 11, 7, 12, 0, 0);
const minute = 60_000;
const hour = 60 * minute;
const PROFILE = "arn:aws:iam::123456789012:instance-profile/web";
const AUTH_GROUP = "/cloudjail/Cloudjail/auth";
const EXISTING_GROUP = "/existing/secure";

const logs = mockClient(CloudWatchLogsClient);
const ssm = mockClient(SSMClient);
let world: OperatorWorld;
let stack: Omit<DeployedStack, "stackName">;
const id = {} as Record<"web1" | "web2" | "db1" | "batch1" | "new1" | "journal1" | "outside", string>;
let nacl: { default: string; custom: string };
let subnet: { a: string; b: string };

beforeAll(async () => {
  world = await startOperatorWorld();
  const { model } = world;
  const vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16" });
  nacl = { default: model.defaultNaclOf(vpcId), custom: model.addNacl({ vpcId }) };
  subnet = {
    a: model.addSubnet({ vpcId, cidrBlock: "10.0.1.0/24" }),
    b: model.addSubnet({ vpcId, cidrBlock: "10.0.2.0/24", naclId: nacl.custom }),
  };
  const longAgo = new Date(now - 30 * 24 * hour);
  const add = (name: string, subnetId: string, extra: Record<string, unknown> = {}) =>
    model.addInstance({ subnetId, name, launchTime: longAgo, instanceProfileArn: PROFILE, ...extra });
  id.web1 = add("web-1", subnet.a);
  id.web2 = add("web-2", subnet.a);
  id.db1 = add("db-1", subnet.b, { instanceProfileArn: undefined });
  id.batch1 = add("batch-1", subnet.b, { state: "stopped" });
  id.new1 = add("new-1", subnet.a, { launchTime: new Date(now - hour) });
  id.journal1 = add("journal-1", subnet.b);
  const elsewhere = model.addVpc({ cidrBlock: "10.9.0.0/16" });
  id.outside = model.addInstance({
    subnetId: model.addSubnet({ vpcId: elsewhere, cidrBlock: "10.9.1.0/24" }),
  });
  await world.db.createTable("fleet");
  stack = {
    tableName: "fleet",
    config: repoConfig({ vpcIds: [vpcId] }),
    subscribedLogGroups: [AUTH_GROUP, EXISTING_GROUP],
    resources: [
      { logicalId: "CloudjailAgentConfigure", type: "AWS::SSM::Association", physicalId: "assoc-configure" },
    ],
  };
});
afterAll(() => world.stop());
afterEach(() => {
  logs.reset();
  ssm.reset();
});

/** What CloudWatch Logs and SSM answer for the fleet above. */
function arrange(): void {
  logs.on(DescribeLogStreamsCommand, { logGroupName: AUTH_GROUP }).resolves({
    logStreams: [
      { logStreamName: id.web1, lastEventTimestamp: now - 10 * minute },
      { logStreamName: id.web2, lastEventTimestamp: now - 30 * hour },
      { logStreamName: id.batch1, lastEventTimestamp: now - 20 * 24 * hour },
      { logStreamName: id.outside, lastEventTimestamp: now - 40 * hour },
    ],
  });
  logs.on(DescribeLogStreamsCommand, { logGroupName: EXISTING_GROUP }).resolves({
    logStreams: [{ logStreamName: `${id.journal1}/journal`, lastEventTimestamp: now - 3 * hour }],
  });
  ssm.on(DescribeInstanceInformationCommand).callsFake((input) => ({
    InstanceInformationList: [id.web1, id.web2, id.new1, id.journal1]
      .filter((each) => input.Filters?.[0]?.Values?.includes(each))
      .map((InstanceId) => ({
        InstanceId,
        PingStatus: "Online",
        AgentVersion: "3.3.1",
        PlatformName: "Amazon Linux",
      })),
  }));
  const association = (Status: string, extra: Record<string, unknown> = {}) => ({
    InstanceAssociationStatusInfos: [
      {
        AssociationId: "assoc-configure",
        Name: "AmazonCloudWatch-ManageAgent",
        Status,
        ExecutionDate: new Date(now - 20 * minute),
        ...extra,
      },
      // Another association of the account: not the agent's, not shown.
      { AssociationId: "assoc-patching", Name: "AWS-RunPatchBaseline", Status: "Failed" },
    ],
  });
  ssm.on(DescribeInstanceAssociationsStatusCommand).resolves(association("Success"));
  ssm
    .on(DescribeInstanceAssociationsStatusCommand, { InstanceId: id.web2 })
    .resolves(
      association("Failed", { DetailedStatus: "Failed to fetch config ssm:AmazonCloudWatch-cloudjail" }),
    );
  ssm.on(DescribeInstanceAssociationsStatusCommand, { InstanceId: id.new1 }).resolves(association("Pending"));
}

const run = (args: string[], deployed = stack) => runCommand(world, [registerFleet], deployed, args, now);

describe("cloudjail fleet", () => {
  it("lists every instance of the protected network with SSM, association, last event and NACL, silent ones marked", async () => {
    arrange();
    const result = await run(["fleet"]);
    expect(result.exitCode).toBe(0);
    const [table = ""] = result.output.split("\n\n");
    const rows = table.split("\n").slice(2).filter(Boolean);
    const row = (instanceId: string) => rows.find((line) => line.includes(instanceId)) ?? "";
    expect(rows).toHaveLength(6);
    expect(result.output).not.toContain(id.outside);
    expect(row(id.web1)).toMatch(
      new RegExp(
        `^ +${id.web1} +web-1 +running +${subnet.a} +${nacl.default} +Online +Success 2026-12-07 11:40:00Z +10m ago +ok$`,
      ),
    );
    expect(row(id.web2)).toMatch(
      new RegExp(`^! +${id.web2} +web-2 .* Failed 2026-12-07 11:40:00Z +1d6h ago +SILENT$`),
    );
    expect(row(id.db1)).toMatch(
      new RegExp(
        `^! +${id.db1} +db-1 +running +${subnet.b} +${nacl.custom} +not managed +- +never +NEVER SHIPPED$`,
      ),
    );
    expect(row(id.batch1)).toMatch(/ stopped .* 20d ago +-$/);
    expect(row(id.new1)).toMatch(/ Pending .* never +starting$/);
    expect(row(id.journal1)).toMatch(/ 3h ago +ok$/);
    expect(result.output).toContain(
      [
        "5 running, 2 shipping, 2 silent for more than 1d:",
        `  ! ${id.web2} (web-2): the agent association failed: AmazonCloudWatch-ManageAgent: Failed to fetch config ssm:AmazonCloudWatch-cloudjail`,
        `  ! ${id.db1} (db-1): no instance profile: attach a role with AmazonSSMManagedInstanceCore and cloudjail's log-shipping rights`,
        `    ${id.new1} (new-1) started recently and has shipped nothing yet: the agent association has not run yet`,
      ].join("\n"),
    );
  });

  it("calls the same instances silent as the fleet watcher's metric does", async () => {
    arrange();
    const json = JSON.parse((await run(["fleet", "--json"])).output);
    const clients = world.clients();
    try {
      const watched = await watchFleet(
        {
          instances: new FleetInstances(clients.ec2, stack.config.nacl),
          activity: new LogStreamActivity(clients.logs),
          logGroupNames: [AUTH_GROUP, EXISTING_GROUP],
          silentAfterSeconds: 86_400,
          metrics: { addMetric: () => {}, publishStoredMetrics: () => {} } as never,
          logger: { warn: () => {} } as never,
        },
        now,
      );
      expect(json.silent).toEqual([id.web2, id.db1].sort());
      expect(watched).toEqual({ running: json.running, silent: json.silent });
    } finally {
      clients.destroy();
    }
  });

  it("takes the stack's fleet-watch threshold, or --silent-after", async () => {
    arrange();
    const strict = await run(["fleet", "--json"], { ...stack, silentAfterSeconds: 7_200 });
    expect(JSON.parse(strict.output).silent).toEqual([id.web2, id.db1, id.journal1].sort());
    const lenient = await run(["fleet", "--json", "--silent-after", "2d"], {
      ...stack,
      silentAfterSeconds: 7_200,
    });
    expect(JSON.parse(lenient.output)).toMatchObject({ silentAfterSeconds: 172_800, silent: [id.db1] });
  });

  it("gives scripts each instance with ISO times", async () => {
    arrange();
    const json = JSON.parse((await run(["fleet", "--json"])).output);
    expect(json.instances.find((each: { instanceId: string }) => each.instanceId === id.web1)).toEqual({
      instanceId: id.web1,
      name: "web-1",
      state: "running",
      subnetId: subnet.a,
      naclId: nacl.default,
      ssm: "Online",
      association: { status: "Success", ranAt: "2026-12-07T11:40:00.000Z" },
      lastEventAt: "2026-12-07T11:50:00.000Z",
      shipping: "shipping",
    });
  });

  it("exits 2 on a threshold below two hours and 1 when CloudWatch Logs fails", async () => {
    arrange();
    const short = await run(["fleet", "--silent-after", "30m"]);
    expect([short.exitCode, short.error?.message]).toEqual([
      2,
      '--silent-after "30m" is below 2h: CloudWatch Logs reports a stream\'s last event up to an hour late',
    ]);
    logs.on(DescribeLogStreamsCommand, { logGroupName: EXISTING_GROUP }).rejects(
      Object.assign(new Error("The specified log group does not exist."), {
        name: "ResourceNotFoundException",
      }),
    );
    const missing = await run(["fleet"]);
    expect([missing.exitCode, missing.error?.message]).toEqual([
      1,
      "The specified log group does not exist.",
    ]);
  });
});
