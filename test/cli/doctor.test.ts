import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, DescribeSubscriptionFiltersCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { ListSubscriptionsByTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerDoctor } from "../../bin/cli/doctor";
import { registerPing } from "../../bin/cli/ping";
import type { DeployedStack } from "../../bin/cli/stack";
import { STACK_OUTPUTS } from "../../lib/stack-outputs";
import { type OperatorWorld, runCommand, startOperatorWorld } from "./support/operator-harness";
import { repoConfig } from "./support/stack-config";

/**
 * `cloudjail doctor` and `ping` against dynalite (the table) and the local EC2 endpoint (the NACLs, with DryRun and
 * an IAM stand-in that refuses one NACL when a test says so); Lambda, CloudWatch, CloudWatch Logs, SQS and SNS behind
 * aws-sdk-client-mock.
 */
const now = Date.UTC(2026, 11, 7, 12, 0, 0);
const ACCOUNT = "123456789012";
const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:${ACCOUNT}:${resource}`;
const FUNCTIONS = {
  responder: "Cloudjail-Responder-1A2B",
  unbanner: "Cloudjail-Unbanner-3C4D",
  watcher: "Cloudjail-FleetWatch-5E6F",
};
const TOPIC = arn("sns", "Cloudjail-AlertsTopic-7G8H");
const QUEUE = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/Cloudjail-FailedBatches-9I0J`;
const AUTH_GROUP = "/cloudjail/Cloudjail/auth";
const EXISTING_GROUP = "/existing/secure";

const lambda = mockClient(LambdaClient);
const cloudWatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const sqs = mockClient(SQSClient);
const sns = mockClient(SNSClient);

/** The NACL the IAM stand-in refuses writes to, when set. */
let refused: string | undefined;
let world: OperatorWorld;
let stack: Omit<DeployedStack, "stackName">;
let naclIds: string[];
let tables = 0;

beforeAll(async () => {
  world = await startOperatorWorld({
    authorize: ({ action, naclId }) => !(action === "CreateNetworkAclEntry" && naclId === refused),
  });
});
afterAll(() => world.stop());
afterEach(() => {
  for (const mock of [lambda, cloudWatch, logs, sqs, sns]) mock.reset();
  refused = undefined;
});

beforeEach(async () => {
  const vpcId = world.model.addVpc({ cidrBlock: "10.0.0.0/16" });
  const custom = world.model.addNacl({ vpcId });
  world.model.addSubnet({ vpcId, cidrBlock: "10.0.1.0/24", naclId: custom });
  naclIds = [world.model.defaultNaclOf(vpcId), custom].sort();
  const tableName = `doctor-${++tables}`;
  await world.db.createTable(tableName);
  stack = {
    tableName,
    config: { ...repoConfig({ vpcIds: [vpcId] }), topicArn: TOPIC },
    stackStatus: "UPDATE_COMPLETE",
    outputs: {
      [STACK_OUTPUTS.tableName]: tableName,
      [STACK_OUTPUTS.responderFunctionName]: FUNCTIONS.responder,
      [STACK_OUTPUTS.unbannerFunctionName]: FUNCTIONS.unbanner,
      [STACK_OUTPUTS.topicArn]: TOPIC,
      [STACK_OUTPUTS.failedBatchesQueueUrl]: QUEUE,
    },
    resources: [
      {
        logicalId: "CloudjailResponderFunction409C980A",
        type: "AWS::Lambda::Function",
        physicalId: FUNCTIONS.responder,
      },
      {
        logicalId: "CloudjailUnbannerFunctionCD6F3C41",
        type: "AWS::Lambda::Function",
        physicalId: FUNCTIONS.unbanner,
      },
      {
        logicalId: "CloudjailFleetWatchWatcherFunction1DAE6E3F",
        type: "AWS::Lambda::Function",
        physicalId: FUNCTIONS.watcher,
      },
      {
        logicalId: "CloudjailMonitoringResponderErrors",
        type: "AWS::CloudWatch::Alarm",
        physicalId: "Cloudjail-ResponderErrors",
      },
      {
        logicalId: "CloudjailFleetWatchSilentInstances",
        type: "AWS::CloudWatch::Alarm",
        physicalId: "Cloudjail-SilentInstances",
      },
    ],
    subscribedLogGroups: [AUTH_GROUP, EXISTING_GROUP],
  };
  healthyAws();
});

