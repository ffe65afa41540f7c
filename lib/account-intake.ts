import { ArnFormat, Lazy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** The id of the destination's resource-policy statement for CloudWatch Logs. */
const INVOKE_PERMISSION = "AccountIntakeInvoke";

export interface AccountIntakeProps {
  /** The function every selected log group's matching events go to: the responder. */
  readonly destination: lambda.IFunction;
  /** The subscription filter pattern (`""` = every event). */
  readonly filterPattern: string;
  /**
   * Log groups outside this stack to leave out as well: those already subscribed to the responder by a
   * group-level filter (a second delivery would only cost a second invocation).
   * @default []
   */
  readonly excludedLogGroups?: readonly logs.ILogGroup[];
}

/**
 * Account-wide intake: an account-level subscription filter policy (`AWS::Logs::AccountPolicy`,
 * `SUBSCRIPTION_FILTER_POLICY`) that feeds the matching events of every log group of the account and region to the
 * responder, with no set-up per group. Every log group of this stack is left out by the selection criteria, the
 * Lambdas' own first: they log the lines they parse, which the pattern matches, so feeding them back would loop.
 * An account has one such policy per region (docs/deploy.md, "Account-wide intake").
 */
export class AccountIntake extends Construct {
  public readonly policy: logs.CfnAccountPolicy;

  constructor(scope: Construct, id: string, props: AccountIntakeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // CloudWatch Logs may invoke the responder for any log group of this account and region.
    props.destination.addPermission(INVOKE_PERMISSION, {
      principal: new iam.ServicePrincipal("logs.amazonaws.com"),
      sourceAccount: stack.account,
      sourceArn: stack.formatArn({
        service: "logs",
        resource: "log-group",
        resourceName: "*",
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    });
    this.policy = new logs.CfnAccountPolicy(this, "SubscriptionFilterPolicy", {
      policyName: `${stack.stackName}-cloudjail`,
      policyType: "SUBSCRIPTION_FILTER_POLICY",
      scope: "ALL",
      policyDocument: stack.toJsonString({
        DestinationArn: props.destination.functionArn,
        FilterPattern: props.filterPattern,
      }),
      // Resolved at synth, once every construct of the stack exists, so a log group added later is left out too.
      selectionCriteria: Lazy.string({
        produce: () => {
          const own = stack.node
            .findAll()
            .filter((construct): construct is logs.LogGroup => construct instanceof logs.LogGroup);
          const names = [...own, ...(props.excludedLogGroups ?? [])].map((group) => group.logGroupName);
          return `LogGroupName NOT IN ${stack.toJsonString(names)}`;
        },
      }),
    });
    this.policy.node.addDependency(props.destination.node.findChild(INVOKE_PERMISSION));
  }
}
