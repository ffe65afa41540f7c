import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { NetworkFirewallClient } from "@aws-sdk/client-network-firewall";
import { startEc2Endpoint } from "../../bin/local/ec2-endpoint";
import { NaclModel } from "../../bin/local/nacl-model";
import { NetworkFirewallIpSet, PLACEHOLDER } from "../../lambda/aws/network-firewall-ip-set";
import { SILENT_NOTIFIER } from "../../lambda/aws/notifier";
import { DEFAULT_NACL_SETTINGS } from "../../lambda/core/config";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";
import type { CloudjailConfig } from "../../lambda/core/types";
import { createRuntime, type Runtime } from "../../lambda/handlers/runtime";
import { LOCAL_CREDENTIALS, startDynalite } from "../../test/support/dynalite";
import { sshdJail } from "../../test/support/jails";
import { NetworkFirewallModel } from "../../test/support/network-firewall-model";
import { testRetryStrategy } from "../../test/support/sdk-retry";

/** DynamoDB usage seen through the SDK middleware: requests by command, consumed units by kind. */
export interface DynamoUsage {
  readonly requests: Map<string, number>;
  readUnits: number;
  writeUnits: number;
  /** Requests whose response carried no ConsumedCapacity (units then estimated as 1 per item). */
  estimated: number;
}

/** dynalite + the NACL model behind the loopback EC2 endpoint, and runtimes wired to them (as Lambda builds them). */
export interface SimWorld {
  readonly model: NaclModel;
  readonly naclId: string;
  readonly dynamo: DynamoUsage;
  readonly config: CloudjailConfig;
  /** CIDRs the Network Firewall overflow target drops now (empty without one). */
  overflowBlocks(): readonly string[];
  /** Network Firewall API requests (Describe + Update), 0 without one. */
  overflowCalls(): number;
  runtime(): Runtime;
  close(): Promise<void>;
}

const READS = new Set(["GetItemCommand", "BatchGetItemCommand", "QueryCommand", "ScanCommand"]);

/** Builds the world: one VPC (10.0.0.0/16), its default NACL with the given quota, the seed sshd jail. */
export async function createSimWorld(options: {
  quota: number;
  aggregate: boolean;
  /** A Network Firewall rule group as the overflow target (the WAF one blocks only HTTP, not SSH). */
  overflow: boolean;
}): Promise<SimWorld> {
  const db = await startDynalite({ tableName: "attack" });
  const model = new NaclModel({ quota: options.quota });
  const vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16" });
  const endpoint = await startEc2Endpoint(model);
  const dynamo: DynamoUsage = { requests: new Map(), readUnits: 0, writeUnits: 0, estimated: 0 };
  const dynamodb = new DynamoDBClient({
    endpoint: db.endpoint,
    region: "us-east-1",
    credentials: LOCAL_CREDENTIALS,
  });
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? "unknown";
      dynamo.requests.set(name, (dynamo.requests.get(name) ?? 0) + 1);
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = "TOTAL";
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as {
        CapacityUnits?: number;
      }[];
      const units = list.reduce((sum, item) => sum + (item.CapacityUnits ?? 0), 0);
      if (list.length === 0) dynamo.estimated++;
      if (READS.has(name)) dynamo.readUnits += list.length === 0 ? 1 : units;
      else dynamo.writeUnits += list.length === 0 ? 1 : units;
      return result;
    },
    { step: "initialize", name: "countUsage" },
  );
  const ec2 = new EC2Client({
    endpoint: endpoint.url,
    region: "us-east-1",
    credentials: LOCAL_CREDENTIALS,
    // The SDK's adaptive retries, without their waits: the simulation's clock is not the wall clock.
    retryStrategy: testRetryStrategy(8).strategy,
  });
  const config: CloudjailConfig = {
    // The seed article's jail; the simulated attackers never come from loopback.
    jails: [sshdJail({ ignoreip: ["127.0.0.1/8"] })],
    nacl: {
      ...DEFAULT_NACL_SETTINGS,
      vpcIds: [vpcId],
      quota: options.quota,
      protectedCidrs: ["10.0.0.0/16"],
      ...(options.aggregate ? { aggregation: DEFAULT_AGGREGATION } : {}),
    },
  };
  const firewall = options.overflow ? networkFirewall() : undefined;
  const metrics = new Metrics({ namespace: "Cloudjail", serviceName: "attack" });
  metrics.publishStoredMetrics = () => metrics;
  const logger = new Logger({ serviceName: "attack", logLevel: "SILENT" });
  return {
    model,
    naclId: model.defaultNaclOf(vpcId),
    dynamo,
    config,
    overflowBlocks: () =>
      (firewall?.model.ruleGroup.RuleVariables?.IPSets?.[VARIABLE]?.Definition ?? []).filter(
        (cidr) => cidr !== PLACEHOLDER,
      ),
    overflowCalls: () => (firewall ? firewall.model.calls.describe + firewall.model.calls.update : 0),
    runtime: () =>
      createRuntime(
        { tableName: db.tableName, config },
        { dynamodb, ec2 },
        {
          logger,
          metrics,
          notifier: SILENT_NOTIFIER,
          ...(firewall ? { overflow: firewall.target } : {}),
        },
      ),
    close: async () => {
      firewall?.stub.restore();
      dynamodb.destroy();
      ec2.destroy();
      await endpoint.close();
      await db.stop();
    },
  };
}

const VARIABLE = "CLOUDJAIL_BANNED";
const RULE_GROUP = "arn:aws:network-firewall:us-east-1:123456789012:stateful-rulegroup/cloudjail";

/** A Network Firewall rule group (capacity 10,000) dropping `$CLOUDJAIL_BANNED`, behind the SDK stub. */
function networkFirewall() {
  const model = new NetworkFirewallModel(
    RULE_GROUP,
    {
      RuleVariables: { IPSets: { [VARIABLE]: { Definition: [PLACEHOLDER] } } },
      RulesSource: {
        RulesString: `drop ip $${VARIABLE} any -> any any (msg:"cloudjail ban"; sid:1000001; rev:1;)`,
      },
    },
    10_000,
  );
  const stub = model.mock();
  const target = new NetworkFirewallIpSet(
    new NetworkFirewallClient({ region: "us-east-1", credentials: LOCAL_CREDENTIALS }),
    { ruleGroupArn: RULE_GROUP, variable: VARIABLE },
  );
  return { model, stub, target };
}
