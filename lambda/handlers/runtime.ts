import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { NetworkFirewallClient } from "@aws-sdk/client-network-firewall";
import { SNSClient } from "@aws-sdk/client-sns";
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { Allowlist } from "../aws/allowlist";
import { AllowlistCache } from "../aws/allowlist-cache";
import { BanService } from "../aws/ban-service";
import { createOverflowTarget, type OverflowClients } from "../aws/create-overflow-target";
import { JournaldHosts } from "../aws/journald-hosts";
import { Ec2NaclEnforcer } from "../aws/nacl-enforcer";
import { NaclResolver } from "../aws/nacl-resolver";
import { type Notifier, SILENT_NOTIFIER, SnsNotifier } from "../aws/notifier";
import { type OverflowRef, parseOverflowRef } from "../aws/overflow-ref";
import { OverflowSync } from "../aws/overflow-sync";
import type { OverflowTarget } from "../aws/overflow-target";
import { SDK_RETRY } from "../aws/sdk-retry";
import { SlotAllocator } from "../aws/slot-allocator";
import { SlotLeases } from "../aws/slot-leases";
import { CloudjailStore, createDocumentClient } from "../aws/store";
import { parseConfigJson } from "../core/config";
import { METRICS_NAMESPACE } from "../core/telemetry";
import type { CloudjailConfig } from "../core/types";
import { RUNTIME_ENVIRONMENT } from "./environment";

/** The Lambda cannot start: a variable is missing or invalid. The message says which and what is expected. */
export class RuntimeConfigError extends Error {
  override readonly name = "RuntimeConfigError";
}

/** What the environment configures. */
export interface RuntimeEnvironment {
  readonly tableName: string;
  readonly config: CloudjailConfig;
  readonly overflow?: OverflowRef;
}

/**
 * Reads and validates CLOUDJAIL_TABLE, CLOUDJAIL_CONFIG and (when set) CLOUDJAIL_OVERFLOW; throws RuntimeConfigError
 * naming the problem.
 */
