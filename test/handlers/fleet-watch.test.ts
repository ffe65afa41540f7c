import { CloudWatchLogsClient, DescribeLogStreamsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Ec2Endpoint, startEc2Endpoint } from "../../bin/local/ec2-endpoint";
import { NaclModel } from "../../bin/local/nacl-model";
import { METRIC, METRICS_NAMESPACE } from "../../lambda/core/telemetry";
import { FLEET_WATCH_ENVIRONMENT } from "../../lambda/handlers/environment";
import { readFleetWatchEnvironment } from "../../lambda/handlers/fleet-watch-environment";

const hour = 3_600_000;
const saved = { ...process.env };
const logs = mockClient(CloudWatchLogsClient);
let model: NaclModel;
let endpoint: Ec2Endpoint;

/**
 * Two protected networks and one that is not: VPC A (by VPC id) with instances that ship, went silent and never
 * shipped; a subnet of VPC B guarded by a NACL named explicitly; VPC C unprotected, whose silent instance is not
 * cloudjail's business.
 */
const world = {} as Record<
  "vpcA" | "vpcB" | "naclB" | "shipping" | "journalOnly" | "silent" | "never" | "guarded" | "outside",
  string
>;

beforeAll(async () => {
  model = new NaclModel();
  world.vpcA = model.addVpc({ cidrBlock: "10.1.0.0/16" });
  const subnetA = model.addSubnet({ vpcId: world.vpcA, cidrBlock: "10.1.1.0/24" });
  world.shipping = model.addInstance({ subnetId: subnetA });
  world.journalOnly = model.addInstance({ subnetId: subnetA });
  world.silent = model.addInstance({ subnetId: subnetA });
  world.never = model.addInstance({ subnetId: subnetA });
  world.vpcB = model.addVpc({ cidrBlock: "10.2.0.0/16" });
  world.naclB = model.addNacl({ vpcId: world.vpcB });
  world.guarded = model.addInstance({
    subnetId: model.addSubnet({ vpcId: world.vpcB, cidrBlock: "10.2.1.0/24", naclId: world.naclB }),
  });
  // Another subnet of VPC B, under its default NACL: not protected.
  model.addInstance({ subnetId: model.addSubnet({ vpcId: world.vpcB, cidrBlock: "10.2.2.0/24" }) });
  const vpcC = model.addVpc({ cidrBlock: "10.3.0.0/16" });
  world.outside = model.addInstance({ subnetId: model.addSubnet({ vpcId: vpcC, cidrBlock: "10.3.1.0/24" }) });
  endpoint = await startEc2Endpoint(model);
});
afterAll(() => endpoint.close());
afterEach(() => {
  process.env = { ...saved };
  logs.reset();
  vi.restoreAllMocks();
  vi.resetModules();
});

describe("the fleet watcher's Lambda entry", () => {
  it("publishes how many protected instances are silent, and names them in its log", async () => {
    const now = Date.now();
    // Two pages: DescribeLogStreams returns at most 50 streams a page.
    logs
      .on(DescribeLogStreamsCommand, { logGroupName: "/cloudjail/Cloudjail/auth" })
      .resolvesOnce({
        logStreams: [
          { logStreamName: world.shipping, lastEventTimestamp: now - hour },
          { logStreamName: `${world.journalOnly}/journal`, lastEventTimestamp: now - 2 * hour },
        ],
        nextToken: "page-2",
      })
      .resolvesOnce({
        logStreams: [
          { logStreamName: world.silent, lastEventTimestamp: now - 30 * hour },
          { logStreamName: world.outside, lastEventTimestamp: now - 90 * hour },
        ],
      });
    logs.on(DescribeLogStreamsCommand, { logGroupName: "/existing/secure" }).resolves({
      logStreams: [{ logStreamName: world.guarded, lastEventTimestamp: now - 3 * hour }],
    });
    Object.assign(process.env, {
      [FLEET_WATCH_ENVIRONMENT.vpcIds]: JSON.stringify([world.vpcA]),
      [FLEET_WATCH_ENVIRONMENT.naclIds]: JSON.stringify([world.naclB]),
      [FLEET_WATCH_ENVIRONMENT.logGroups]: JSON.stringify(["/cloudjail/Cloudjail/auth", "/existing/secure"]),
      [FLEET_WATCH_ENVIRONMENT.silentAfterSeconds]: "86400",
      AWS_ENDPOINT_URL_EC2: endpoint.url,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      POWERTOOLS_DEV: undefined,
      POWERTOOLS_METRICS_DISABLED: undefined,
    });
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    const written: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    };
    vi.spyOn(process.stdout, "write").mockImplementation(capture);
    vi.spyOn(process.stderr, "write").mockImplementation(capture);
    const { handler } = await import("../../lambda/handlers/fleet-watch");
    const summary = await handler({});
    vi.restoreAllMocks();

    expect(summary).toEqual({ running: 5, silent: [world.silent, world.never].sort() });
    const blobs = written
      .flatMap((text) => text.split("\n"))
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    const emf = blobs.find((blob) => blob._aws !== undefined);
    expect(emf?._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS_NAMESPACE);
    expect(emf?.[METRIC.silentInstances]).toBe(2);
    expect(emf?.[METRIC.protectedInstances]).toBe(5);
    expect(emf?.service).toBe("cloudjail");
    expect(blobs.find((blob) => blob.message === "protected instances silent")?.instances).toEqual(
      [world.silent, world.never].sort(),
    );
  });
});

describe("the fleet watcher's environment", () => {
  const env = {
    [FLEET_WATCH_ENVIRONMENT.vpcIds]: '["vpc-0123456789abcdef0"]',
    [FLEET_WATCH_ENVIRONMENT.logGroups]: '["/cloudjail/Cloudjail/auth"]',
    [FLEET_WATCH_ENVIRONMENT.silentAfterSeconds]: "86400",
  };

  it("is read from JSON lists and a number of seconds", () => {
    expect(readFleetWatchEnvironment(env)).toEqual({
      network: { vpcIds: ["vpc-0123456789abcdef0"], naclIds: [] },
      logGroupNames: ["/cloudjail/Cloudjail/auth"],
      silentAfterSeconds: 86_400,
    });
  });

  it("fails the cold start, naming the variable, when a value is missing or wrong", () => {
    expect(() => readFleetWatchEnvironment({ ...env, [FLEET_WATCH_ENVIRONMENT.vpcIds]: "" })).toThrow(
      /CLOUDJAIL_VPC_IDS and CLOUDJAIL_NACL_IDS are both empty/,
    );
    expect(() => readFleetWatchEnvironment({ ...env, [FLEET_WATCH_ENVIRONMENT.logGroups]: "/a" })).toThrow(
      /CLOUDJAIL_LOG_GROUPS is not JSON/,
    );
    expect(() =>
      readFleetWatchEnvironment({ ...env, [FLEET_WATCH_ENVIRONMENT.silentAfterSeconds]: "600" }),
    ).toThrow(/CLOUDJAIL_SILENT_AFTER_SECONDS must be .* at least 7200/);
  });
});
