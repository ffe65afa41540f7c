import type { NaclSettings } from "../lambda/core/types";
import { naclWriteStatements, type StatementJson } from "./nacl-write-statements";

/** What an operator may do with the `cloudjail` CLI: look (`read`) or also ban and unban (`operate`). */
export type OperatorRight = "read" | "operate";

/**
 * Every SDK command the CLI sends to AWS (bin/cloudjail.ts and what it imports; `demo` talks only to the local
 * dynalite and NACL model), by its command name without `Command` (`paginateX` counts as `X`): the IAM action it
 * needs and the right that grants it. `test/cdk/operator-statements.test.ts` fails when the CLI sends one not listed.
 */
export const CLI_SDK_COMMANDS: Readonly<
  Record<string, { readonly action: string; readonly right: OperatorRight }>
> = {
  DescribeStacks: { action: "cloudformation:DescribeStacks", right: "read" },
  GetTemplate: { action: "cloudformation:GetTemplate", right: "read" },
  ListStackResources: { action: "cloudformation:ListStackResources", right: "read" },
  // lib-dynamodb's document commands: Get is GetItem, BatchGet is BatchGetItem, and so on.
  Get: { action: "dynamodb:GetItem", right: "read" },
  BatchGet: { action: "dynamodb:BatchGetItem", right: "read" },
  Query: { action: "dynamodb:Query", right: "read" },
  Scan: { action: "dynamodb:Scan", right: "read" },
  DescribeTable: { action: "dynamodb:DescribeTable", right: "read" },
  Put: { action: "dynamodb:PutItem", right: "operate" },
  Delete: { action: "dynamodb:DeleteItem", right: "operate" },
  BatchWrite: { action: "dynamodb:BatchWriteItem", right: "operate" },
  DescribeNetworkAcls: { action: "ec2:DescribeNetworkAcls", right: "read" },
  DescribeInstances: { action: "ec2:DescribeInstances", right: "read" },
  DescribeVpcs: { action: "ec2:DescribeVpcs", right: "read" },
  // doctor's DryRun probe needs the right itself: a read-only user sees that check fail, as it should.
  CreateNetworkAclEntry: { action: "ec2:CreateNetworkAclEntry", right: "operate" },
  DeleteNetworkAclEntry: { action: "ec2:DeleteNetworkAclEntry", right: "operate" },
  DescribeLogStreams: { action: "logs:DescribeLogStreams", right: "read" },
  DescribeSubscriptionFilters: { action: "logs:DescribeSubscriptionFilters", right: "read" },
  GetFunctionConfiguration: { action: "lambda:GetFunctionConfiguration", right: "read" },
  GetMetricData: { action: "cloudwatch:GetMetricData", right: "read" },
  DescribeAlarms: { action: "cloudwatch:DescribeAlarms", right: "read" },
  GetQueueAttributes: { action: "sqs:GetQueueAttributes", right: "read" },
  ListSubscriptionsByTopic: { action: "sns:ListSubscriptionsByTopic", right: "read" },
  Publish: { action: "sns:Publish", right: "operate" },
  DescribeInstanceInformation: { action: "ssm:DescribeInstanceInformation", right: "read" },
  DescribeInstanceAssociationsStatus: { action: "ssm:DescribeInstanceAssociationsStatus", right: "read" },
  GetIPSet: { action: "wafv2:GetIPSet", right: "read" },
  UpdateIPSet: { action: "wafv2:UpdateIPSet", right: "operate" },
  DescribeRuleGroup: { action: "network-firewall:DescribeRuleGroup", right: "read" },
  UpdateRuleGroup: { action: "network-firewall:UpdateRuleGroup", right: "operate" },
};

/** The ARNs (or, in docs, placeholders) of what one cloudjail stack holds, as the statements need them. */
export interface OperatorResources {
  /** `arn:<partition>:cloudformation:<region>:<account>:stack/<stack name>/*` */
  readonly stackArn: string;
  readonly tableArn: string;
  /** Responder, unbanner and fleet watcher (doctor reads their configuration). */
  readonly functionArns: readonly string[];
  readonly failedBatchesQueueArn: string;
  readonly alertTopicArn: string;
  /** Where bans are published (the alert topic unless the configuration names its own) and its key, if any. */
  readonly notificationTopicArn: string;
  readonly notificationKeyArn?: string;
  /** Every log group the responder is subscribed to. */
  readonly logGroupArns: readonly string[];
  /** Formats an EC2 ARN of the account and region (`*` for any id). */
  readonly ec2Arn: (resource: "network-acl" | "vpc", id: string) => string;
  readonly nacl: Pick<NaclSettings, "vpcIds" | "naclIds">;
  /** The overflow target's ARNs and its service, when the stack has one. */
  readonly overflow?: { readonly kind: "waf" | "network-firewall"; readonly arns: readonly string[] };
}

/**
 * The policy statements of an operator's right: `read` for `status`, `banned`, `get`, `fleet`, `doctor`, `ping`;
 * `operate` adds what `ban`, `unban` and `set` write. The construct's `grantRead` / `grantOperate` attach them,
 * and docs/cli.md prints them (generated, `test/cdk/operator-statements.test.ts`), so the two cannot drift.
 */
export function operatorStatements(resources: OperatorResources, right: OperatorRight): StatementJson[] {
  const actions = (prefix: string, wanted: OperatorRight) =>
    Object.values(CLI_SDK_COMMANDS)
      .filter((command) => command.action.startsWith(`${prefix}:`) && command.right === wanted)
      .map((command) => command.action)
      .sort();
  const allow = (Sid: string, Action: string[], Resource: readonly string[]): StatementJson => ({
    Sid,
    Effect: "Allow",
    Action,
    Resource,
  });
  const overflow = resources.overflow;
  const overflowService = overflow?.kind === "waf" ? "wafv2" : "network-firewall";
  const read = [
    allow("FindStack", actions("cloudformation", "read"), [resources.stackArn]),
    allow("ReadState", actions("dynamodb", "read"), [resources.tableArn, `${resources.tableArn}/index/*`]),
    // EC2 Describe*, CloudWatch GetMetricData/DescribeAlarms and SSM's fleet reads have no resource-level scope.
    allow(
      "DescribeNetworkAndFleet",
      [...actions("ec2", "read"), ...actions("cloudwatch", "read"), ...actions("ssm", "read")],
      ["*"],
    ),
    allow("ReadLogGroups", actions("logs", "read"), resources.logGroupArns),
    allow("ReadFunctions", actions("lambda", "read"), resources.functionArns),
    allow("ReadFailedBatches", actions("sqs", "read"), [resources.failedBatchesQueueArn]),
    allow("ReadAlertTopic", actions("sns", "read"), [resources.alertTopicArn]),
    ...(overflow ? [allow("ReadOverflow", actions(overflowService, "read"), overflow.arns)] : []),
  ];
  if (right === "read") return read;
  return [
    ...read,
    allow("WriteBans", actions("dynamodb", "operate"), [resources.tableArn]),
    ...naclWriteStatements(resources.ec2Arn, resources.nacl),
    allow("NotifyBans", ["sns:Publish"], [resources.notificationTopicArn]),
    ...(resources.notificationKeyArn
      ? [
          allow(
            "EncryptNotifications",
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [resources.notificationKeyArn],
          ),
        ]
      : []),
    ...(overflow ? [allow("WriteOverflow", actions(overflowService, "operate"), overflow.arns)] : []),
  ];
}
