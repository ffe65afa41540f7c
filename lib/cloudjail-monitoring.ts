import { Duration, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { FAILURES_LOG, METRIC } from "../lambda/core/telemetry";
import type { CloudjailAlerts } from "./cloudjail-alerts";
import { cloudjailMetric } from "./cloudjail-metrics";
import { TopOffendersWidget } from "./top-offenders-widget";

export interface CloudjailMonitoringProps {
  readonly responder: lambda.IFunction;
  /** The responder's log group, where its `failures counted` lines land. */
  readonly responderLogGroup: logs.ILogGroup;
  readonly unbanner: lambda.IFunction;
  /** The responder's on-failure destination. */
  readonly failedBatches: sqs.IQueue;
  readonly alerts: CloudjailAlerts;
  /** Alarm when a NACL has this many free slots or fewer in cloudjail's reserved range. */
  readonly naclSlotsLowThreshold: number;
  /**
   * The stack has an overflow target: bans pending in the NACLs are held there, so the alarm watches what it refuses
   * (`OverflowRefused`) instead of pending bans, and the dashboard shows its size. @default false
   */
  readonly overflow?: boolean;
}

/**
 * What an operator watches in the console: a dashboard (failures, bans, active and pending bans, NACL slots,
 * errors, top offending addresses) and the alarms that page through the alert topic.
 */
export class CloudjailMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** Ranks source addresses by failures counted, from the responder's structured log lines. */
  public readonly topOffendersRule: cloudwatch.CfnInsightRule;
  public readonly responderErrorsAlarm: cloudwatch.Alarm;
  public readonly unbannerErrorsAlarm: cloudwatch.Alarm;
  public readonly failedBatchesAlarm: cloudwatch.Alarm;
  public readonly naclSlotsLowAlarm: cloudwatch.Alarm;
  /**
   * Attackers blocked nowhere: bans pending for three minutes without an overflow target, or bans the overflow
   * target refused (full) with one.
   */
  public readonly unblockedBansAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CloudjailMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topOffendersRule = new cloudwatch.CfnInsightRule(this, "TopOffenders", {
      ruleName: `${stack.stackName}-top-offenders`,
      ruleState: "ENABLED",
      ruleBody: stack.toJsonString({
        Schema: { Name: "CloudWatchLogRule", Version: 1 },
        LogGroupNames: [props.responderLogGroup.logGroupName],
        LogFormat: "JSON",
        Contribution: {
          Keys: [`$.${FAILURES_LOG.ipField}`],
          ValueOf: `$.${FAILURES_LOG.countField}`,
          Filters: [{ Match: "$.message", In: [FAILURES_LOG.message] }],
        },
        AggregateOn: "Sum",
      }),
    });

    // Labels are for the dashboard; alarms get unlabelled metrics (a label turns an alarm into metric math).
    const failures = cloudjailMetric(METRIC.failures, "Sum", "failures");
    const bans = cloudjailMetric(METRIC.bans, "Sum", "bans");
    const unbans = cloudjailMetric(METRIC.unbans, "Sum", "unbans");
    const activeBans = cloudjailMetric(METRIC.activeBans, "Maximum", "active bans");
    const pendingBans = cloudjailMetric(METRIC.pendingBans, "Maximum", "pending bans");
    const slotsFree = cloudjailMetric(METRIC.naclSlotsFree, "Minimum", "free NACL slots (fullest NACL)");
    const evictions = cloudjailMetric(METRIC.evictions, "Sum", "evictions");
    const skippedLines = cloudjailMetric(METRIC.skippedLines, "Sum", "skipped lines");
    const drift = cloudjailMetric(METRIC.reconciled, "Sum", "drift repaired");
    const responderErrors = props.responder.metricErrors({
      period: Duration.minutes(1),
      label: "responder errors",
    });
    const unbannerErrors = props.unbanner.metricErrors({
      period: Duration.minutes(1),
      label: "unbanner errors",
    });
    const throttles = props.responder.metricThrottles({
      period: Duration.minutes(1),
      label: "responder throttles",
    });
    const waitingBatches = props.failedBatches.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: "Maximum",
      label: "failed batches waiting",
    });

    this.responderErrorsAlarm = new cloudwatch.Alarm(this, "ResponderErrors", {
      alarmDescription:
        "The responder failed on a batch of log lines; Lambda retries it twice, then queues it.",
      metric: props.responder.metricErrors({ period: Duration.minutes(1), statistic: "Sum" }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.unbannerErrorsAlarm = new cloudwatch.Alarm(this, "UnbannerErrors", {
      alarmDescription: "The unbanner failed twice in a row: bans may outlive their bantime.",
      metric: props.unbanner.metricErrors({ period: Duration.minutes(1), statistic: "Sum" }),
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failedBatchesAlarm = new cloudwatch.Alarm(this, "FailedBatches", {
      alarmDescription:
        "Log batches the responder could not process wait in the on-failure queue (see docs/deploy.md).",
      metric: props.failedBatches.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: "Maximum",
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.naclSlotsLowAlarm = new cloudwatch.Alarm(this, "NaclSlotsLow", {
      alarmDescription: `A managed NACL has ${props.naclSlotsLowThreshold} or fewer free slots: bans will be aggregated or evicted.`,
      metric: cloudjailMetric(METRIC.naclSlotsFree, "Minimum", undefined, Duration.minutes(5)),
      threshold: props.naclSlotsLowThreshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.unblockedBansAlarm = props.overflow
      ? new cloudwatch.Alarm(this, "OverflowRefused", {
          alarmDescription:
            "The overflow target is full: bans that no NACL holds are blocked nowhere (see docs/nacl.md).",
          metric: cloudjailMetric(METRIC.overflowRefused, "Sum"),
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        })
      : new cloudwatch.Alarm(this, "PendingBans", {
          alarmDescription:
            "Bans decided but not written to a NACL for three minutes: attackers are not blocked.",
          metric: cloudjailMetric(METRIC.pendingBans, "Maximum"),
          threshold: 0,
          evaluationPeriods: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
    for (const alarm of [
      this.responderErrorsAlarm,
      this.unbannerErrorsAlarm,
      this.failedBatchesAlarm,
      this.naclSlotsLowAlarm,
      this.unblockedBansAlarm,
    ]) {
      props.alerts.notify(alarm);
    }

    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: `${stack.stackName}-cloudjail`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: "Failed logins per minute", left: [failures], width: 12 }),
      new cloudwatch.GraphWidget({
        title: "Bans and unbans",
        left: [bans, unbans],
        right: [evictions],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: props.overflow ? "Active, pending and overflow bans" : "Active and pending bans",
        left: [activeBans, pendingBans],
        ...(props.overflow
          ? { right: [cloudjailMetric(METRIC.overflowSize, "Maximum", "held by the overflow target")] }
          : {}),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Free NACL slots",
        left: [slotsFree],
        leftAnnotations: [{ value: props.naclSlotsLowThreshold, label: "alarm", color: "#d62728" }],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Errors",
        left: [responderErrors, unbannerErrors, throttles],
        right: [waitingBatches],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Skipped lines and drift repaired",
        left: [skippedLines, drift],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new TopOffendersWidget({
        title: "Top offending addresses",
        ruleName: this.topOffendersRule.attrRuleName,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: "Alarms",
        alarms: [
          this.responderErrorsAlarm,
          this.unbannerErrorsAlarm,
          this.failedBatchesAlarm,
          this.naclSlotsLowAlarm,
          this.unblockedBansAlarm,
        ],
        width: 12,
        height: 6,
      }),
    );
  }
}
