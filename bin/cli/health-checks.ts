import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { DescribeSubscriptionFiltersCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTableCommand, type DescribeTableCommandOutput } from "@aws-sdk/client-dynamodb";
import { CreateNetworkAclEntryCommand } from "@aws-sdk/client-ec2";
import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { paginateListSubscriptionsByTopic } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { NaclResolver } from "../../lambda/aws/nacl-resolver";
import { TABLE_SCHEMA } from "../../lambda/aws/table-schema";
import { formatDuration } from "../../lambda/core/duration";
import { STACK_OUTPUTS } from "../../lib/stack-outputs";
import type { AwsClients } from "./aws-clients";
import {
  alarmsVerdict,
  type CheckResult,
  type FunctionFacts,
  functionVerdict,
  naclVerdict,
  noNaclVerdict,
  queueVerdict,
  stackVerdict,
  subscriptionVerdict,
  tableVerdict,
  topicVerdict,
  unreachableVerdict,
} from "./check-verdicts";
import type { DeployedStack } from "./stack";
import { physicalIdsOfType, type StackFunction, stackFunctions } from "./stack-parts";

/**
 * The checks of `cloudjail doctor` (all of them) and `cloudjail ping` (the quick ones): each asks AWS read-only
 * questions (the NACL check a DryRun, which changes nothing) and hands the answers to a verdict (check-verdicts.ts).
 * A check whose call fails becomes a failed line of its own; the others still run.
 */
export interface HealthContext {
  readonly stack: DeployedStack;
  readonly clients: AwsClients;
  /** Epoch ms now. */
  readonly now: number;
  /** How far back the functions' errors and throttles are counted, seconds. */
  readonly windowSeconds: number;
}

/** The deployment finished and did not roll back (nothing to say for a stack file that names no status). */
export async function stackCheck({ stack }: HealthContext): Promise<CheckResult[]> {
  return stack.stackStatus === undefined ? [] : [stackVerdict(stack.stackName, stack.stackStatus)];
}

/** The table is ACTIVE with cloudjail's keys and the bans-by-end index. */
export async function tableCheck({ stack, clients }: HealthContext): Promise<CheckResult[]> {
  return guarded("table", stack.tableName, async () => {
    let answer: DescribeTableCommandOutput;
    try {
      answer = await clients.dynamoDb.send(new DescribeTableCommand({ TableName: stack.tableName }));
    } catch (error) {
      if (isNotFound(error)) return [tableVerdict(stack.tableName, undefined, EXPECTED_TABLE)];
      throw error;
    }
    const table = answer.Table;
    return [
      tableVerdict(
        stack.tableName,
        {
          ...(table?.TableStatus ? { status: table.TableStatus } : {}),
          keys: (table?.KeySchema ?? []).map((key) => key.AttributeName ?? ""),
          indexes: (table?.GlobalSecondaryIndexes ?? []).map((index) => ({
            name: index.IndexName ?? "",
            ...(index.IndexStatus ? { status: index.IndexStatus } : {}),
          })),
        },
        EXPECTED_TABLE,
      ),
    ];
  });
}

const EXPECTED_TABLE = {
  keys: [TABLE_SCHEMA.partitionKey, TABLE_SCHEMA.sortKey],
  index: TABLE_SCHEMA.bansByEndIndex,
};

/** Each Lambda function is Active; with `withMetrics`, also no error or throttle within the window. */
export async function functionChecks(context: HealthContext, withMetrics: boolean): Promise<CheckResult[]> {
  const functions = stackFunctions(context.stack);
  const window = formatDuration(context.windowSeconds);
  const counts = withMetrics
    ? await metricCounts(context, functions).catch((error: unknown) => error as Error)
    : new Map<string, { errors: number; throttles: number }>();
  const results: CheckResult[] = [];
  for (const fn of functions) {
    results.push(
      ...(await guarded("function", `${fn.role} ${fn.name}`, async () => {
        const facts = await functionFacts(context.clients, fn.name);
        if (counts instanceof Error) return [unreachableVerdict("function", `${fn.role} ${fn.name}`, counts)];
        const count = counts.get(fn.name) ?? { errors: 0, throttles: 0 };
        return [functionVerdict(fn.role, fn.name, facts && { ...facts, ...count }, window)];
      })),
    );
  }
  return results;
}

