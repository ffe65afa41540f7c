import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { TABLE_SCHEMA } from "../../lambda/aws/table-schema";
import { FAILURES_LOG, METRIC, METRICS_NAMESPACE } from "../../lambda/core/telemetry";
import type { CloudjailConfig } from "../../lambda/core/types";
import { readRuntimeEnvironment } from "../../lambda/handlers/runtime";
import { AGENT_PARAMETER_NAME, AUTH_LOG_FILES } from "../../lib/agent-config";
import { subscriptionFilterPattern } from "../../lib/filter-pattern";
import { STACK_OUTPUTS } from "../../lib/stack-outputs";
import {
  PSEUDO,
  resolveIntrinsics,
  SYNTH_TIMEOUT,
  stableTemplate,
  synthCloudjail,
} from "./support/synth-cloudjail";

const VPC = "vpc-0123456789abcdef0";
const EMAIL = "ops@example.com";

let template: Template;
let config: CloudjailConfig;

/** The one resource of a type whose logical id contains `name`. */
// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON.
function resourceNamed(type: string, name: string): { id: string; resource: Record<string, any> } {
  const matches = Object.entries(template.findResources(type)).filter(([id]) => id.includes(name));
  expect(matches, `${type} named ${name}`).toHaveLength(1);
  const [[id, resource]] = matches;
  return { id, resource };
}

beforeAll(() => {
  ({ template } = synthCloudjail({ "cloudjail:vpcIds": [VPC], "cloudjail:alertEmail": EMAIL }));
  const responder = resourceNamed("AWS::Lambda::Function", "Responder").resource;
  const env = resolveIntrinsics(responder.Properties.Environment.Variables) as Record<string, string>;
  config = JSON.parse(env.CLOUDJAIL_CONFIG);
}, SYNTH_TIMEOUT);