/** Every service answering as a healthy deployment does. */
function healthyAws(): void {
  for (const name of Object.values(FUNCTIONS)) {
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: name }).resolves({
      FunctionName: name,
      FunctionArn: arn("lambda", `function:${name}`),
      State: "Active",
      LastUpdateStatus: "Successful",
      LoggingConfig: { LogGroup: `/aws/lambda/${name}` },
    });
  }
  metrics({});
  for (const logGroupName of [AUTH_GROUP, EXISTING_GROUP]) {
    logs.on(DescribeSubscriptionFiltersCommand, { logGroupName }).resolves({
      subscriptionFilters: [
        {
          filterName: "cloudjail",
          logGroupName,
          destinationArn: arn("lambda", `function:${FUNCTIONS.responder}`),
        },
      ],
    });
  }
  sqs.on(GetQueueAttributesCommand).resolves({
    Attributes: { ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" },
  });
  sns.on(ListSubscriptionsByTopicCommand).resolves({
    Subscriptions: [{ SubscriptionArn: `${TOPIC}:0f1e2d3c`, Protocol: "email", TopicArn: TOPIC }],
  });
  cloudWatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      { AlarmName: "Cloudjail-ResponderErrors", StateValue: "OK" },
      { AlarmName: "Cloudjail-SilentInstances", StateValue: "INSUFFICIENT_DATA" },
    ],
  });
}

/** AWS/Lambda Errors and Throttles per function name, answered per query as GetMetricData does. */
function metrics(counts: Record<string, { Errors?: number; Throttles?: number }>): void {
  cloudWatch.on(GetMetricDataCommand).callsFake((input) => ({
    MetricDataResults: (input.MetricDataQueries ?? []).map(
      (query: {
        Id: string;
        MetricStat: { Metric: { MetricName: "Errors" | "Throttles"; Dimensions: { Value: string }[] } };
      }) => {
        const value =
          counts[query.MetricStat.Metric.Dimensions[0]?.Value ?? ""]?.[query.MetricStat.Metric.MetricName];
        return { Id: query.Id, Values: value === undefined ? [] : [value], StatusCode: "Complete" };
      },
    ),
  }));
}

const run = (args: string[]) => runCommand(world, [registerDoctor, registerPing], stack, args, now);
const lines = (output: string) => output.split("\n").filter((line) => /^(ok|FAIL)/.test(line));

