import { Annotations, CfnResource, Duration, Stack, Token, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as destinations from "aws-cdk-lib/aws-lambda-destinations";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as logsDestinations from "aws-cdk-lib/aws-logs-destinations";
import * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS_NAMESPACE } from "../lambda/core/telemetry";
import type { NaclSettings } from "../lambda/core/types";
import { POWERTOOLS_ENVIRONMENT, RUNTIME_ENVIRONMENT } from "../lambda/handlers/environment";
import { AccountIntake } from "./account-intake";
import { AuthLogShipping } from "./auth-log-shipping";
import { CloudjailAlerts } from "./cloudjail-alerts";
import { CloudjailFunction } from "./cloudjail-function";
import { SERVICE_NAME } from "./cloudjail-metrics";
import { CloudjailMonitoring } from "./cloudjail-monitoring";
import { type CloudjailOverflow, createOverflow } from "./cloudjail-overflow";
import { type CloudjailProps, reservedConcurrencyNotice, resolveCloudjailProps } from "./cloudjail-props";
import { CloudjailSettingsError } from "./cloudjail-settings-error";
import { CloudjailTable } from "./cloudjail-table";
import { subscriptionFilterPattern } from "./filter-pattern";
import { FleetOnboarding } from "./fleet-onboarding";
import { FleetWatch } from "./fleet-watch";
import { naclWritePolicyStatements, networkReadStatement } from "./nacl-write-statements";
import { NetworkFirewallOverflow } from "./network-firewall-overflow";
import { type OperatorResources, type OperatorRight, operatorStatements } from "./operator-statements";

/**
 * fail2ban for a fleet: auth log lines arrive in CloudWatch Logs, a subscription hands the ones a jail can match to
 * the responder, which counts failures in DynamoDB and writes NACL deny entries; the unbanner lifts them on schedule.
 * Usable in any CDK app: `new Cloudjail(stack, "Cloudjail", { config })`.
 */
export class Cloudjail extends Construct {
  public readonly table: dynamodb.ITable;
  public readonly responder: nodejs.NodejsFunction;
  public readonly unbanner: nodejs.NodejsFunction;
  /** Batches the responder failed on after Lambda's two retries (encrypted, kept 14 days). */
  public readonly failedBatches: sqs.Queue;
  /** Alarms and (unless the configuration names its own topic) ban notifications. */
  public readonly alertTopic: sns.Topic;
  /** Where the Lambdas publish bans and unbans: the configuration's `topicArn`, else the alert topic. */
  public readonly notificationTopic: sns.ITopic;
  /** The agent log group and its agent configuration, unless `shipAgentLogs` is false. */
  public readonly authLogs: AuthLogShipping | undefined;
  /** The State Manager associations installing and configuring the agent, unless `onboarding` is false. */
  public readonly onboarding: FleetOnboarding | undefined;
  /** The account-level subscription filter policy, when `accountWideIntake` asks for it. */
  public readonly accountIntake: AccountIntake | undefined;
  /** Every log group the responder is subscribed to. */
  public readonly subscriptions: readonly logs.SubscriptionFilter[];
  /** The CloudWatch Logs filter pattern of the subscriptions (`""` = every line). */
  public readonly filterPattern: string;
  public readonly unbanSchedule: events.Rule;
  public readonly monitoring: CloudjailMonitoring;
  /** The WAF IP sets or Network Firewall rule group the configuration's `overflow` chooses, if it chooses one. */
  public readonly overflow: CloudjailOverflow | undefined;
  /** Counts the protected instances whose auth log has gone silent, with its alarm (lib/fleet-watch.ts). */
  public readonly fleetWatch: FleetWatch;
  /** The variables the responder and the unbanner start from (another runtime Lambda, e.g. issue 16's enforcer). */
  public readonly runtimeEnvironment: Readonly<Record<string, string>>;

  private readonly nacl: NaclSettings;
  private readonly logGroups: readonly logs.ILogGroup[];
  private readonly alertKeyArn: string | undefined;

