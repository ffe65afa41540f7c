import { Aws, Duration, Stack } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";

export interface CloudjailAlertsProps {
  /**
   * An address to subscribe to alarms and ban notifications; AWS mails it a confirmation link first.
   * @default no subscription
   */
  readonly email?: string;
}

/**
 * The SNS topic that alarms and the Lambdas notify, encrypted with a customer managed key: CloudWatch alarms
 * cannot publish to a topic under the AWS managed `alias/aws/sns` key, whose policy cannot admit them.
 */
export class CloudjailAlerts extends Construct {
  public readonly topic: sns.Topic;
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: CloudjailAlertsProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, "Key", {
      description: "Encrypts cloudjail's notification topic",
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AllowCloudWatchAlarmsToPublish",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
      }),
    );
    this.topic = new sns.Topic(this, "Topic", {
      displayName: "cloudjail alerts",
      masterKey: this.key,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy, and a topic policy replaces SNS's default one, which let CloudWatch
    // alarms publish: without this statement no alarm would ever notify. Only alarms of this account and stack.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AllowThisStacksAlarmsToPublish",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID },
          ArnLike: { "aws:SourceArn": stackAlarmArns(this) },
        },
      }),
    );
    if (props.email !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    }
  }

  /** Sends the alarm's state changes (into ALARM and back to OK) to the topic. */
  notify(alarm: cloudwatch.Alarm): void {
    const action = new actions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}

/**
 * The ARNs of the stack's alarms: CloudFormation names an alarm that has no name `<stack name>-<logical id>-<suffix>`,
 * so `alarm:<stack name>-*` in the stack's account and region covers them and no other stack's.
 */
export function stackAlarmArns(scope: Construct): string {
  const stack = Stack.of(scope);
  return `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${stack.stackName}-*`;
}
