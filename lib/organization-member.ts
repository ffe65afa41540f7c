import { Duration, Stack } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as destinations from "aws-cdk-lib/aws-lambda-destinations";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import { TABLE_SCHEMA } from "../lambda/aws/table-schema";
import { ORG_EVENT_SOURCE } from "../lambda/core/org-event";
import type { NaclSettings } from "../lambda/core/types";
import { ORG_ENVIRONMENT } from "../lambda/handlers/environment";
import type { Cloudjail } from "./cloudjail";
import { CloudjailFunction } from "./cloudjail-function";
import { centralArns, type OrganizationCentral } from "./organization-names";

export interface OrganizationMemberProps {
  /** The member's cloudjail (responder, unbanner, table). */
  readonly cloudjail: Cloudjail;
  /** The NACL settings the cloudjail was configured with (its enforcer gets the same rights). */
  readonly nacl: NaclSettings;
  /** Account and region of the central stack. */
  readonly central: OrganizationCentral;
  /**
   * This member's VPC ids, comma-separated (a StackSet parameter: each account has its own VPCs).
   * @default the configuration's VPC ids
   */
  readonly vpcIds?: string;
  /**
   * Retention of the enforcer's log group.
   * @default one month
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A member account's side of organization-wide bans (issue 16): its responder and unbanner publish the bans of
 * shared jails on the account's default bus, a rule forwards them to the central bus, and an enforcer subscribed to
 * the central topic applies the organization's bans to this account's NACLs. The unbanner reads the central ledger
 * to catch up.
 */
export class OrganizationMember extends Construct {
  public readonly enforcer: nodejs.NodejsFunction;
  /** Forwards this account's cloudjail organization events to the central bus. */
  public readonly forwardRule: events.Rule;

  constructor(scope: Construct, id: string, props: OrganizationMemberProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { cloudjail } = props;
    const arns = centralArns(stack, props.central);
    const organization = {
      [ORG_ENVIRONMENT.account]: stack.account,
      [ORG_ENVIRONMENT.bus]: "default",
      [ORG_ENVIRONMENT.centralTable]: arns.ledger,
      ...(props.vpcIds === undefined ? {} : { [ORG_ENVIRONMENT.vpcIds]: props.vpcIds }),
    };
    for (const fn of [cloudjail.responder, cloudjail.unbanner]) {
      for (const [name, value] of Object.entries(organization)) fn.addEnvironment(name, value);
    }

    const enforcer = new CloudjailFunction(this, "Enforcer", {
      entry: "lambda/handlers/org-enforcer.ts",
      description: "Applies the organization's cloudjail bans to this account's network ACLs",
      timeout: Duration.minutes(1),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      reservedConcurrency: undefined,
      environment: { ...cloudjail.runtimeEnvironment, ...organization },
    });
    this.enforcer = enforcer.function;
    cloudjail.grantRuntime(enforcer.role, props.nacl);
    // Retried twice by Lambda, then kept with the responder's failed batches; the catch-up repairs the rest.
    this.enforcer.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(cloudjail.failedBatches),
    });
    const topic = sns.Topic.fromTopicArn(this, "CentralTopic", arns.topic);
    topic.addSubscription(new subscriptions.LambdaSubscription(this.enforcer));

    const defaultBus = events.EventBus.fromEventBusName(this, "DefaultBus", "default");
    const publishers = [cloudjail.responder, cloudjail.unbanner, this.enforcer];
    for (const fn of publishers) {
      defaultBus.grantPutEventsTo(fn);
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: "ReadCentralLedger",
          actions: ["dynamodb:GetItem", "dynamodb:Query"],
          resources: [arns.ledger, `${arns.ledger}/index/${TABLE_SCHEMA.bansByEndIndex}`],
        }),
      );
    }
    this.forwardRule = new events.Rule(this, "ForwardToCentral", {
      description: "Forwards this account's cloudjail organization events to the central bus",
      eventBus: defaultBus,
      eventPattern: {
        source: [ORG_EVENT_SOURCE],
        // Only what this account says about itself; the central side checks the same.
        account: [stack.account],
        detail: { share: ["organization"] },
      },
      targets: [new targets.EventBus(events.EventBus.fromEventBusArn(this, "CentralBus", arns.bus))],
    });
  }
}
