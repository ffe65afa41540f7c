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

/**
 * The statement allowing NACL writes. With NACL ids, it names exactly those ACLs' ARNs. With VPC ids only, the
 * NACLs are not known at synth (no lookups: the app synthesizes offline), so it allows the write on a NACL only
 * when that NACL carries the tag `cloudjail:managed = true`; operators tag the ACLs they want managed.
 */
export function naclWriteStatement(scope: Construct, naclIds: readonly string[]): iam.PolicyStatement {
  const stack = Stack.of(scope);
  if (naclIds.length > 0) {
    return new iam.PolicyStatement({
      sid: "WriteProtectedNetworkAcls",
      actions: [...NACL_WRITE_ACTIONS],
      resources: naclIds.map((id) =>
        stack.formatArn({ service: "ec2", resource: "network-acl", resourceName: id }),
      ),
    });
  }
  return new iam.PolicyStatement({
    sid: "WriteTaggedNetworkAcls",
    actions: [...NACL_WRITE_ACTIONS],
    resources: [stack.formatArn({ service: "ec2", resource: "network-acl", resourceName: "*" })],
    conditions: { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value } },
  });
}

/** The statement allowing the Describe* reads (on `*`: see {@link networkReadActions}). */
export function networkReadStatement(nacl: Pick<NaclSettings, "scope" | "aggregation">): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: "DescribeNetwork",
    actions: networkReadActions(nacl),
    resources: ["*"],
  });
}