async function functionFacts(
  clients: AwsClients,
  name: string,
): Promise<Omit<FunctionFacts, "errors" | "throttles"> | undefined> {
  try {
    const fn = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    return {
      ...(fn.State ? { state: fn.State } : {}),
      ...(fn.LastUpdateStatus ? { lastUpdateStatus: fn.LastUpdateStatus } : {}),
      ...(fn.LoggingConfig?.LogGroup ? { logGroup: fn.LoggingConfig.LogGroup } : {}),
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** AWS/Lambda Errors and Throttles summed over the window, per function, in one paginated GetMetricData. */
async function metricCounts(
  { clients, now, windowSeconds }: HealthContext,
  functions: readonly StackFunction[],
): Promise<Map<string, { errors: number; throttles: number }>> {
  const period = Math.max(60, Math.ceil(windowSeconds / 60) * 60);
  const queries: MetricDataQuery[] = functions.flatMap((fn, index) =>
    (["Errors", "Throttles"] as const).map((metric) => ({
      Id: `${metric.toLowerCase()}${index}`,
      MetricStat: {
        Metric: {
          Namespace: "AWS/Lambda",
          MetricName: metric,
          Dimensions: [{ Name: "FunctionName", Value: fn.name }],
        },
        Period: period,
        Stat: "Sum",
      },
      ReturnData: true,
    })),
  );
  const sums = new Map<string, number>();
  let nextToken: string | undefined;
  do {
    const answer = await clients.cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(now - windowSeconds * 1000),
        EndTime: new Date(now),
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    for (const result of answer.MetricDataResults ?? []) {
      const sum = (result.Values ?? []).reduce((total, value) => total + value, 0);
      sums.set(result.Id ?? "", (sums.get(result.Id ?? "") ?? 0) + sum);
    }
    nextToken = answer.NextToken;
  } while (nextToken);
  return new Map(
    functions.map((fn, index) => [
      fn.name,
      { errors: sums.get(`errors${index}`) ?? 0, throttles: sums.get(`throttles${index}`) ?? 0 },
    ]),
  );
}

/** Every log group the template subscribes has a filter that hands its lines to the responder. */
export async function subscriptionChecks({ stack, clients }: HealthContext): Promise<CheckResult[]> {
  const responder = stackFunctions(stack).find((fn) => fn.role === "responder");
  const groups = stack.subscribedLogGroups ?? (stack.logGroupName ? [stack.logGroupName] : []);
  if (responder === undefined || groups.length === 0) return [];
  let responderArn: string;
  try {
    const fn = await clients.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: responder.name }),
    );
    responderArn = fn.FunctionArn ?? responder.name;
  } catch (error) {
    return groups.map((group) => unreachableVerdict("subscription", group, error));
  }
  const results: CheckResult[] = [];
  for (const logGroupName of groups) {
    results.push(
      ...(await guarded("subscription", logGroupName, async () => {
        try {
          const answer = await clients.logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName }));
          return [subscriptionVerdict(logGroupName, answer.subscriptionFilters ?? [], responderArn)];
        } catch (error) {
          if (isNotFound(error)) return [subscriptionVerdict(logGroupName, undefined, responderArn)];
          throw error;
        }
      })),
    );
  }
  return results;
}

/** The failed-batch queue holds nothing. */
export async function queueCheck({ stack, clients }: HealthContext): Promise<CheckResult[]> {
  const queueUrl = stack.outputs?.[STACK_OUTPUTS.failedBatchesQueueUrl];
  if (!queueUrl) return [];
  return guarded("queue", queueUrl, async () => {
    const answer = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    const attribute = (name: string) =>
      Number(answer.Attributes?.[name as keyof typeof answer.Attributes] ?? 0);
    return [
      queueVerdict(
        queueUrl,
        attribute("ApproximateNumberOfMessages"),
        attribute("ApproximateNumberOfMessagesNotVisible"),
      ),
    ];
  });
}