describe("the cloudjail stack", () => {
  it("matches its snapshot (asset hashes stripped)", () => {
    expect(stableTemplate(template)).toMatchSnapshot();
  });

  describe("configured from the seed article's jail.local", () => {
    it("gives the responder the article's sshd jail: 3 failures in 300 s ban for 3600 s", () => {
      expect(config.jails).toHaveLength(1);
      expect(config.jails[0]).toMatchObject({
        name: "sshd",
        enabled: true,
        filter: "sshd",
        mode: "normal",
        maxretry: 3,
        findtime: 300,
        bantime: 3600,
      });
    });

    it("never bans the article's ignoreip addresses", () => {
      expect(config.jails[0].ignoreip).toEqual(expect.arrayContaining(["127.0.0.1/8", "::1", "103.1.2.3"]));
    });

    it("protects the VPCs from context and notifies the stack's topic", () => {
      expect(config.nacl.vpcIds).toEqual([VPC]);
      const topic = resourceNamed("AWS::SNS::Topic", "Alerts").id;
      expect(config.topicArn).toBe(`<Ref:${topic}>`);
    });

    it("sets an environment the Lambdas' runtime accepts at cold start, with the same jails", () => {
      const topic = resourceNamed("AWS::SNS::Topic", "Alerts").id;
      const table = resourceNamed("AWS::DynamoDB::Table", "Table").id;
      const deployed = {
        ...PSEUDO,
        [topic]: "arn:aws:sns:eu-west-1:123456789012:alerts",
        [table]: "cloudjail-state",
      };
      const fn = resourceNamed("AWS::Lambda::Function", "Responder").resource;
      const env = resolveIntrinsics(fn.Properties.Environment.Variables, deployed) as Record<string, string>;
      const runtime = readRuntimeEnvironment(env);
      expect(runtime.tableName).toBe("cloudjail-state");
      expect(runtime.config.topicArn).toBe("arn:aws:sns:eu-west-1:123456789012:alerts");
      expect(runtime.config.jails).toEqual(config.jails);
      expect(runtime.config.nacl).toEqual(config.nacl);
    });

    it("gives the unbanner the same configuration and table", () => {
      const variables = (name: string) =>
        resolveIntrinsics(
          resourceNamed("AWS::Lambda::Function", name).resource.Properties.Environment.Variables,
        );
      expect(variables("Unbanner")).toEqual(variables("Responder"));
    });
  });

  describe("state", () => {
    it("keeps bans in an on-demand, recoverable, encrypted table that outlives the stack", () => {
      template.hasResource("AWS::DynamoDB::Table", {
        DeletionPolicy: "Retain",
        UpdateReplacePolicy: "Retain",
        Properties: Match.objectLike({
          BillingMode: "PAY_PER_REQUEST",
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          DeletionProtectionEnabled: true,
          KeySchema: [
            { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: "HASH" },
            { AttributeName: TABLE_SCHEMA.sortKey, KeyType: "RANGE" },
          ],
        }),
      });
    });

    it("uses TTL only on the purge attribute, and indexes active bans by end time", () => {
      template.hasResourceProperties("AWS::DynamoDB::Table", {
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.ttlAttribute, Enabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({
            IndexName: TABLE_SCHEMA.bansByEndIndex,
            KeySchema: [
              { AttributeName: TABLE_SCHEMA.banShardAttribute, KeyType: "HASH" },
              { AttributeName: TABLE_SCHEMA.banEndsAtAttribute, KeyType: "RANGE" },
            ],
          }),
        ],
      });
    });
  });

  describe("the Lambdas", () => {
    it.each(["Responder", "Unbanner"])("runs the %s on arm64 Node.js 24 with source maps", (name) => {
      const { Properties } = resourceNamed("AWS::Lambda::Function", name).resource;
      expect(Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
      });
      expect(Properties.Environment.Variables).toMatchObject({
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      });
      expect(Properties.Environment.Variables.CLOUDJAIL_TABLE).toEqual({
        Ref: expect.stringContaining("Table"),
      });
    });

    it.each(["Responder", "Unbanner"])(
      "writes the %s's logs to its own log group with a retention",
      (name) => {
        const { id: logGroup, resource } = resourceNamed("AWS::Logs::LogGroup", `${name}Logs`);
        expect(resource.Properties.RetentionInDays).toBe(90);
        const fn = resourceNamed("AWS::Lambda::Function", name).resource;
        expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroup } });
      },
    );

    it("caps the responder at 5 concurrent runs and the unbanner at 1", () => {
      const concurrency = (name: string) =>
        resourceNamed("AWS::Lambda::Function", name).resource.Properties.ReservedConcurrentExecutions;
      expect(concurrency("Responder")).toBe(5);
      expect(concurrency("Unbanner")).toBe(1);
    });

    it("retries a failed batch twice, then keeps it in an encrypted queue", () => {
      const queue = resourceNamed("AWS::SQS::Queue", "FailedBatches");
      expect(queue.resource.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1209600,
      });
      template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
        FunctionName: { Ref: resourceNamed("AWS::Lambda::Function", "Responder").id },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queue.id, "Arn"] } } },
      });
    });

    it("runs the unbanner every minute", () => {
      template.hasResourceProperties("AWS::Events::Rule", {
        ScheduleExpression: "rate(1 minute)",
        Targets: [
          Match.objectLike({
            Arn: { "Fn::GetAtt": [resourceNamed("AWS::Lambda::Function", "Unbanner").id, "Arn"] },
          }),
        ],
      });
    });
  });

  describe("log shipping", () => {
    it("stores a CloudWatch agent configuration, files and journal, that the agent finds by name", () => {
      const { Properties } = resourceNamed("AWS::SSM::Parameter", "AgentConfig").resource;
      expect(Properties.Name).toBe(AGENT_PARAMETER_NAME);
      const agent = JSON.parse(resolveIntrinsics(Properties.Value) as string);
      const logGroup = resourceNamed("AWS::Logs::LogGroup", "AuthLogs").id;
      expect(agent.logs.logs_collected.files.collect_list).toEqual(
        AUTH_LOG_FILES.map((file) => ({
          file_path: file,
          log_group_name: `<Ref:${logGroup}>`,
          log_stream_name: "{instance_id}",
        })),
      );
      expect(agent.logs.logs_collected.journald.collect_list).toEqual([
        expect.objectContaining({
          log_group_name: `<Ref:${logGroup}>`,
          log_stream_name: "{instance_id}/journald",
        }),
      ]);
    });

    it("onboards instances tagged cloudjail:protect: installs the agent, appends cloudjail's configuration", () => {
      for (const document of ["AWS-ConfigureAWSPackage", "AmazonCloudWatch-ManageAgent"]) {
        template.hasResourceProperties("AWS::SSM::Association", {
          Name: document,
          Targets: [{ Key: "tag-key", Values: ["cloudjail:protect"] }],
          ScheduleExpression: "rate(30 minutes)",
        });
      }
    });

    it("outputs the managed policy instance roles need to ship", () => {
      const policy = resourceNamed("AWS::IAM::ManagedPolicy", "InstancePolicy").id;
      expect(template.toJSON().Outputs.InstancePolicyArn.Value).toEqual({ Ref: policy });
    });

    it("subscribes the responder to the auth log group with a pattern derived from the enabled jails", () => {
      const pattern = subscriptionFilterPattern(config);
      expect(pattern).toMatch(/^\?"Failed" /);
      template.hasResourceProperties("AWS::Logs::SubscriptionFilter", {
        FilterPattern: pattern,
        LogGroupName: { Ref: resourceNamed("AWS::Logs::LogGroup", "AuthLogs").id },
        DestinationArn: { "Fn::GetAtt": [resourceNamed("AWS::Lambda::Function", "Responder").id, "Arn"] },
      });
    });
  });

  describe("operations", () => {
    it("encrypts the alert topic with a key CloudWatch alarms may use, and subscribes the e-mail from context", () => {
      const key = resourceNamed("AWS::KMS::Key", "Alerts");
      expect(key.resource.Properties.EnableKeyRotation).toBe(true);
      expect(key.resource.Properties.KeyPolicy.Statement).toContainEqual(
        expect.objectContaining({ Principal: { Service: "cloudwatch.amazonaws.com" } }),
      );
      template.hasResourceProperties("AWS::SNS::Topic", {
        KmsMasterKeyId: { "Fn::GetAtt": [key.id, "Arn"] },
      });
      template.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: EMAIL });
    });

    it("alarms on responder errors, waiting failed batches, nearly full NACLs and pending bans", () => {
      const topic = { Ref: resourceNamed("AWS::SNS::Topic", "Alerts").id };
      const alarm = (name: string) => resourceNamed("AWS::CloudWatch::Alarm", name).resource.Properties;
      for (const name of [
        "ResponderErrors",
        "UnbannerErrors",
        "FailedBatches",
        "NaclSlotsLow",
        "PendingBans",
      ]) {
        expect(alarm(name).AlarmActions, name).toEqual([topic]);
      }
      expect(alarm("ResponderErrors")).toMatchObject({
        MetricName: "Errors",
        Namespace: "AWS/Lambda",
        Threshold: 1,
      });
      expect(alarm("FailedBatches")).toMatchObject({
        MetricName: "ApproximateNumberOfMessagesVisible",
        Threshold: 1,
      });
      expect(alarm("NaclSlotsLow")).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.naclSlotsFree,
        Statistic: "Minimum",
        Threshold: 2,
        ComparisonOperator: "LessThanOrEqualToThreshold",
        Dimensions: [{ Name: "service", Value: "cloudjail" }],
      });
      expect(alarm("PendingBans")).toMatchObject({
        MetricName: METRIC.pendingBans,
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
      });
    });

    it("ranks offending addresses with a Contributor Insights rule on the responder's structured logs", () => {
      const { Properties } = resourceNamed("AWS::CloudWatch::InsightRule", "TopOffenders").resource;
      const rule = JSON.parse(resolveIntrinsics(Properties.RuleBody) as string);
      expect(rule).toMatchObject({
        LogGroupNames: [`<Ref:${resourceNamed("AWS::Logs::LogGroup", "ResponderLogs").id}>`],
        LogFormat: "JSON",
        AggregateOn: "Sum",
        Contribution: {
          Keys: [`$.${FAILURES_LOG.ipField}`],
          ValueOf: `$.${FAILURES_LOG.countField}`,
          Filters: [{ Match: "$.message", In: [FAILURES_LOG.message] }],
        },
      });
    });

    it("charts failures, bans, active and pending bans, NACL slots, errors and top offenders", () => {
      const { Properties } = resourceNamed("AWS::CloudWatch::Dashboard", "Dashboard").resource;
      const body = JSON.parse(resolveIntrinsics(Properties.DashboardBody) as string);
      const titles = body.widgets.map((widget: { properties: { title: string } }) => widget.properties.title);
      expect(titles).toEqual(
        expect.arrayContaining([
          "Failed logins per minute",
          "Bans and unbans",
          "Active and pending bans",
          "Free NACL slots",
          "Errors",
          "Top offending addresses",
        ]),
      );
      const offenders = body.widgets.find((widget: { properties: { title: string } }) =>
        widget.properties.title.startsWith("Top"),
      );
      expect(offenders.properties.insightRule).toMatchObject({ maxContributorCount: 10, orderBy: "Sum" });
      const charted = JSON.stringify(body);
      for (const metric of [
        METRIC.failures,
        METRIC.bans,
        METRIC.activeBans,
        METRIC.pendingBans,
        METRIC.naclSlotsFree,
      ]) {
        expect(charted).toContain(`"${metric}"`);
      }
    });

    it("exports the names the cloudjail CLI looks up", () => {
      const outputs = Object.keys(template.toJSON().Outputs);
      expect(outputs).toEqual(expect.arrayContaining(Object.values(STACK_OUTPUTS)));
    });

    it("creates no overflow target and tells the Lambdas of none when the configuration chooses none", () => {
      for (const type of ["AWS::WAFv2::IPSet", "AWS::NetworkFirewall::RuleGroup"]) {
        template.resourceCountIs(type, 0);
      }
      for (const name of ["Responder", "Unbanner"]) {
        const fn = resourceNamed("AWS::Lambda::Function", name).resource;
        expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain("CLOUDJAIL_OVERFLOW");
      }
      expect(config.overflow).toBeUndefined();
      const outputs = Object.keys(template.toJSON().Outputs);
      expect(outputs.filter((name) => name.startsWith("Overflow"))).toEqual([]);
    });
  });
});

describe("a stack that subscribes existing log groups instead of shipping its own", () => {
  let existing: Template;
  beforeAll(() => {
    ({ template: existing } = synthCloudjail({
      "cloudjail:naclIds": "acl-0123456789abcdef0",
      "cloudjail:logGroupNames": "/var/log/secure,/fleet/auth",
      "cloudjail:shipAgentLogs": "false",
      "cloudjail:reserveConcurrency": false,
    }));
  }, SYNTH_TIMEOUT);

  it("subscribes each named group and creates no agent configuration", () => {
    existing.resourceCountIs("AWS::Logs::SubscriptionFilter", 2);
    existing.hasResourceProperties("AWS::Logs::SubscriptionFilter", { LogGroupName: "/var/log/secure" });
    existing.hasResourceProperties("AWS::Logs::SubscriptionFilter", { LogGroupName: "/fleet/auth" });
    existing.resourceCountIs("AWS::SSM::Parameter", 0);
    existing.resourceCountIs("AWS::SSM::Association", 0);
    existing.resourceCountIs("AWS::IAM::ManagedPolicy", 0);
  });

  it("reserves no concurrency when told the account cannot spare it", () => {
    for (const fn of Object.values(existing.findResources("AWS::Lambda::Function"))) {
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
  });
});