describe("cloudjail doctor", () => {
  it("passes every check of a healthy stack, one line each, and exits 0", async () => {
    const result = await run(["doctor"]);
    expect(result.exitCode).toBe(0);
    const checks = lines(result.output);
    expect(checks.every((line) => line.startsWith("ok  "))).toBe(true);
    expect(checks.map((line) => line.split(": ")[0])).toEqual([
      "ok    stack Cloudjail",
      `ok    table ${stack.tableName}`,
      `ok    subscription ${AUTH_GROUP}`,
      `ok    subscription ${EXISTING_GROUP}`,
      `ok    function responder ${FUNCTIONS.responder}`,
      `ok    function unbanner ${FUNCTIONS.unbanner}`,
      `ok    function fleet watcher ${FUNCTIONS.watcher}`,
      `ok    queue ${QUEUE}`,
      ...naclIds.map((id) => `ok    nacl ${id}`),
      `ok    topic ${TOPIC}`,
      "ok    alarms Cloudjail",
    ]);
    expect(result.output).toContain(`table ${stack.tableName}: ACTIVE, keys pk, sk, index bansByEnd ACTIVE`);
    expect(result.output).toMatch(/\n12 of 12 checks passed\n$/);
  });

  it("changes nothing: the DryRun writes no NACL entry", async () => {
    const before = naclIds.map((id) => world.model.entriesOf(id));
    expect((await run(["doctor"])).exitCode).toBe(0);
    expect(naclIds.map((id) => world.model.entriesOf(id))).toEqual(before);
  });

  it("fails, with what to change, on each defect of a broken stack, and exits 1", async () => {
    refused = naclIds[1];
    logs.on(DescribeSubscriptionFiltersCommand, { logGroupName: EXISTING_GROUP }).resolves({
      subscriptionFilters: [{ filterName: "siem", destinationArn: arn("firehose", "deliverystream/siem") }],
    });
    metrics({ [FUNCTIONS.responder]: { Errors: 3 }, [FUNCTIONS.unbanner]: { Throttles: 2 } });
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: "2", ApproximateNumberOfMessagesNotVisible: "0" },
    });
    sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [{ SubscriptionArn: "PendingConfirmation", Protocol: "email", TopicArn: TOPIC }],
    });
    const result = await run(["doctor"]);
    expect([result.exitCode, result.error?.message]).toEqual([1, "6 of 12 checks failed"]);
    const failed = lines(result.output).filter((line) => line.startsWith("FAIL"));
    expect(failed).toEqual([
      expect.stringMatching(
        new RegExp(
          `^FAIL  subscription ${EXISTING_GROUP}: no filter sends to the responder \\("siem" -> arn:aws:firehose:.*\\) -> deploy the stack again`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^FAIL  function responder ${FUNCTIONS.responder}: 3 errors in the last 1h -> read its log group /aws/lambda/${FUNCTIONS.responder}`,
        ),
      ),
      expect.stringMatching(
        /^FAIL {2}function unbanner .*: 2 throttled invocations in the last 1h -> its batches wait/,
      ),
      expect.stringMatching(/^FAIL {2}queue .*: 2 failed batches wait -> their lines were not counted/),
      expect.stringMatching(
        new RegExp(
          `^FAIL  nacl ${naclIds[1]}: your credentials may not write its entries .*UnauthorizedOperation.* -> grant ec2:CreateNetworkAclEntry`,
        ),
      ),
      expect.stringMatching(
        /^FAIL {2}topic .*: 1 subscription not confirmed yet: alarms reach nobody -> open the mail/,
      ),
    ]);
    expect(result.output).toContain(`ok    nacl ${naclIds[0]}: your credentials may write its entries`);
  });

  it("fails on a missing table and on a stack whose last deployment rolled back", async () => {
    stack = { ...stack, tableName: "no-such-table", stackStatus: "UPDATE_ROLLBACK_COMPLETE" };
    const result = await run(["doctor"]);
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(
      /^FAIL {2}stack Cloudjail: UPDATE_ROLLBACK_COMPLETE -> the last deployment did not complete/m,
    );
    expect(result.output).toMatch(/^FAIL {2}table no-such-table: does not exist -> deploy the stack again/m);
  });

  it("turns a check it may not run into a failed line of its own, and runs the others", async () => {
    sns.on(ListSubscriptionsByTopicCommand).rejects(
      Object.assign(new Error("User: ops is not authorized to perform: SNS:ListSubscriptionsByTopic"), {
        name: "AuthorizationError",
      }),
    );
    const result = await run(["doctor"]);
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(
      /^FAIL {2}topic .*: could not check: User: ops is not authorized .* -> docs\/cli\.md/m,
    );
    expect(lines(result.output).filter((line) => line.startsWith("ok"))).toHaveLength(11);
  });

  it("gives scripts every check as JSON", async () => {
    metrics({ [FUNCTIONS.watcher]: { Errors: 1 } });
    const result = await run(["doctor", "--json", "--since", "6h"]);
    expect(result.exitCode).toBe(1);
    const json = JSON.parse(result.output);
    expect(json.failed).toBe(1);
    expect(json.checks.find((check: { ok: boolean }) => !check.ok)).toMatchObject({
      check: "function",
      subject: `fleet watcher ${FUNCTIONS.watcher}`,
      detail: "1 error in the last 6h",
    });
    const query = cloudWatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(query?.StartTime).toEqual(new Date(now - 6 * 3_600_000));
  });

  it("refuses a --since it cannot count over, with exit code 2", async () => {
    expect((await run(["doctor", "--since", "soon"])).exitCode).toBe(2);
    expect((await run(["doctor", "--since", "30d"])).error?.message).toMatch(/must be between 1m and 15d/);
  });
});

describe("cloudjail ping", () => {
  it("answers as fail2ban-client does when the stack is healthy", async () => {
    const result = await run(["ping"]);
    expect([result.exitCode, result.output]).toEqual([0, "Server replied: pong\n"]);
  });

  it("names what is not healthy, with exit code 1", async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: "Cloudjail-SilentInstances",
          StateValue: "ALARM",
          AlarmDescription: "Protected instances have shipped no auth-log line for 1 day",
        },
      ],
    });
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: FUNCTIONS.unbanner })
      .resolves({ State: "Failed" });
    const result = await run(["ping"]);
    expect(result.exitCode).toBe(1);
    expect(result.output.split("\n").filter(Boolean)).toEqual([
      expect.stringMatching(/^FAIL {2}function unbanner .*: state Failed/),
      "FAIL  alarms Cloudjail: in ALARM: Cloudjail-SilentInstances -> Protected instances have shipped no auth-log line for 1 day",
    ]);
    expect(result.error?.message).toMatch(/is reachable but not healthy: 2 of 6 checks failed/);
  });
});