  constructor(scope: Construct, id: string, props: CloudjailProps) {
    super(scope, id);
    const settings = resolveCloudjailProps(props, Stack.of(this).stackName);
    for (const warning of settings.warnings) {
      Annotations.of(this).addWarningV2("cloudjail:rule-order", warning);
    }
    if (settings.responderConcurrency !== undefined) {
      Annotations.of(this).addWarningV2("cloudjail:concurrency-quota", reservedConcurrencyNotice());
    }

    this.table = settings.table ?? new CloudjailTable(this, "State").table;
    const alerts = new CloudjailAlerts(this, "Alerts", { email: settings.alertEmail });
    this.alertTopic = alerts.topic;
    // Ban notifications go to the configuration's own topic if it names one; alarms always use the alert topic.
    this.notificationTopic =
      settings.config.topicArn === undefined
        ? alerts.topic
        : sns.Topic.fromTopicArn(this, "NotificationTopic", settings.config.topicArn);
    this.failedBatches = new sqs.Queue(this, "FailedBatches", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failedBatches).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This queue is itself the responder's dead-letter store (its Lambda on-failure destination); nothing consumes " +
        "it automatically, so a second dead-letter queue behind it would never receive a message.",
    });

    const environment = {
      [RUNTIME_ENVIRONMENT.table]: this.table.tableName,
      [RUNTIME_ENVIRONMENT.config]: Stack.of(this).toJsonString({
        ...settings.config,
        topicArn: this.notificationTopic.topicArn,
      }),
      [POWERTOOLS_ENVIRONMENT.serviceName]: SERVICE_NAME,
      [POWERTOOLS_ENVIRONMENT.metricsNamespace]: METRICS_NAMESPACE,
    };
    this.runtimeEnvironment = environment;
    const responder = new CloudjailFunction(this, "Responder", {
      entry: "lambda/handlers/responder.ts",
      description: "Counts sshd failures from CloudWatch Logs and bans offenders in the network ACLs",
      timeout: Duration.minutes(1),
      memorySize: 512,
      logRetention: settings.logRetention,
      reservedConcurrency: settings.responderConcurrency,
      environment,
    });
    this.responder = responder.function;
    // CloudWatch Logs invokes asynchronously. A throttled batch waits in Lambda's queue for up to six hours rather
    // than being dropped (its lines carry their own times); a failing one is retried twice, then kept in the queue.
    this.responder.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.failedBatches),
    });

    const unbanner = new CloudjailFunction(this, "Unbanner", {
      entry: "lambda/handlers/unbanner.ts",
      description: "Lifts expired cloudjail bans and repairs drift between DynamoDB and the network ACLs",
      // Shorter than the schedule so that runs never overlap.
      timeout: Duration.seconds(50),
      logRetention: settings.logRetention,
      reservedConcurrency: settings.unbannerConcurrency,
      environment,
    });
    this.unbanner = unbanner.function;
    // A missed run is repaired by the next one; retrying a stale run would only overlap it.
    this.unbanner.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    this.unbanSchedule = new events.Rule(this, "UnbanSchedule", {
      description: "Runs the cloudjail unbanner",
      schedule: events.Schedule.rate(settings.unbanInterval),
      targets: [new targets.LambdaFunction(this.unbanner, { retryAttempts: 0 })],
    });

    for (const role of [responder.role, unbanner.role]) {
      this.grantRuntime(role, settings.config.nacl);
    }
    this.overflow = createOverflow(this, settings.config.overflow, [responder.role, unbanner.role]);
    if (this.overflow) {
      // CloudFormation fills in the ids and ARN, known only once the target exists.
      const where = Stack.of(this).toJsonString(this.overflow.ref);
      for (const fn of [this.responder, this.unbanner])
        fn.addEnvironment(RUNTIME_ENVIRONMENT.overflow, where);
    }

    this.authLogs = settings.shipAgentLogs
      ? new AuthLogShipping(this, "AuthLogs", {
          retention: settings.logRetention,
          parameterName: settings.agentParameterName,
        })
      : undefined;
    this.onboarding =
      this.authLogs && settings.onboarding
        ? new FleetOnboarding(this, "Onboarding", {
            agentParameter: this.authLogs.agentParameter,
            targets: settings.onboardingTargets,
            schedule: settings.onboardingSchedule,
            agentVersion: settings.agentVersion,
          })
        : undefined;
    this.filterPattern = subscriptionFilterPattern(settings.config);
    const logGroups = [...(this.authLogs ? [this.authLogs.logGroup] : []), ...settings.existingLogGroups];
    this.logGroups = logGroups;
    this.nacl = settings.config.nacl;
    this.alertKeyArn = this.notificationTopic === alerts.topic ? alerts.key.keyArn : undefined;
    this.subscriptions = logGroups.map(
      (logGroup, index) =>
        new logs.SubscriptionFilter(
          this,
          index === 0 && this.authLogs ? "AuthLogsSubscription" : `Subscription${index}`,
          {
            logGroup,
            destination: new logsDestinations.LambdaDestination(this.responder),
            filterPattern: logs.FilterPattern.literal(this.filterPattern),
            // Unique per log group: two stacks may subscribe the same existing group.
            filterName: `${Stack.of(this).stackName}-cloudjail`,
          },
        ),
    );
    this.accountIntake = settings.accountWideIntake
      ? new AccountIntake(this, "AccountIntake", {
          destination: this.responder,
          filterPattern: this.filterPattern,
          excludedLogGroups: settings.existingLogGroups,
        })
      : undefined;

    this.monitoring = new CloudjailMonitoring(this, "Monitoring", {
      responder: this.responder,
      responderLogGroup: responder.logGroup,
      unbanner: this.unbanner,
      failedBatches: this.failedBatches,
      alerts,
      naclSlotsLowThreshold: settings.naclSlotsLowThreshold,
      overflow: this.overflow !== undefined,
    });
    this.fleetWatch = new FleetWatch(this, "FleetWatch", {
      network: settings.config.nacl,
      logGroups,
      alerts,
      logRetention: settings.logRetention,
      dashboard: this.monitoring.dashboard,
    });
  }

  /**
   * The rights of a `cloudjail` CLI user who looks: `status`, `banned`, `get`, `fleet`, `doctor`, `ping` (the stack,
   * the table, the network and fleet reads, the Lambdas' and queue's health). docs/cli.md prints the same statements.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantOperator(grantee, "read");
  }

  /** {@link grantRead} plus what `ban`, `unban` and `set` write: ban records, the managed NACLs, notifications. */
  grantOperate(grantee: iam.IGrantable): iam.Grant {
    return this.grantOperator(grantee, "operate");
  }

  private grantOperator(grantee: iam.IGrantable, right: OperatorRight): iam.Grant {
    const stack = Stack.of(this);
    const resources: OperatorResources = {
      stackArn: stack.formatArn({
        service: "cloudformation",
        resource: "stack",
        resourceName: `${stack.stackName}/*`,
      }),
      tableArn: this.table.tableArn,
      functionArns: [
        this.responder.functionArn,
        this.unbanner.functionArn,
        this.fleetWatch.function.functionArn,
      ],
      failedBatchesQueueArn: this.failedBatches.queueArn,
      alertTopicArn: this.alertTopic.topicArn,
      notificationTopicArn: this.notificationTopic.topicArn,
      ...(this.alertKeyArn === undefined ? {} : { notificationKeyArn: this.alertKeyArn }),
      logGroupArns: this.logGroups.map((group) => group.logGroupArn),
      ec2Arn: (resource, id) => stack.formatArn({ service: "ec2", resource, resourceName: id }),
      nacl: this.nacl,
      ...(this.overflow === undefined ? {} : { overflow: overflowArns(this.overflow) }),
    };
    const statements = operatorStatements(resources, right);
    let grant: iam.Grant | undefined;
    for (const statement of statements) {
      const next = iam.Grant.addToPrincipal({
        grantee,
        actions: [...statement.Action],
        resourceArns: [...statement.Resource],
        ...(statement.Condition ? { conditions: statement.Condition } : {}),
      });
      grant = grant === undefined ? next : grant.combine(next);
    }
    return grant as iam.Grant;
  }

  /**
   * Lets instances with this role ship their auth logs into the stack's log group with its agent configuration
   * (the managed policy `authLogs.instancePolicy`). Throws when `shipAgentLogs` is false: there is nothing to ship to.
   */
  public grantLogShipping(role: iam.IRole): void {
    if (!this.authLogs) {
      throw new CloudjailSettingsError("grantLogShipping needs the stack's auth log group (shipAgentLogs)");
    }
    this.authLogs.grantLogShipping(role);
  }

  /** Table, topic and network access of one Lambda role, with the cdk-nag findings each grant raises explained. */
  public grantRuntime(role: iam.Role, nacl: NaclSettings): void {
    const nag = Validations.of(role);
    this.table.grantReadWriteData(role);
    const cfnTable = this.table.node.defaultChild;
    if (cfnTable instanceof CfnResource) {
      nag.acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(cfnTable)}.Arn>/index/*]`,
        reason:
          "The unbanner queries the bansByEnd index; index/* covers only the indexes of cloudjail's own table.",
      });
    }
    this.notificationTopic.grantPublish(role);
    nag.acknowledge({
      id: "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      reason:
        "Publishing to the encrypted alert topic needs kms:GenerateDataKey* (the grant CDK's topic.grantPublish " +
        "makes), on the topic's own key only.",
    });
    for (const statement of naclWritePolicyStatements(this, nacl)) role.addToPrincipalPolicy(statement);
    if (nacl.vpcIds.length > 0) {
      nag.acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArn(Stack.of(this), "network-acl/*")}]`,
        reason:
          "Protected by VPC id: the NACLs are unknown at synth (no lookups), so writes are allowed on a NACL only if " +
          "it belongs to a protected VPC (ec2:Vpc condition on the same statement).",
      });
    }
    role.addToPrincipalPolicy(networkReadStatement(nacl));
    nag.acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "ec2:DescribeNetworkAcls (and, with scope subnet, DescribeInstances; with aggregation, DescribeVpcs) " +
        "support no resource-level permissions; they are read-only and the only actions granted on *.",
    });
  }
}

/**
 * An EC2 ARN of the stack as cdk-nag writes it in a finding's id: the pseudo parameters CloudFormation resolves as
 * `<AWS::Region>`, the values the stack already knows (`cdk synth` with an account and region) as they are.
 */
function nagArn(stack: Stack, resource: string): string {
  const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  return `arn:${part(stack.partition, "Partition")}:ec2:${part(stack.region, "Region")}:${part(stack.account, "AccountId")}:${resource}`;
}

/** The ARNs of the overflow target, with the service that writes them. */
function overflowArns(overflow: CloudjailOverflow): NonNullable<OperatorResources["overflow"]> {
  if (overflow instanceof NetworkFirewallOverflow) {
    return { kind: "network-firewall", arns: [overflow.ruleGroup.attrRuleGroupArn] };
  }
  return { kind: "waf", arns: [overflow.ipv4.attrArn, ...(overflow.ipv6 ? [overflow.ipv6.attrArn] : [])] };
}