export function readRuntimeEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): RuntimeEnvironment {
  const tableName = env[RUNTIME_ENVIRONMENT.table]?.trim();
  if (!tableName) {
    throw new RuntimeConfigError(
      `${RUNTIME_ENVIRONMENT.table} is not set: it must name cloudjail's DynamoDB table`,
    );
  }
  const text = env[RUNTIME_ENVIRONMENT.config];
  if (!text?.trim()) {
    throw new RuntimeConfigError(
      `${RUNTIME_ENVIRONMENT.config} is not set: it must hold the configuration as JSON`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RuntimeConfigError(`${RUNTIME_ENVIRONMENT.config} is not JSON: ${(error as Error).message}`);
  }
  let config: CloudjailConfig;
  try {
    config = parseConfigJson(value, RUNTIME_ENVIRONMENT.config);
  } catch (error) {
    throw new RuntimeConfigError((error as Error).message);
  }
  const overflow = env[RUNTIME_ENVIRONMENT.overflow]?.trim();
  if (!overflow) return { tableName, config };
  try {
    return { tableName, config, overflow: parseOverflowRef(overflow) };
  } catch (error) {
    throw new RuntimeConfigError(`${RUNTIME_ENVIRONMENT.overflow}: ${(error as Error).message}`);
  }
}

/** SDK clients the runtime talks through. */
export interface RuntimeClients extends OverflowClients {
  readonly dynamodb: DynamoDBClient;
  readonly ec2: EC2Client;
  /** Needed only when the configuration names a topic. */
  readonly sns?: SNSClient;
}

/**
 * Clients built from the SDK's standard environment (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB`,
 * `AWS_ENDPOINT_URL_EC2`, `AWS_ENDPOINT_URL_SNS`, the credential chain), so that the handlers run unchanged
 * against any endpoint. EC2, WAFv2 and Network Firewall calls are retried by the SDK in adaptive mode (SDK_RETRY),
 * which slows a throttled client down as well; DynamoDB keeps the SDK's standard retries.
 */
export function clientsFromEnvironment(environment: RuntimeEnvironment): RuntimeClients {
  const overflow = environment.overflow?.kind;
  return {
    dynamodb: new DynamoDBClient({}),
    ec2: new EC2Client(SDK_RETRY),
    ...(environment.config.topicArn === undefined ? {} : { sns: new SNSClient({}) }),
    ...(overflow === "waf" ? { wafv2: new WAFV2Client(SDK_RETRY) } : {}),
    ...(overflow === "network-firewall" ? { networkFirewall: new NetworkFirewallClient(SDK_RETRY) } : {}),
  };
}

/** Knobs for tests and local tools; production uses the defaults. */
export interface RuntimeOptions {
  /** Epoch ms, for the resolver's cache only (handlers pass the invocation time explicitly). @default Date.now */
  readonly clock?: () => number;
  /** Uniform in [0, 1), for bantime.rndtime. @default Math.random */
  readonly random?: () => number;
  /** @default a Powertools Logger, service "cloudjail" */
  readonly logger?: Logger;
  /** @default Powertools Metrics in namespace METRICS_NAMESPACE */
  readonly metrics?: Metrics;
  /** @default SNS when the configuration names a topic, else silent */
  readonly notifier?: Notifier;
  /**
   * Seconds after which an `enforcing` claim or a lease without an entry is taken to belong to a writer that
   * died. Must exceed the responder's timeout. @default 900 (Lambda's longest timeout)
   */
  readonly claimGraceSeconds?: number;
  /** @default the adapter of the environment's overflow target, if any */
  readonly overflow?: OverflowTarget;
}

/** Everything a handler needs, built once per cold start. */
export interface Runtime {
  readonly config: CloudjailConfig;
  readonly tableName: string;
  readonly store: CloudjailStore;
  /** Which hosts' journals arrive (one source per host), cached for the container's life. */
  readonly journaldHosts: JournaldHosts;
  readonly leases: SlotLeases;
  readonly enforcer: Ec2NaclEnforcer;
  readonly resolver: NaclResolver;
  readonly bans: BanService;
  /** The runtime allowlist (`cloudjail ignore`) and the ranges unbans keep out of covers. */
  readonly allowlist: Allowlist;
  /** The allowlist's `ignore` entries, re-read at most once a minute (allowlist-cache.ts). */
  readonly allowed: AllowlistCache;
  readonly notifier: Notifier;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly random: () => number;
  readonly claimGraceSeconds: number;
  /** Keeps the bans the NACLs cannot hold in the stack's overflow target; absent when it has none. */
  readonly overflow?: OverflowSync;
  /** A fresh per-invocation slot allocator (it caches NACL entries and leases for one invocation only). */
  newAllocator(): SlotAllocator;
}

/** Wires the adapters together. */
export function createRuntime(
  environment: RuntimeEnvironment,
  clients: RuntimeClients,
  options: RuntimeOptions = {},
): Runtime {
  const { config, tableName } = environment;
  const documents = createDocumentClient(clients.dynamodb);
  const store = new CloudjailStore(documents, tableName);
  const allowlist = new Allowlist(documents, tableName);
  const leases = new SlotLeases(documents, tableName);
  const enforcer = new Ec2NaclEnforcer(clients.ec2, { reservedRuleRange: config.nacl.reservedRuleRange });
  const resolver = new NaclResolver(clients.ec2, {
    settings: config.nacl,
    now: options.clock ?? Date.now,
  });
  const notifier =
    options.notifier ??
    (config.topicArn !== undefined && clients.sns !== undefined
      ? new SnsNotifier(clients.sns, config.topicArn)
      : SILENT_NOTIFIER);
  const overflow =
    options.overflow ??
    (environment.overflow === undefined ? undefined : createOverflowTarget(environment.overflow, clients));
  return {
    config,
    tableName,
    store,
    journaldHosts: new JournaldHosts(documents, tableName),
    leases,
    enforcer,
    resolver,
    bans: new BanService(store, leases, enforcer),
    allowlist,
    allowed: new AllowlistCache(allowlist),
    notifier,
    logger: options.logger ?? new Logger({ serviceName: "cloudjail" }),
    metrics: options.metrics ?? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "cloudjail" }),
    random: options.random ?? Math.random,
    claimGraceSeconds: options.claimGraceSeconds ?? 900,
    ...(overflow === undefined ? {} : { overflow: new OverflowSync(overflow) }),
    newAllocator: () => new SlotAllocator(leases, enforcer, config.nacl),
  };
}

/** The runtime of a Lambda: environment read once at cold start; a missing or bad variable fails the start. */
export function runtimeFromEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Runtime {
  const environment = readRuntimeEnvironment(env);
  return createRuntime(environment, clientsFromEnvironment(environment));
}
