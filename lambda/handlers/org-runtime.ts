import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { OrgLedger } from "../aws/org-ledger";
import { EventBridgeOrgSink, OrgPublisher } from "../aws/org-publisher";
import { createDocumentClient } from "../aws/store";
import { ORG_METRIC } from "../core/org-telemetry";
import { ORG_ENVIRONMENT, RUNTIME_ENVIRONMENT } from "./environment";
import type { OrgMember } from "./org-apply";
import { type Runtime, RuntimeConfigError } from "./runtime";

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The environment a member's Lambdas start from: with CLOUDJAIL_ORG_VPC_IDS (one StackSet template serves every
 * account, each with its own VPCs), the configuration's VPC ids are replaced by the member's.
 */
export function memberEnvironment(env: Environment): Environment {
  const vpcIds = env[ORG_ENVIRONMENT.vpcIds]?.trim();
  const text = env[RUNTIME_ENVIRONMENT.config];
  if (!vpcIds || !text) return env;
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return env;
  }
  const ids = vpcIds
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
  const nacl = { ...((config.nacl as object | undefined) ?? {}), vpcIds: ids };
  return { ...env, [RUNTIME_ENVIRONMENT.config]: JSON.stringify({ ...config, nacl }) };
}

/** The table name or ARN and the region of an ARN (`arn:aws:dynamodb:eu-west-1:123456789012:table/x`). */
function regionOfArn(arn: string): string | undefined {
  return /^arn:[^:]+:[^:]+:([^:]+):/.exec(arn)?.[1];
}

/**
 * A member's organization parts, when the stack belongs to one (CLOUDJAIL_ORG_ACCOUNT set): the runtime whose
 * notifier also publishes the bans of shared jails, and what the enforcer and the unbanner's catch-up need.
 * Undefined when the variables are absent (a stack of its own).
 */
export function organizationFromEnvironment(
  runtime: Runtime,
  env: Environment = process.env,
): { readonly runtime: Runtime; readonly member: OrgMember } | undefined {
  const account = env[ORG_ENVIRONMENT.account]?.trim();
  if (!account) return undefined;
  const region = env.AWS_REGION;
  const centralTable = env[ORG_ENVIRONMENT.centralTable]?.trim();
  if (!region || !centralTable) {
    throw new RuntimeConfigError(
      `${ORG_ENVIRONMENT.account} is set, so AWS_REGION and ${ORG_ENVIRONMENT.centralTable} (the central ledger's ARN) must be too`,
    );
  }
  const origin = { account, region };
  const sink = new EventBridgeOrgSink(
    new EventBridgeClient({}),
    env[ORG_ENVIRONMENT.bus]?.trim() || "default",
  );
  const notifier = new OrgPublisher(runtime.notifier, {
    config: runtime.config,
    origin,
    sink,
    clock: Date.now,
    onError: (error, event) => {
      runtime.metrics.addMetric(ORG_METRIC.publishFailures, MetricUnit.Count, 1);
      runtime.logger.error("organization event not published; the unbanner's catch-up publishes it again", {
        id: event.id,
        error: String(error),
      });
    },
  });
  const centralRegion = regionOfArn(centralTable) ?? region;
  const member: OrgMember = {
    ledger: new OrgLedger(createDocumentClient(new DynamoDBClient({})), runtime.tableName),
    // The table's ARN as its name: DynamoDB reaches another account's table through its resource policy.
    central: new OrgLedger(createDocumentClient(new DynamoDBClient({ region: centralRegion })), centralTable),
    publishing: { origin, sink },
  };
  return { runtime: { ...runtime, notifier }, member };
}
