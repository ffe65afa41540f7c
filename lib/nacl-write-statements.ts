import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import type { NaclSettings } from "../lambda/core/types";

/**
 * The EC2 actions that change NACL entries: the only writes cloudjail makes to the network. The enforcer creates
 * and deletes entries; it never replaces one (docs/nacl.md), so ReplaceNetworkAclEntry is not granted.
 */
export const NACL_WRITE_ACTIONS = ["ec2:CreateNetworkAclEntry", "ec2:DeleteNetworkAclEntry"] as const;

/**
 * Reads the runtime needs: NACLs and their entries (to plan and reconcile), with scope `subnet` the attacked
 * instance's subnet, and with aggregation the protected VPCs' CIDR blocks (no covering entry may overlap them).
 * EC2 Describe* actions support no resource-level permissions: they are granted on `*`.
 */
export function networkReadActions(nacl: Pick<NaclSettings, "scope" | "aggregation">): string[] {
  return [
    "ec2:DescribeNetworkAcls",
    ...(nacl.scope === "subnet" ? ["ec2:DescribeInstances"] : []),
    ...(nacl.aggregation === undefined ? [] : ["ec2:DescribeVpcs"]),
  ];
}

/** The tag that marks a NACL as cloudjail's to write when it is protected by VPC id only. */
export const MANAGED_TAG = { key: "cloudjail:managed", value: "true" } as const;

/** An IAM policy statement as JSON (what `iam.PolicyStatement.fromJson` takes and docs print). */
export interface StatementJson {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Record<string, Record<string, string>>;
}

/**
 * The statements allowing NACL writes on every NACL the runtime manages (lambda/aws/nacl-resolver.ts: the NACLs of
 * `naclIds` and every NACL of the `vpcIds`). NACL ids: exactly those ACLs' ARNs. VPC ids: their NACLs are not known
 * at synth (no lookups: the app synthesizes offline), so the write is allowed on a NACL only when it carries the tag
 * `cloudjail:managed = true`; operators tag the ACLs they want managed. With both, both statements.
 * `naclArn` formats a NACL's ARN (`*` for any NACL of the account and region).
 */
export function naclWriteStatements(
  naclArn: (naclId: string) => string,
  nacl: Pick<NaclSettings, "vpcIds" | "naclIds">,
): StatementJson[] {
  const naclIds = nacl.naclIds ?? [];
  return [
    ...(naclIds.length > 0
      ? [
          {
            Sid: "WriteProtectedNetworkAcls",
            Effect: "Allow" as const,
            Action: [...NACL_WRITE_ACTIONS],
            Resource: naclIds.map(naclArn),
          },
        ]
      : []),
    ...(nacl.vpcIds.length > 0
      ? [
          {
            Sid: "WriteTaggedNetworkAcls",
            Effect: "Allow" as const,
            Action: [...NACL_WRITE_ACTIONS],
            Resource: [naclArn("*")],
            Condition: { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value } },
          },
        ]
      : []),
  ];
}

/** {@link naclWriteStatements} for the stack of `scope`, as CDK policy statements. */
export function naclWritePolicyStatements(
  scope: Construct,
  nacl: Pick<NaclSettings, "vpcIds" | "naclIds">,
): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const naclArn = (id: string) =>
    stack.formatArn({ service: "ec2", resource: "network-acl", resourceName: id });
  return naclWriteStatements(naclArn, nacl).map((statement) => iam.PolicyStatement.fromJson(statement));
}

/** The statement allowing the Describe* reads (on `*`: see {@link networkReadActions}). */
export function networkReadStatement(nacl: Pick<NaclSettings, "scope" | "aggregation">): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "DescribeNetwork",
    actions: networkReadActions(nacl),
    resources: ["*"],
  });
}
