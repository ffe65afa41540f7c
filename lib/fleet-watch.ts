import { Duration, Stack, Token, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { DEFAULT_SILENT_AFTER_SECONDS, MIN_SILENT_AFTER_SECONDS } from "../lambda/core/fleet-silence";
import { METRIC, METRICS_NAMESPACE } from "../lambda/core/telemetry";
import type { NaclSettings } from "../lambda/core/types";
import { FLEET_WATCH_ENVIRONMENT, POWERTOOLS_ENVIRONMENT } from "../lambda/handlers/environment";
import type { CloudjailAlerts } from "./cloudjail-alerts";
import { CloudjailFunction } from "./cloudjail-function";
import { cloudjailMetric, SERVICE_NAME } from "./cloudjail-metrics";
import { CloudjailSettingsError } from "./cloudjail-settings-error";

export interface FleetWatchProps {
  /** What cloudjail protects: the instances of these VPCs, and of the subnets these NACLs guard. */
  readonly network: Pick<NaclSettings, "vpcIds" | "naclIds">;
  /** The log groups the CloudWatch agent ships into, with streams named by instance id. */
  readonly logGroups: readonly logs.ILogGroup[];
  /** The alarm notifies this topic, as the stack's other alarms do. */
  readonly alerts: CloudjailAlerts;
  /** Retention of the watcher's own log group. */
  readonly logRetention: logs.RetentionDays;
  /**
   * A dashboard to add the fleet's graph and the alarm's status to.
   * @default none
   */
  readonly dashboard?: cloudwatch.Dashboard;
  /**
   * How long a running instance may go without an auth-log event before it counts as silent; at least 2 hours,
   * because CloudWatch Logs updates a stream's last-event time up to an hour late.
   * @default Duration.days(1)
   */
  readonly silentAfter?: Duration;
  /**
   * How often the watcher counts.
   * @default Duration.minutes(15)
   */
  readonly interval?: Duration;
}

/**
 * "Protected instances gone silent": a scheduled Lambda (lambda/handlers/fleet-watch.ts) that counts the running
 * instances of the protected network whose auth log has stopped arriving (lambda/core/fleet-silence.ts, the same
 * definition `cloudjail fleet` uses), publishes `SilentInstances`, and an alarm on it that notifies the alert topic.
 * Its role may only describe instances and NACLs (EC2 offers no resource-level permission for them) and the streams
 * of the given log groups; it reads no log event.
 */
export class FleetWatch extends Construct {
  public readonly function: lambda.IFunction;
  public readonly role: iam.Role;
  public readonly schedule: events.Rule;
  public readonly silentInstancesAlarm: cloudwatch.Alarm;
  /** The threshold the watcher and `cloudjail fleet` (which reads it from the template) apply. */
  public readonly silentAfter: Duration;

  constructor(scope: Construct, id: string, props: FleetWatchProps) {
    super(scope, id);
    this.silentAfter = props.silentAfter ?? Duration.seconds(DEFAULT_SILENT_AFTER_SECONDS);
    const interval = props.interval ?? Duration.minutes(15);
    if (this.silentAfter.toSeconds() < MIN_SILENT_AFTER_SECONDS) {
      throw new CloudjailSettingsError(
        `fleet watch: silentAfter ${this.silentAfter.toHumanString()} is below 2 hours; CloudWatch Logs reports a ` +
          "stream's last event up to an hour late, so shipping instances would count as silent",
      );
    }
    const stack = Stack.of(this);
    const watcher = new CloudjailFunction(this, "Watcher", {
      entry: "lambda/handlers/fleet-watch.ts",
      description: "Counts protected instances whose auth log has gone silent",
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
      reservedConcurrency: undefined,
      environment: {
        [FLEET_WATCH_ENVIRONMENT.vpcIds]: stack.toJsonString(props.network.vpcIds),
        [FLEET_WATCH_ENVIRONMENT.naclIds]: stack.toJsonString(props.network.naclIds ?? []),
        [FLEET_WATCH_ENVIRONMENT.logGroups]: stack.toJsonString(
          props.logGroups.map((logGroup) => logGroup.logGroupName),
        ),
        [FLEET_WATCH_ENVIRONMENT.silentAfterSeconds]: String(this.silentAfter.toSeconds()),
        [POWERTOOLS_ENVIRONMENT.serviceName]: SERVICE_NAME,
        [POWERTOOLS_ENVIRONMENT.metricsNamespace]: METRICS_NAMESPACE,
      },
    });
    this.function = watcher.function;
    this.role = watcher.role;
    // A missed run is repaired by the next one.
    watcher.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(5) });
    this.schedule = new events.Rule(this, "Schedule", {
      description: "Runs cloudjail's fleet watcher",
      schedule: events.Schedule.rate(interval),
      targets: [new targets.LambdaFunction(watcher.function, { retryAttempts: 0 })],
    });

    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: "DescribeProtectedFleet",
        actions: ["ec2:DescribeInstances", "ec2:DescribeNetworkAcls"],
        resources: ["*"],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "ec2:DescribeInstances and ec2:DescribeNetworkAcls support no resource-level permissions; they are read-only " +
        "and the only actions granted on *.",
    });
    for (const logGroup of props.logGroups) {
      logGroup.grant(this.role, "logs:DescribeLogStreams");
      // An imported group's ARN is written with the ":*" CloudWatch Logs uses for the group in policies: cdk-nag
      // reads it as a wildcard. A group this stack creates is referenced by its Arn attribute instead.
      if (Token.isUnresolved(logGroup.logGroupName)) continue;
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagLogGroupArn(stack, logGroup.logGroupName)}]`,
        reason:
          'logs:DescribeLogStreams on one log group: ":*" is how CloudWatch Logs writes a log group\'s ARN in IAM ' +
          "policies, not a wildcard over groups.",
      });
    }

    this.silentInstancesAlarm = new cloudwatch.Alarm(this, "SilentInstances", {
      alarmDescription:
        `Protected instances have shipped no auth-log line for ${this.silentAfter.toHumanString()}: cloudjail ` +
        'cannot see attacks on them. "cloudjail fleet" names them and says why (no SSM agent, no instance profile, ' +
        "failed agent association).",
      metric: cloudjailMetric(METRIC.silentInstances, "Maximum", undefined, interval),
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // A watcher that does not run reports nothing: the alarm shows INSUFFICIENT_DATA, `cloudjail doctor` its errors.
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    props.alerts.notify(this.silentInstancesAlarm);
    props.dashboard?.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Protected instances and silent ones",
        left: [
          cloudjailMetric(METRIC.protectedInstances, "Maximum", "running protected instances", interval),
          cloudjailMetric(METRIC.silentInstances, "Maximum", "silent", interval),
        ],
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: "Fleet alarm",
        alarms: [this.silentInstancesAlarm],
        width: 12,
        height: 6,
      }),
    );
  }
}

/** A log group's ARN as cdk-nag writes it in a finding: pseudo parameters as `<AWS::Region>`, known values as they are. */
function nagLogGroupArn(stack: Stack, name: string): string {
  const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  const where = `${part(stack.region, "Region")}:${part(stack.account, "AccountId")}`;
  return `arn:${part(stack.partition, "Partition")}:logs:${where}:log-group:${name}:*`;
}
