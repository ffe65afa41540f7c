import type * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import type { OverflowSettings } from "../lambda/core/types";
import { NetworkFirewallOverflow } from "./network-firewall-overflow";
import { OVERFLOW_OUTPUTS } from "./stack-outputs";
import { WafOverflow } from "./waf-overflow";

/** The overflow target a stack's configuration chooses (issue 7). */
export type CloudjailOverflow = WafOverflow | NetworkFirewallOverflow;

/**
 * Creates the target the configuration chooses, writable by `writers` (the responder's and the unbanner's roles)
 * and by nothing else; undefined when it chooses none.
 */
export function createOverflow(
  scope: Construct,
  settings: OverflowSettings | undefined,
  writers: readonly iam.IGrantable[],
): CloudjailOverflow | undefined {
  if (settings === undefined) return undefined;
  return settings.kind === "waf"
    ? new WafOverflow(scope, "WafOverflow", { scope: settings.scope, ipv6: settings.ipv6, writers })
    : new NetworkFirewallOverflow(scope, "NetworkFirewallOverflow", { capacity: settings.capacity, writers });
}

/** The stack outputs that let users attach the target to their web ACL or firewall policy by ARN. */
export function overflowOutputs(overflow: CloudjailOverflow | undefined): Record<string, string | undefined> {
  if (overflow instanceof WafOverflow) {
    return {
      [OVERFLOW_OUTPUTS.ipv4IpSetArn]: overflow.ipv4.attrArn,
      [OVERFLOW_OUTPUTS.ipv6IpSetArn]: overflow.ipv6?.attrArn,
    };
  }
  if (overflow instanceof NetworkFirewallOverflow) {
    return { [OVERFLOW_OUTPUTS.ruleGroupArn]: overflow.ruleGroup.attrRuleGroupArn };
  }
  return {};
}