/** A DryRun CreateNetworkAclEntry on every protected NACL, in the reserved range: the right, without a change. */
export async function naclChecks({ stack, clients, now }: HealthContext): Promise<CheckResult[]> {
  const { nacl } = stack.config;
  const where = [...nacl.vpcIds, ...(nacl.naclIds ?? [])].join(", ") || "the configuration";
  let naclIds: readonly string[];
  try {
    naclIds = await new NaclResolver(clients.ec2, { settings: nacl, now: () => now }).managedNacls();
  } catch (error) {
    return [unreachableVerdict("nacl", where, error)];
  }
  if (naclIds.length === 0) return [noNaclVerdict(where)];
  const results: CheckResult[] = [];
  for (const naclId of naclIds) {
    try {
      await clients.ec2.send(
        new CreateNetworkAclEntryCommand({
          DryRun: true,
          NetworkAclId: naclId,
          RuleNumber: nacl.reservedRuleRange.first,
          Protocol: "-1",
          RuleAction: "deny",
          Egress: false,
          // A documentation address (RFC 5737): even a DryRun names nothing real.
          CidrBlock: "192.0.2.0/32",
        }),
      );
      // EC2 always answers a DryRun with an error; a success would mean the flag was ignored.
      results.push(
        naclVerdict(naclId, {
          name: "NoDryRun",
          message: `EC2 wrote the entry: remove rule ${nacl.reservedRuleRange.first}`,
        }),
      );
    } catch (error) {
      const { name, message } = error as Error;
      results.push(naclVerdict(naclId, { name, message: message.split("\n")[0] ?? "" }));
    }
  }
  return results;
}

/** The alert topic, and the notification topic the configuration names if it is another, have a confirmed subscriber. */
export async function topicChecks({ stack, clients }: HealthContext): Promise<CheckResult[]> {
  const topics = [
    ...new Set(
      [stack.outputs?.[STACK_OUTPUTS.topicArn], stack.config.topicArn].filter((arn): arn is string => !!arn),
    ),
  ];
  const results: CheckResult[] = [];
  for (const topicArn of topics) {
    results.push(
      ...(await guarded("topic", topicArn, async () => {
        const subscriptions: Array<{ subscriptionArn?: string; protocol?: string }> = [];
        for await (const page of paginateListSubscriptionsByTopic(
          { client: clients.sns },
          { TopicArn: topicArn },
        )) {
          for (const each of page.Subscriptions ?? []) {
            subscriptions.push({
              ...(each.SubscriptionArn ? { subscriptionArn: each.SubscriptionArn } : {}),
              ...(each.Protocol ? { protocol: each.Protocol } : {}),
            });
          }
        }
        return [topicVerdict(topicArn, subscriptions)];
      })),
    );
  }
  return results;
}

/** None of the stack's alarms is in ALARM. */
export async function alarmsCheck({ stack, clients }: HealthContext): Promise<CheckResult[]> {
  const names = physicalIdsOfType(stack, "AWS::CloudWatch::Alarm");
  if (names.length === 0) return [];
  return guarded("alarms", stack.stackName, async () => {
    const alarms: Array<{ name: string; state?: string; description?: string }> = [];
    // DescribeAlarms takes at most 100 names a call.
    for (let start = 0; start < names.length; start += 100) {
      const answer = await clients.cloudWatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: names.slice(start, start + 100),
          AlarmTypes: ["MetricAlarm"],
        }),
      );
      for (const alarm of answer.MetricAlarms ?? []) {
        alarms.push({
          name: alarm.AlarmName ?? "",
          ...(alarm.StateValue ? { state: alarm.StateValue } : {}),
          ...(alarm.AlarmDescription ? { description: alarm.AlarmDescription } : {}),
        });
      }
    }
    return [alarmsVerdict(stack.stackName, alarms)];
  });
}

async function guarded(
  check: string,
  subject: string,
  run: () => Promise<CheckResult[]>,
): Promise<CheckResult[]> {
  try {
    return await run();
  } catch (error) {
    return [unreachableVerdict(check, subject, error)];
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === "ResourceNotFoundException";
}
