import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client, type NetworkAclEntry } from "@aws-sdk/client-ec2";
import { vi } from "vitest";
import { ec2ModelRequestHandler } from "../../bin/local/ec2-request-handler";
import { NaclModel } from "../../bin/local/nacl-model";
import type { BanNotice } from "../../lambda/aws/notifier";
import type { IpRecord } from "../../lambda/aws/store-items";
import { DEFAULT_NACL_SETTINGS } from "../../lambda/core/config";
import { parseLogLine } from "../../lambda/core/log-line-parser";
import { StampClock } from "../../lambda/core/stamp-clock";
import type { CloudjailConfig, JailConfig, NaclSettings } from "../../lambda/core/types";
import { encodeLogsEvent, type LogsSubscriptionEvent } from "../../lambda/handlers/decode";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../lambda/handlers/runtime";
import { LOCAL_CREDENTIALS, type TestDynamo } from "./dynalite";
import { sshdJail } from "./jails";
import { testRetryStrategy } from "./sdk-retry";

/** 2026-11-25T12:00:00Z: the time every test starts at. */
export const T0 = Date.parse("2026-11-25T12:00:00Z");

/** What a test runtime's Powertools Logger and Metrics received, and the notices it sent. */
export interface Recorder {
  readonly metrics: Map<string, number[]>;
  readonly logs: { level: string; message: string; fields: Record<string, unknown> }[];
  readonly notices: BanNotice[];
  /** DynamoDB requests by operation name. */
  readonly dynamoRequests: Map<string, number>;
  metricSum(name: string): number;
  logsWith(message: string): Record<string, unknown>[];
}

/** One simulated account: a table in dynalite, a VPC in the NACL model, and runtimes ("Lambda containers"). */
export interface World {
  readonly model: NaclModel;
  readonly vpcId: string;
  /** The VPC's default NACL (user rule 100 allow all, `*` deny) and a second custom NACL. */
  readonly naclIds: readonly [string, string];
  /** An instance in a subnet of the second NACL; log streams are named after it. */
  readonly instanceId: string;
  readonly config: CloudjailConfig;
  readonly tableName: string;
  /** Ingress user entries (outside the reserved range) as they were at the start. */
  readonly userEntries: ReadonlyMap<string, readonly NetworkAclEntry[]>;
  /**
   * A fresh runtime, as a new Lambda container would build it. Its EC2 client reaches the model through the SDK's
   * whole stack (ec2ModelRequestHandler), retried by the SDK's adaptive strategy (8 attempts, no waits).
   */
  runtime(options?: RuntimeOptions): { runtime: Runtime; recorder: Recorder; dynamodb: DynamoDBClient };
  /** Ends the world; nothing global to undo any more (kept so that tests read the same). */
  restore(): void;
}

export interface WorldOptions {
  readonly jails?: readonly JailConfig[];
  readonly nacl?: Partial<NaclSettings>;
  readonly quota?: number;
  readonly topicArn?: string;
  /** Manage only the custom NACL (by id, no VPC lookup) instead of every NACL of the VPC. */
  readonly onlyCustomNacl?: boolean;
}

let tables = 0;

/** Builds a world on a running dynalite; call `restore()` in afterEach. */
export async function createWorld(db: TestDynamo, options: WorldOptions = {}): Promise<World> {
  const tableName = `world-${process.pid}-${++tables}`;
  await db.createTable(tableName);
  const quota = options.quota ?? 20;
  const model = new NaclModel({ quota });
  const vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16", ipv6CidrBlock: "2001:db8:1000::/56" });
  const defaultNacl = model.defaultNaclOf(vpcId);
  const customNacl = model.addNacl({
    vpcId,
    entries: [
      {
        RuleNumber: 200,
        Egress: false,
        RuleAction: "allow",
        Protocol: "6",
        CidrBlock: "0.0.0.0/0",
        PortRange: { From: 22, To: 22 },
      },
      { RuleNumber: 210, Egress: false, RuleAction: "allow", Protocol: "-1", Ipv6CidrBlock: "::/0" },
    ],
  });
  const subnetId = model.addSubnet({ vpcId, cidrBlock: "10.0.1.0/24", naclId: customNacl });
  model.addSubnet({ vpcId, cidrBlock: "10.0.2.0/24" });
  const instanceId = model.addInstance({ subnetId, instanceId: "i-0123456789abcdef0" });
  const config: CloudjailConfig = {
    jails: options.jails ?? [sshdJail()],
    nacl: {
      ...DEFAULT_NACL_SETTINGS,
      ...(options.onlyCustomNacl ? { vpcIds: [], naclIds: [customNacl] } : { vpcIds: [vpcId] }),
      quota,
      ...options.nacl,
    },
    ...(options.topicArn === undefined ? {} : { topicArn: options.topicArn }),
  };
  const userEntries = new Map(
    [defaultNacl, customNacl].map((naclId) => [naclId, ownedOutside(model.entriesOf(naclId), config)]),
  );
  return {
    model,
    vpcId,
    naclIds: [defaultNacl, customNacl],
    instanceId,
    config,
    tableName,
    userEntries,
    runtime: (runtimeOptions = {}) => {
      const dynamodb = new DynamoDBClient({
        endpoint: db.endpoint,
        region: "us-east-1",
        credentials: LOCAL_CREDENTIALS,
      });
      const recorder = newRecorder();
      dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          const name = context.commandName ?? "unknown";
          recorder.dynamoRequests.set(name, (recorder.dynamoRequests.get(name) ?? 0) + 1);
          return next(args);
        },
        { step: "initialize", name: "countRequests" },
      );
      const ec2 = new EC2Client({
        region: "us-east-1",
        credentials: LOCAL_CREDENTIALS,
        requestHandler: ec2ModelRequestHandler(model),
        retryStrategy: testRetryStrategy(8).strategy,
      });
      const runtime = createRuntime(
        { tableName, config },
        { dynamodb, ec2 },
        {
          logger: recordingLogger(recorder),
          metrics: recordingMetrics(recorder),
          notifier: { notify: async (notice) => void recorder.notices.push(notice) },
          random: () => 0,
          clock: () => T0,
          ...runtimeOptions,
        },
      );
      return { runtime, recorder, dynamodb };
    },
    restore: () => {},
  };
}

