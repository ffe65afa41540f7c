import * as iam from "aws-cdk-lib/aws-iam";
import * as networkfirewall from "aws-cdk-lib/aws-networkfirewall";
import { Construct } from "constructs";
import { PLACEHOLDER } from "../lambda/aws/network-firewall-ip-set";
import type { OverflowRef } from "../lambda/aws/overflow-ref";
import { DEFAULT_NETWORK_FIREWALL_CAPACITY } from "../lambda/core/overflow-settings";
import { physicalName } from "./physical-name";

/** Props of {@link NetworkFirewallOverflow}. */
export interface NetworkFirewallOverflowProps {
  /** Rule group capacity (AWS: fixed at creation). @default 10,000 */
  readonly capacity?: number;
  /** IP set variable cloudjail edits. @default CLOUDJAIL_BANNED */
  readonly variable?: string;
  /** Roles that write the variable (the responder's and the unbanner's): Describe/UpdateRuleGroup on it only. */
  readonly writers: readonly iam.IGrantable[];
}

/**
 * Optional overflow target (issue 7): an AWS Network Firewall stateful rule group that drops all traffic from the
 * addresses in one IP set variable, which cloudjail edits (lambda/aws/network-firewall-ip-set.ts). Add the rule group
 * to your firewall policy (`ruleGroup.attrRuleGroupArn`); the writers may describe and update this rule group only.
 */
export class NetworkFirewallOverflow extends Construct {
  readonly ruleGroup: networkfirewall.CfnRuleGroup;
  readonly variable: string;
  /** Where the runtime finds the variable (rule group ARN and name), for the Lambdas' CLOUDJAIL_OVERFLOW variable. */
  readonly ref: OverflowRef;

  constructor(scope: Construct, id: string, props: NetworkFirewallOverflowProps) {
    super(scope, id);
    this.variable = props.variable ?? "CLOUDJAIL_BANNED";
    this.ruleGroup = new networkfirewall.CfnRuleGroup(this, "RuleGroup", {
      ruleGroupName: physicalName(this, "banned"),
      type: "STATEFUL",
      capacity: props.capacity ?? DEFAULT_NETWORK_FIREWALL_CAPACITY,
      description: "cloudjail bans beyond the NACLs",
      ruleGroup: {
        ruleVariables: { ipSets: { [this.variable]: { definition: [PLACEHOLDER] } } },
        rulesSource: {
          rulesString: `drop ip $${this.variable} any -> any any (msg:"cloudjail ban"; sid:1000001; rev:1;)`,
        },
      },
    });
    this.ref = {
      kind: "network-firewall",
      ruleGroupArn: this.ruleGroup.attrRuleGroupArn,
      variable: this.variable,
    };
    for (const writer of props.writers) {
      iam.Grant.addToPrincipal({
        grantee: writer,
        actions: ["network-firewall:DescribeRuleGroup", "network-firewall:UpdateRuleGroup"],
        resourceArns: [this.ruleGroup.attrRuleGroupArn],
      });
    }
  }
}
