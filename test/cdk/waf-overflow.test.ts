import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { describe, expect, it } from "vitest";
import { CloudjailSettingsError } from "../../lib/cloudjail-settings-error";
import { CLOUDFRONT_REGION_MESSAGE, WafOverflow } from "../../lib/waf-overflow";
import { failingAssertions, type RulesJson } from "./support/cfn-rules";
import { SYNTH_TIMEOUT } from "./support/synth-cloudjail";

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
  it(
    "creates a regional IPv4 and IPv6 IP set, empty",
    () => {
      const template = synth();
      template.resourceCountIs("AWS::WAFv2::IPSet", 2);
      template.hasResourceProperties("AWS::WAFv2::IPSet", {
        Scope: "REGIONAL",
        IPAddressVersion: "IPV6",
        Addresses: [],
      });
    },
    SYNTH_TIMEOUT,
  );

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

  it("describes each set in the characters WAF accepts (CloudFormation rejects others at deploy)", () => {
    const wafDescription = /^[a-zA-Z0-9=:#@/\-,.][a-zA-Z0-9+=:#@/\-,.\s]+[a-zA-Z0-9+=:#@/\-,.]{1,256}$/;
    for (const set of Object.values(synth().findResources("AWS::WAFv2::IPSet"))) {
      expect(set.Properties.Description).toMatch(wafDescription);
    }
  });

  it("leaves out the IPv6 set when asked", () => {
    synth(false).resourceCountIs("AWS::WAFv2::IPSet", 1);
  });

  it("names each set, and tells the runtime that name with the set's id and scope", () => {
    const template = synth();
    const sets = template.findResources("AWS::WAFv2::IPSet");
    const names = Object.values(sets).map((set) => set.Properties.Name);
    expect(names).toEqual([
      expect.stringMatching(/^Test-cloudjail-[0-9a-f]{8}-ipv4$/),
      expect.stringMatching(/^Test-cloudjail-[0-9a-f]{8}-ipv6$/),
    ]);
    expect(synth().findResources("AWS::WAFv2::IPSet")).toEqual(sets);

    const stack = new Stack(new App(), "Test");
    const overflow = new WafOverflow(stack, "Waf", { writers: [] });
    expect(stack.resolve(overflow.ref)).toEqual({
      kind: "waf",
      scope: "REGIONAL",
      ipv4: { name: names[0], id: { "Fn::GetAtt": [expect.stringMatching(/^WafIpv4/), "Id"] } },
      ipv6: { name: names[1], id: { "Fn::GetAtt": [expect.stringMatching(/^WafIpv6/), "Id"] } },
    });
  });
});

describe("a WAFv2 overflow for CloudFront", () => {
  const inRegion = (region?: string) => {
    const env = region === undefined ? undefined : { account: "123456789012", region };
    const stack = new Stack(new App(), "Test", { env });
    new WafOverflow(stack, "Waf", { scope: "CLOUDFRONT", writers: [] });
    return stack;
  };

  it("creates its sets in us-east-1", () => {
    Template.fromStack(inRegion("us-east-1")).hasResourceProperties("AWS::WAFv2::IPSet", {
      Scope: "CLOUDFRONT",
    });
  });

  it("refuses to synthesize in another region, saying where to deploy", () => {
    expect(() => inRegion("eu-west-1")).toThrow(CloudjailSettingsError);
    expect(() => inRegion("eu-west-1")).toThrow(
      /only be created in us-east-1, and this stack deploys to eu-west-1: deploy the stack to us-east-1/,
    );
  });

  describe("when the stack's region is not known at synth", () => {
    const rules = () => Template.fromStack(inRegion()).toJSON().Rules as RulesJson;
    const deployIn = (region: string) =>
      failingAssertions(rules(), {
        "AWS::Region": region,
        BootstrapVersion: "/cdk-bootstrap/hnb659fds/version",
      });

    it("stops the deploy outside us-east-1 before anything is created, saying to deploy in us-east-1", () => {
      expect(deployIn("eu-west-1")).toEqual([CLOUDFRONT_REGION_MESSAGE]);
      expect(CLOUDFRONT_REGION_MESSAGE).toMatch(/deploy this stack in us-east-1/);
    });

    it("lets the deploy go on in us-east-1", () => {
      expect(deployIn("us-east-1")).toEqual([]);
    });

    it.skipIf(!hasCfnLint())(
      "passes cfn-lint (the Rules section is valid CloudFormation)",
      () => {
        const file = path.join(mkdtempSync(path.join(tmpdir(), "cloudjail-rules-")), "template.json");
        writeFileSync(file, JSON.stringify(Template.fromStack(inRegion()).toJSON()));
        expect(() => execFileSync("cfn-lint", [file], { encoding: "utf8" })).not.toThrow();
      },
      SYNTH_TIMEOUT,
    );
  });
});

function hasCfnLint(): boolean {
  try {
    execFileSync("cfn-lint", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
