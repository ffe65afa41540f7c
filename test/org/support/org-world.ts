import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { vi } from "vitest";
import { type Ec2Endpoint, startEc2Endpoint } from "../../../bin/local/ec2-endpoint";
import { NaclModel } from "../../../bin/local/nacl-model";
import type { BanNotice } from "../../../lambda/aws/notifier";
import { OrgLedger } from "../../../lambda/aws/org-ledger";
import { OrgPublisher } from "../../../lambda/aws/org-publisher";
import { createDocumentClient } from "../../../lambda/aws/store";
import { DEFAULT_NACL_SETTINGS } from "../../../lambda/core/config";
import type { OrgEvent, OrgOrigin } from "../../../lambda/core/org-event";
import type { CloudjailConfig, JailConfig } from "../../../lambda/core/types";
import type { OrgMember } from "../../../lambda/handlers/org-apply";
import { enforceOrgDelivery } from "../../../lambda/handlers/org-enforce";
import { recordOrgEvent } from "../../../lambda/handlers/org-record";
import { createRuntime, type Runtime } from "../../../lambda/handlers/runtime";
import { LOCAL_CREDENTIALS, type TestDynamo } from "../../support/dynalite";
import { sshdJail } from "../../support/jails";
import { testRetryStrategy } from "../../support/sdk-retry";
import type { PolicyDocument } from "./bus-policy";
import { OrgBusStandIn, snsDelivery } from "./org-bus";

/** The organization of the simulated accounts. */
export const ORG_ID = "o-a1b2c3d4e5";

/**
 * The bus policy the central stack writes (test/org/central-stack.test.ts checks that the synthesized one is
 * this): PutEvents for any principal of the organization, nobody else.
 */
export const ORG_BUS_POLICY: PolicyDocument = {
  Statement: [
    {
      Sid: "OrganizationMembersPutCloudjailEvents",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: "events:PutEvents",
      Condition: { StringEquals: { "aws:PrincipalOrgID": ORG_ID } },
    },
  ],
};

/** One simulated member account and region: its own table, NACL model, EC2 endpoint and runtime. */
export interface OrgAccount {
  readonly origin: OrgOrigin;
  readonly model: NaclModel;
  readonly naclId: string;
  readonly instanceId: string;
  readonly config: CloudjailConfig;
  readonly runtime: Runtime;
  readonly member: OrgMember;
  /** Metric name -> values. */
  readonly metrics: Map<string, number[]>;
  readonly logs: { message: string; fields: Record<string, unknown> }[];
  readonly notices: BanNotice[];
  /** Publishes that failed (the publisher's onError). */
  readonly publishFailures: OrgEvent[];
  /** While true, its enforcer fails every delivery (Lambda down, region unreachable). */
  offline: boolean;
  /** While true, its publishes fail (EventBridge unreachable from the origin). */
  cannotPublish: boolean;
  /** Deny entries cloudjail owns in its NACL (reserved range), by CIDR. */
  denied(): string[];
}

export interface OrgAccountOptions {
  readonly account: string;
  readonly region: string;
  /** @default ORG_ID; undefined: an account outside the organization. */
  readonly orgId?: string | null;
  readonly jail?: Partial<JailConfig>;
  readonly allowlist?: readonly string[];
  readonly quota?: number;
}

/** Several accounts, a central ledger and the bus stand-in between them, on one dynalite. */
export class OrgWorld {
  readonly accounts: OrgAccount[] = [];
  readonly bus: OrgBusStandIn;
  readonly central: OrgLedger;
  /** Epoch ms every runtime and delivery uses. */
  now: number;
  private readonly endpoints: Ec2Endpoint[] = [];
  private seed = 7;

  private constructor(
    private readonly db: TestDynamo,
    centralTable: string,
    now: number,
  ) {
    this.now = now;
    this.bus = new OrgBusStandIn(ORG_BUS_POLICY, () => this.random());
    this.central = new OrgLedger(createDocumentClient(this.client()), centralTable, async () => {});
    this.bus.subscribe("central", (envelope) =>
      recordOrgEvent(this.central, envelope, this.now).then(() => {}),
    );
  }

  static async create(db: TestDynamo, now: number): Promise<OrgWorld> {
    const centralTable = `central-${process.pid}-${++tables}`;
    await db.createTable(centralTable);
    return new OrgWorld(db, centralTable, now);
  }

