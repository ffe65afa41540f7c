import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, type Template } from "aws-cdk-lib/assertions";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as logs from "aws-cdk-lib/aws-logs";
import { beforeAll, describe, expect, it } from "vitest";
import { readFleetWatchEnvironment } from "../../lambda/handlers/fleet-watch-environment";
import { CloudjailAlerts } from "../../lib/cloudjail-alerts";
import { FleetWatch } from "../../lib/fleet-watch";
import { isAllowed, type PolicyStatementJson } from "./support/policy-evaluator";
import { PSEUDO, resolveIntrinsics, SYNTH_TIMEOUT, synthCloudjail } from "./support/synth-cloudjail";

const VPC = "vpc-0123456789abcdef0";
const logGroupArn = (name: string) =>
  `arn:aws:logs:${PSEUDO["AWS::Region"]}:${PSEUDO["AWS::AccountId"]}:log-group:${name}:*`;

describe("the fleet watcher in the deployed stack", () => {
  let template: Template;
  let watcher: { logicalId: string; environment: Record<string, unknown> };
  let statements: PolicyStatementJson[];

  beforeAll(() => {
    ({ template } = synthCloudjail({
      "cloudjail:vpcIds": [VPC],
      "cloudjail:logGroupNames": ["/existing/secure"],
    }));
    const [logicalId, fn] = Object.entries(
      template.findResources("AWS::Lambda::Function", {
        Properties: { Description: Match.stringLikeRegexp("auth log has gone silent") },
      }),
    )[0] ?? ["", {}];
    watcher = { logicalId, environment: fn.Properties.Environment.Variables };
    const [, policy] =
      Object.entries(template.findResources("AWS::IAM::Policy")).find(([id]) => id.includes("FleetWatch")) ??
      [];
    // The auth log group's name is its Ref: name it as CloudFormation will.
    const authGroup = Object.keys(template.findResources("AWS::Logs::LogGroup")).find((id) =>
      id.includes("AuthLogs"),
    );
    statements = (
      resolveIntrinsics(policy?.Properties.PolicyDocument, {
        ...PSEUDO,
        [authGroup ?? ""]: "/cloudjail/Cloudjail/auth",
      }) as { Statement: PolicyStatementJson[] }
    ).Statement.map((statement) => ({
      ...statement,
      Resource: [statement.Resource]
        .flat()
        .map((resource) =>
          String(resource).replace(`<${authGroup}.Arn>`, logGroupArn("/cloudjail/Cloudjail/auth")),
        ),
    }));
  }, SYNTH_TIMEOUT);

  it("runs every 15 minutes with the protected VPCs, the subscribed log groups and the threshold it reads", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(15 minutes)",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [watcher.logicalId, "Arn"] } })],
    });
    const environment = resolveIntrinsics(watcher.environment) as Record<string, string>;
    const authRef = Object.keys(template.findResources("AWS::Logs::LogGroup")).find((id) =>
      id.includes("AuthLogs"),
    );
    expect(readFleetWatchEnvironment(environment)).toEqual({
      network: { vpcIds: [VPC], naclIds: [] },
      logGroupNames: [`<Ref:${authRef}>`, "/existing/secure"],
      silentAfterSeconds: 86_400,
    });
  });

  it("may describe the fleet and the streams of the stack's log groups, and nothing else", () => {
    const allowed = (action: string, resource: string) => isAllowed(statements, { action, resource });
    expect(allowed("ec2:DescribeInstances", "*")).toBe(true);
    expect(allowed("ec2:DescribeNetworkAcls", "*")).toBe(true);
    expect(allowed("logs:DescribeLogStreams", logGroupArn("/cloudjail/Cloudjail/auth"))).toBe(true);
    expect(allowed("logs:DescribeLogStreams", logGroupArn("/existing/secure"))).toBe(true);
    expect(allowed("logs:DescribeLogStreams", logGroupArn("/somebody/else"))).toBe(false);
    for (const action of [
      "logs:GetLogEvents",
      "logs:FilterLogEvents",
      "ec2:CreateNetworkAclEntry",
      "ssm:SendCommand",
    ]) {
      expect(allowed(action, "*"), action).toBe(false);
      expect(allowed(action, logGroupArn("/cloudjail/Cloudjail/auth")), action).toBe(false);
    }
  });

  it("alarms through the alert topic when one protected instance is silent", () => {
    const topic = Object.keys(template.findResources("AWS::SNS::Topic"))[0];
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "SilentInstances",
      Namespace: "Cloudjail",
      Dimensions: [{ Name: "service", Value: "cloudjail" }],
      Statistic: "Maximum",
      Period: 900,
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      AlarmActions: [{ Ref: topic }],
      OKActions: [{ Ref: topic }],
    });
  });
});

describe("FleetWatch on its own", () => {
  function build(silentAfter?: Duration) {
    const stack = new Stack(new App(), "Test");
    const alerts = new CloudjailAlerts(stack, "Alerts");
    return new FleetWatch(stack, "FleetWatch", {
      network: { vpcIds: [VPC] },
      logGroups: [logs.LogGroup.fromLogGroupName(stack, "Auth", "/auth")],
      alerts,
      logRetention: logs.RetentionDays.ONE_WEEK,
      dashboard: new cloudwatch.Dashboard(stack, "Dashboard"),
      ...(silentAfter ? { silentAfter } : {}),
    });
  }

  it("refuses a threshold below two hours: CloudWatch Logs reports streams up to an hour late", () => {
    expect(() => build(Duration.minutes(90))).toThrow(/silentAfter 1 hour 30 minutes is below 2 hours/);
    expect(build(Duration.hours(6)).silentAfter.toSeconds()).toBe(21_600);
  });
});
