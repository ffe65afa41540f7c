import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client, type NetworkAclEntry } from "@aws-sdk/client-ec2";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import { SILENT_NOTIFIER } from "../../lambda/aws/notifier";
import { SDK_RETRY } from "../../lambda/aws/sdk-retry";
import { createDocumentClient } from "../../lambda/aws/store";
import { METRICS_NAMESPACE } from "../../lambda/core/telemetry";
import type { CloudjailConfig } from "../../lambda/core/types";
import { createRuntime, type Runtime } from "../../lambda/handlers/runtime";
import { createCloudjailTable } from "./dynalite";
import { type Ec2Endpoint, startEc2Endpoint } from "./ec2-endpoint";
import { NaclModel } from "./nacl-model";

/**
 * The demo's stand-in for an AWS account, all in this process and on loopback: dynalite (a real DynamoDB API
 * server) holding cloudjail's table, and the NACL model behind the EC2 Query API endpoint, with one VPC, one
 * subnet and the instance whose log is replayed. The responder and unbanner run unchanged on top, through the SDK.
 */
export interface DemoWorld {
  readonly runtime: Runtime;
  /** A document client on the demo's table (for the status view). */
  readonly documents: DynamoDBDocumentClient;
  readonly model: NaclModel;
  readonly vpcId: string;
  readonly naclIds: readonly string[];
  /** The attacked instance: the log stream name the CloudWatch agent would use. */
  readonly instanceId: string;
  /** Where state is kept between runs (`--data`), if anywhere. */
  readonly dataDir: string | undefined;
  /** Saves the NACL entries (with `--data`) and stops the servers. */
  close(): Promise<void>;
}

/** The instance whose log the demo replays (the AWS documentation's example id), in subnet 10.0.1.0/24. */
export const DEMO_INSTANCE_ID = "i-0123456789abcdef0";
const TABLE_NAME = "cloudjail-demo";
const NACL_FILE = "nacl-entries.json";
const REGION = "us-east-1";
/** Loopback servers check no signature; the SDK still wants something to sign with. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * Starts the world; `now` reads the demo's simulated clock (epoch ms). With `dataDir`, dynalite keeps its LevelDB
 * there and the NACL entries are restored from (and saved to) a JSON file beside it, so bans survive between runs
 * as they would in an account.
 */
export async function startDemoWorld(
  config: CloudjailConfig,
  now: () => number,
  dataDir?: string,
): Promise<DemoWorld> {
  const model = new NaclModel({ quota: config.nacl.quota });
  const vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16", ipv6CidrBlock: "2001:db8:1::/56" });
  const subnetId = model.addSubnet({ vpcId, cidrBlock: "10.0.1.0/24" });
  const instanceId = model.addInstance({
    instanceId: DEMO_INSTANCE_ID,
    subnetId,
    privateIpAddress: "10.0.1.23",
  });
  const naclIds = [model.defaultNaclOf(vpcId)];
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    restoreEntries(model, naclIds[0] ?? "", path.join(dataDir, NACL_FILE));
  }

  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dataDir === undefined ? {} : { path: path.join(dataDir, "dynamodb") }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const dynamoEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let ec2: Ec2Endpoint | undefined;
  const dynamodb = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    await createCloudjailTable(dynamodb, TABLE_NAME).catch((error: Error) => {
      if (error.name !== "ResourceInUseException") throw error; // kept from an earlier run (--data)
    });
    await waitUntilActive(dynamodb, TABLE_NAME);
    ec2 = await startEc2Endpoint(model);
  } catch (error) {
    dynamodb.destroy();
    server.close();
    throw error;
  }
  const ec2Client = new EC2Client({
    endpoint: ec2.url,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
    ...SDK_RETRY,
  });
  const demoConfig: CloudjailConfig = { ...config, nacl: { ...config.nacl, vpcIds: [vpcId], naclIds: [] } };
  const runtime = createRuntime(
    { tableName: TABLE_NAME, config: demoConfig },
    { dynamodb, ec2: ec2Client },
    {
      clock: now,
      notifier: SILENT_NOTIFIER,
      // The demo prints its own timeline; the Lambdas' JSON logs and EMF metrics would drown it.
      logger: new Logger({ serviceName: "cloudjail", logLevel: "SILENT" }),
      metrics: silentMetrics(),
    },
  );
  const endpoint = ec2;
  return {
    runtime,
    documents: createDocumentClient(dynamodb),
    model,
    vpcId,
    naclIds,
    instanceId,
    dataDir,
    close: async () => {
      if (dataDir !== undefined) {
        const { first, last } = demoConfig.nacl.reservedRuleRange;
        const ours = model
          .entriesOf(naclIds[0] ?? "")
          .filter((entry) => (entry.RuleNumber ?? 0) >= first && (entry.RuleNumber ?? 0) <= last);
        writeFileSync(path.join(dataDir, NACL_FILE), `${JSON.stringify(ours, null, 2)}\n`);
      }
      dynamodb.destroy();
      ec2Client.destroy();
      await endpoint.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * dynalite answers CreateTable with CREATING and turns the table ACTIVE on a timer; until then every item request
 * is refused. Waiting here also makes sure the ACTIVE state is stored before a `--data` run ends.
 */
async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the demo's table ${tableName} did not become ACTIVE within 10 s`);
}

/** Metrics that count but print nothing: Powertools reads its documented switch when the object is created. */
function silentMetrics(): Metrics {
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  try {
    return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "cloudjail" });
  } finally {
    if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = previous;
  }
}

/** Puts back the entries of cloudjail's reserved range saved by an earlier run. */
function restoreEntries(model: NaclModel, naclId: string, file: string): void {
  if (!existsSync(file)) return;
  const saved = JSON.parse(readFileSync(file, "utf8")) as NetworkAclEntry[];
  const present = new Set(model.entriesOf(naclId).map((entry) => `${entry.Egress}:${entry.RuleNumber}`));
  for (const entry of saved) {
    if (present.has(`${entry.Egress}:${entry.RuleNumber}`)) continue;
    model.createNetworkAclEntry({
      NetworkAclId: naclId,
      RuleNumber: entry.RuleNumber,
      Protocol: entry.Protocol,
      RuleAction: entry.RuleAction,
      Egress: entry.Egress,
      CidrBlock: entry.CidrBlock,
      Ipv6CidrBlock: entry.Ipv6CidrBlock,
      PortRange: entry.PortRange,
    });
  }
}