  async addAccount(options: OrgAccountOptions): Promise<OrgAccount> {
    const origin = { account: options.account, region: options.region };
    const tableName = `member-${process.pid}-${++tables}`;
    await this.db.createTable(tableName);
    const model = new NaclModel({ quota: options.quota ?? 20 });
    const vpcId = model.addVpc({ cidrBlock: "10.0.0.0/16" });
    const naclId = model.defaultNaclOf(vpcId);
    const subnetId = model.addSubnet({ vpcId, cidrBlock: "10.0.1.0/24" });
    const instanceId = model.addInstance({ subnetId, instanceId: `i-0${options.account.slice(0, 16)}` });
    const endpoint = await startEc2Endpoint(model);
    this.endpoints.push(endpoint);
    const config: CloudjailConfig = {
      jails: [sshdJail({ share: "organization", ...options.jail })],
      nacl: { ...DEFAULT_NACL_SETTINGS, vpcIds: [vpcId], quota: options.quota ?? 20 },
    };
    const metrics = new Map<string, number[]>();
    const logs: OrgAccount["logs"] = [];
    const notices: BanNotice[] = [];
    const publishFailures: OrgEvent[] = [];
    const orgId = options.orgId === undefined ? ORG_ID : (options.orgId ?? undefined);
    const busSink = this.bus.sinkFor(
      { account: options.account, ...(orgId ? { orgId } : {}) },
      options.region,
    );
    let account: OrgAccount;
    const sink = {
      put: async (events: readonly OrgEvent[]) => {
        if (account.cannotPublish) throw new Error("EventBridge unreachable");
        await busSink.put(events);
      },
    };
    const dynamodb = this.client();
    const runtime = createRuntime(
      { tableName, config },
      {
        dynamodb,
        ec2: new EC2Client({
          endpoint: endpoint.url,
          region: options.region,
          credentials: LOCAL_CREDENTIALS,
          retryStrategy: testRetryStrategy(8).strategy,
        }),
      },
      {
        logger: recordingLogger(logs),
        metrics: recordingMetrics(metrics),
        notifier: new OrgPublisher(
          { notify: async (notice) => void notices.push(notice) },
          {
            config,
            origin,
            sink,
            clock: () => this.now,
            onError: (_error, event) => void publishFailures.push(event),
          },
        ),
        random: () => 0,
        clock: () => this.now,
      },
    );
    const allowlist = new Set(options.allowlist ?? []);
    const member: OrgMember = {
      ledger: new OrgLedger(createDocumentClient(dynamodb), tableName, async () => {}),
      central: this.central,
      allowlisted: async (ip) => allowlist.has(ip),
      publishing: { origin, sink },
    };
    account = {
      origin,
      model,
      naclId,
      instanceId,
      config,
      runtime,
      member,
      metrics,
      logs,
      notices,
      publishFailures,
      offline: false,
      cannotPublish: false,
      denied: () =>
        model
          .entriesOf(naclId)
          .filter((entry) => !entry.Egress && entry.RuleAction === "deny" && (entry.RuleNumber ?? 0) <= 99)
          .map((entry) => entry.CidrBlock ?? entry.Ipv6CidrBlock ?? "?")
          .sort(),
    };
    this.bus.subscribe(`member ${options.account}/${options.region}`, async (envelope) => {
      if (account.offline) throw new Error("enforcer unreachable");
      await enforceOrgDelivery(runtime, member, snsDelivery(envelope), this.now);
    });
    this.accounts.push(account);
    return account;
  }

  async close(): Promise<void> {
    await Promise.all(this.endpoints.map((endpoint) => endpoint.close()));
  }

  private client(): DynamoDBClient {
    return new DynamoDBClient({
      endpoint: this.db.endpoint,
      region: "us-east-1",
      credentials: LOCAL_CREDENTIALS,
    });
  }

  /** A seeded generator: every run delivers in the same "random" order. */
  private random(): number {
    this.seed = (this.seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return this.seed / 2 ** 31;
  }
}

let tables = 0;

function recordingLogger(logs: OrgAccount["logs"]): Logger {
  const logger = new Logger({ serviceName: "cloudjail-org-test", logLevel: "SILENT" });
  for (const level of ["debug", "info", "warn", "error"] as const) {
    vi.spyOn(logger, level).mockImplementation((message: unknown, ...extras: unknown[]) => {
      logs.push({
        message: String(message),
        fields: Object.assign({}, ...extras.filter((e) => typeof e === "object")),
      });
    });
  }
  return logger;
}

function recordingMetrics(metrics: Map<string, number[]>): Metrics {
  const recorder = new Metrics({ namespace: "Cloudjail", serviceName: "cloudjail-org-test" });
  vi.spyOn(recorder, "addMetric").mockImplementation((name: string, _unit: unknown, value: number) => {
    metrics.set(name, [...(metrics.get(name) ?? []), value]);
    return recorder;
  });
  vi.spyOn(recorder, "publishStoredMetrics").mockImplementation(() => recorder);
  return recorder;
}
