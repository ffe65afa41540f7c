import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { describe, expect, it } from "vitest";
import { WafOverflow } from "../../lib/waf-overflow";

function synth(ipv6?: boolean) {
  const stack = new Stack(new App(), "Test", { env: { account: "123456789012", region: "eu-west-1" } });
  const role = new iam.Role(stack, "Responder", {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
  });
  const overflow = new WafOverflow(stack, "Waf", {
    writers: [role],
    ...(ipv6 === undefined ? {} : { ipv6 }),
  });
  new wafv2.CfnWebACL(stack, "Acl", {
    scope: "REGIONAL",
    defaultAction: { allow: {} },
    visibilityConfig: { cloudWatchMetricsEnabled: false, metricName: "acl", sampledRequestsEnabled: false },
    rules: [overflow.blockRule(0)],
  });
  return Template.fromStack(stack);
}

describe("the WAFv2 overflow construct", () => {
  it("creates a regional IPv4 and IPv6 IP set, empty", () => {
    const template = synth();
    template.resourceCountIs("AWS::WAFv2::IPSet", 2);
    template.hasResourceProperties("AWS::WAFv2::IPSet", {
      Scope: "REGIONAL",
      IPAddressVersion: "IPV6",
      Addresses: [],
    });
  });

  it("lets the writers get and update exactly these IP sets, nothing else", () => {
    const template = synth();
    const policies = template.findResources("AWS::IAM::Policy");
    const statements = Object.values(policies).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
          .Statement,
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      Action: ["wafv2:GetIPSet", "wafv2:UpdateIPSet"],
      Effect: "Allow",
      Resource: [
        { "Fn::GetAtt": [expect.stringMatching(/^WafIpv4/), "Arn"] },
        { "Fn::GetAtt": [expect.stringMatching(/^WafIpv6/), "Arn"] },
      ],
    });
  });

  it("gives a web ACL one blocking rule over both sets", () => {
    synth().hasResourceProperties("AWS::WAFv2::WebACL", {
      Rules: [
        Match.objectLike({
          Action: { Block: {} },
          Statement: {
            OrStatement: {
              Statements: Match.arrayWith([Match.objectLike({ IPSetReferenceStatement: Match.anyValue() })]),
            },
          },
        }),
      ],
    });
  });

  it("leaves out the IPv6 set when asked", () => {
    synth(false).resourceCountIs("AWS::WAFv2::IPSet", 1);
  });
});
