import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { describe, expect, it } from "vitest";
import { PLACEHOLDER } from "../../lambda/aws/network-firewall-ip-set";
import { NetworkFirewallOverflow } from "../../lib/network-firewall-overflow";
import { SYNTH_TIMEOUT } from "./support/synth-cloudjail";

function synth() {
  const stack = new Stack(new App(), "Test", { env: { account: "123456789012", region: "eu-west-1" } });
  const role = new iam.Role(stack, "Unbanner", {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
  });
  new NetworkFirewallOverflow(stack, "Nfw", { writers: [role] });
  return Template.fromStack(stack);
}

describe("the Network Firewall overflow construct", () => {
  it(
    "creates a stateful rule group that drops traffic from its IP set variable",
    () => {
      synth().hasResourceProperties("AWS::NetworkFirewall::RuleGroup", {
        Type: "STATEFUL",
        Capacity: 10_000,
        RuleGroup: {
          RuleVariables: { IPSets: { CLOUDJAIL_BANNED: { Definition: [PLACEHOLDER] } } },
          RulesSource: { RulesString: Match.stringLikeRegexp("^drop ip \\$CLOUDJAIL_BANNED any -> any any") },
        },
      });
    },
    SYNTH_TIMEOUT,
  );

  it("lets the writers describe and update this rule group only", () => {
    const statements = Object.values(synth().findResources("AWS::IAM::Policy")).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
          .Statement,
    );
    expect(statements).toEqual([
      {
        Action: ["network-firewall:DescribeRuleGroup", "network-firewall:UpdateRuleGroup"],
        Effect: "Allow",
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^NfwRuleGroup/), "RuleGroupArn"] },
      },
    ]);
  });

  it("tells the runtime the rule group's ARN and the variable it edits", () => {
    const stack = new Stack(new App(), "Test");
    const overflow = new NetworkFirewallOverflow(stack, "Nfw", { writers: [], variable: "BANNED" });
    expect(stack.resolve(overflow.ref)).toEqual({
      kind: "network-firewall",
      ruleGroupArn: { "Fn::GetAtt": [expect.stringMatching(/^NfwRuleGroup/), "RuleGroupArn"] },
      variable: "BANNED",
    });
  });
});