function ownedOutside(entries: readonly NetworkAclEntry[], config: CloudjailConfig): NetworkAclEntry[] {
  const { first, last } = config.nacl.reservedRuleRange;
  return entries.filter(
    (entry) => !entry.Egress && ((entry.RuleNumber ?? 0) < first || (entry.RuleNumber ?? 0) > last),
  );
}

function newRecorder(): Recorder {
  const metrics = new Map<string, number[]>();
  const logs: Recorder["logs"] = [];
  return {
    metrics,
    logs,
    notices: [],
    dynamoRequests: new Map(),
    metricSum: (name) => (metrics.get(name) ?? []).reduce((sum, value) => sum + value, 0),
    logsWith: (message) => logs.filter((log) => log.message === message).map((log) => log.fields),
  };
}

function recordingLogger(recorder: Recorder): Logger {
  const logger = new Logger({ serviceName: "cloudjail-test", logLevel: "SILENT" });
  for (const level of ["debug", "info", "warn", "error"] as const) {
    vi.spyOn(logger, level).mockImplementation((message: unknown, ...extras: unknown[]) => {
      const fields = Object.assign({}, ...extras.filter((extra) => typeof extra === "object")) as Record<
        string,
        unknown
      >;
      recorder.logs.push({ level, message: String(message), fields });
    });
  }
  return logger;
}

function recordingMetrics(recorder: Recorder): Metrics {
  const metrics = new Metrics({ namespace: "Cloudjail", serviceName: "cloudjail-test" });
  vi.spyOn(metrics, "addMetric").mockImplementation((name: string, _unit: unknown, value: number) => {
    const values = recorder.metrics.get(name) ?? [];
    values.push(value);
    recorder.metrics.set(name, values);
    return metrics;
  });
  vi.spyOn(metrics, "publishStoredMetrics").mockImplementation(() => metrics);
  // A single metric (one with dimensions of its own) is recorded as `Name|Dimension=value`.
  vi.spyOn(metrics, "singleMetric").mockImplementation(() => {
    const single = new Metrics({ namespace: "Cloudjail", serviceName: "cloudjail-test" });
    const dimensions: string[] = [];
    vi.spyOn(single, "addDimension").mockImplementation((name: string, value: string) => {
      dimensions.push(`${name}=${value}`);
      return single;
    });
    vi.spyOn(single, "addMetric").mockImplementation((name: string, _unit: unknown, value: number) => {
      const key = [name, ...dimensions].join("|");
      recorder.metrics.set(key, [...(recorder.metrics.get(key) ?? []), value]);
      return single;
    });
    return single;
  });
  return metrics;
}

/** A traditional-syslog sshd "Failed password" line, as /var/log/secure holds it. */
export function failedPassword(ip: string, at: number, pid: number): string {
  const date = new Date(at);
  const month = date.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  const day = String(date.getUTCDate()).padStart(2, " ");
  const time = date.toISOString().slice(11, 19);
  return `${month} ${day} ${time} web-1 sshd[${pid}]: Failed password for root from ${ip} port ${40000 + (pid % 20000)} ssh2`;
}

/** Event `index` of a batch gets a unique, stable id like CloudWatch Logs' (digits only). */
export function eventId(batch: number, index: number): string {
  return `${String(batch).padStart(10, "0")}${String(index).padStart(8, "0")}`;
}

/**
 * A subscription event carrying `lines` from `logStream`, encoded as CloudWatch Logs does. Each event's timestamp
 * is `at` when given, else the time its line's stamp says (read as UTC: an agent reading the line as it is
 * written, as on a UTC host), else T0. The responder places a year-less stamp by its event (stamp-reconcile.ts).
 */
export function logsEvent(
  lines: readonly string[],
  options: { readonly logStream: string; readonly batch?: number; readonly at?: number },
): LogsSubscriptionEvent {
  const stamps = new StampClock(T0);
  const readAt = (message: string) => {
    const line = parseLogLine(message);
    return options.at ?? (line === undefined ? undefined : stamps.timeOf(line)) ?? T0;
  };
  return encodeLogsEvent({
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/cloudjail/auth",
    logStream: options.logStream,
    subscriptionFilters: ["cloudjail"],
    logEvents: lines.map((message, index) => ({
      id: eventId(options.batch ?? 1, index),
      timestamp: readAt(message),
      message,
    })),
  });
}

/**
 * `count` failures of each IP, one per sshd process, a second apart, the last round at `end` (T0): a batch
 * delivered at T0 bans at T0 when its last round reaches maxretry.
 */
export function attackLines(ips: readonly string[], count: number, end = T0): string[] {
  const lines: string[] = [];
  let pid = 1000;
  for (let round = 0; round < count; round++) {
    for (const ip of ips) lines.push(failedPassword(ip, end - (count - 1 - round) * 1000, pid++));
  }
  return lines;
}

/** Every active ban in the table, keyed by IP. */
export async function activeBans(runtime: Runtime): Promise<Map<string, IpRecord>> {
  const bans = new Map<string, IpRecord>();
  for await (const record of runtime.store.activeBans()) bans.set(record.ip, record);
  return bans;
}
