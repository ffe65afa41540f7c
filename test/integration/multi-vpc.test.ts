import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { ec2ModelRequestHandler } from "../../bin/local/ec2-request-handler";
import { NaclModel } from "../../bin/local/nacl-model";
import { SILENT_NOTIFIER } from "../../lambda/aws/notifier";
import { DEFAULT_NACL_SETTINGS } from "../../lambda/core/config";
import { cidrContains, parseCidr } from "../../lambda/core/ip";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";
import { respondAndAggregate } from "../../lambda/handlers/aggregate";
import { createRuntime } from "../../lambda/handlers/runtime";
import { LOCAL_CREDENTIALS, useDynalite } from "../support/dynalite";
import { sshdJail } from "../support/jails";
import { attackLines, logsEvent, T0 } from "../support/runtime-world";
import { testRetryStrategy } from "../support/sdk-retry";

const db = useDynalite();

const VPCS = [
  { cidrBlock: "10.0.0.0/16", ipv6CidrBlock: "2001:db8:1000::/56" },
  { cidrBlock: "10.1.0.0/16", ipv6CidrBlock: "2001:db8:2000::/56" },
];

describe("one stack protecting several VPCs, IPv4 and IPv6", () => {
  it("blocks every attacker of both families in every NACL of both VPCs, each family within its own quota", async () => {
    const model = new NaclModel({ quota: 20 });
    const vpcIds = VPCS.map((vpc) => model.addVpc(vpc));
    const extraNacl = model.addNacl({ vpcId: vpcIds[1] as string });
    const naclIds = [...vpcIds.map((vpcId) => model.defaultNaclOf(vpcId)), extraNacl];
    await db.createTable("multi-vpc");
    const config = {
      jails: [sshdJail()],
      nacl: {
        ...DEFAULT_NACL_SETTINGS,
        vpcIds,
        aggregation: DEFAULT_AGGREGATION,
        protectedCidrs: VPCS.flatMap((vpc) => [vpc.cidrBlock, vpc.ipv6CidrBlock]),
      },
    };
    const metrics = new Metrics({ namespace: "Cloudjail", serviceName: "test" });
    metrics.publishStoredMetrics = () => metrics;
    const runtime = createRuntime(
      { tableName: "multi-vpc", config },
      {
        dynamodb: new DynamoDBClient({
          endpoint: db.endpoint,
          region: "us-east-1",
          credentials: LOCAL_CREDENTIALS,
        }),
        ec2: new EC2Client({
          region: "us-east-1",
          credentials: LOCAL_CREDENTIALS,
          requestHandler: ec2ModelRequestHandler(model),
          retryStrategy: testRetryStrategy(8).strategy,
        }),
      },
      {
        logger: new Logger({ serviceName: "test", logLevel: "SILENT" }),
        metrics,
        notifier: SILENT_NOTIFIER,
        clock: () => T0,
      },
    );
    // 25 IPv4 /24s (more than 18 entries: the blocks must widen) and 30 IPv6 addresses over 10 /64s.
    const ipv4 = Array.from({ length: 25 }, (_, index) => `198.18.${index}.7`);
    const ipv6 = Array.from(
      { length: 30 },
      (_, index) => `2001:db8:aaaa:${index % 10}::${1 + Math.floor(index / 10)}`,
    );
    await respondAndAggregate(
      runtime,
      logsEvent(attackLines([...ipv4, ...ipv6], 5), { logStream: "i-0123456789abcdef0" }),
      T0,
    );

    for (const naclId of naclIds) {
      const owned = model
        .entriesOf(naclId)
        .filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) >= 1 && (entry.RuleNumber ?? 0) <= 99)
        .map((entry) => parseCidr(entry.CidrBlock ?? entry.Ipv6CidrBlock ?? ""));
      const blocked = (ip: string) => owned.some((block) => cidrContains(block, ip));
      expect(
        [...ipv4, ...ipv6].filter((ip) => !blocked(ip)),
        `${naclId}: every attacker blocked`,
      ).toEqual([]);
      expect(owned.some((block) => block.family === "ipv6" && block.prefix === 64)).toBe(true);
      expect(model.countEntries(naclId, false, "ipv4")).toBeLessThanOrEqual(20);
      expect(model.countEntries(naclId, false, "ipv6")).toBeLessThanOrEqual(20);
      for (const inside of ["10.0.0.5", "10.1.200.1", "2001:db8:1000::5", "2001:db8:2000:ff::1"]) {
        expect(blocked(inside), `${naclId} never blocks the VPC's own ${inside}`).toBe(false);
      }
    }
  }, 60_000);
});
