import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { type OverflowRef, parseOverflowRef } from "../../lambda/aws/overflow-ref";
import { readRuntimeEnvironment } from "../../lambda/handlers/runtime";
import { OVERFLOW_OUTPUTS } from "../../lib/stack-outputs";
import { isAllowed, type PolicyStatementJson } from "./support/policy-evaluator";
import { PSEUDO, resolveIntrinsics, SYNTH_TIMEOUT, synthCloudjail } from "./support/synth-cloudjail";

const VPC = "vpc-0123456789abcdef0";

/** The stack built from a jail.local whose [cloudjail] section holds `cloudjail`. */
function synthWith(cloudjail: string): Template {
  const config = path.join(mkdtempSync(path.join(tmpdir(), "cloudjail-overflow-")), "jail.local");
  writeFileSync(config, `[sshd]\nenabled = true\n[cloudjail]\n${cloudjail}\n`);
  return synthCloudjail({ "cloudjail:config": config, "cloudjail:vpcIds": [VPC] }).template;
}

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON.
type Resources = Record<string, any>;

/** One environment variable of the responder and the unbanner, intrinsics resolved to `<LogicalId.Attribute>`. */
function environmentOf(template: Template, name: string): (string | undefined)[] {
  const functions: Resources = template.findResources("AWS::Lambda::Function");
  const lambdas = Object.entries(functions).filter(([id]) => /Responder|Unbanner/.test(id));
  expect(lambdas).toHaveLength(2);
  return lambdas.map(
    ([, fn]) => (resolveIntrinsics(fn.Properties.Environment.Variables) as Record<string, string>)[name],
  );
}

/** The statements of the responder's and the unbanner's role policies, intrinsics resolved. */
function lambdaRoleStatements(template: Template): PolicyStatementJson[][] {
  const policies: Resources = template.findResources("AWS::IAM::Policy");
  const byRole = Object.entries(policies).filter(([id]) => /Responder|Unbanner/.test(id));
  expect(byRole).toHaveLength(2);
  return byRole.map(
    ([, policy]) =>
      (resolveIntrinsics(policy.Properties.PolicyDocument) as { Statement: PolicyStatementJson[] }).Statement,
  );
}

function outputNames(template: Template): string[] {
  return Object.keys(template.toJSON().Outputs ?? {});
}

describe("a stack whose configuration chooses overflow = waf", () => {
  let template: Template;
  let sets: Resources;
  beforeAll(() => {
    template = synthWith("overflow = waf");
    sets = template.findResources("AWS::WAFv2::IPSet");
  }, SYNTH_TIMEOUT);

  /** The logical id and name of the stack's IP set of one address family. */
  function set(version: "IPV4" | "IPV6"): { id: string; name: string } {
    const [id, resource] =
      Object.entries(sets).find(([, each]) => each.Properties.IPAddressVersion === version) ?? [];
    expect(id, `the ${version} IP set`).toBeDefined();
    return { id: id as string, name: resource.Properties.Name };
  }

  it("creates an empty regional IP set per address family, each with a fixed name", () => {
    expect(Object.keys(sets)).toHaveLength(2);
    for (const resource of Object.values(sets)) {
      expect(resource.Properties).toMatchObject({ Scope: "REGIONAL", Addresses: [] });
      expect(resource.Properties.Name).toMatch(/^Cloudjail-cloudjail-[0-9a-f]{8}-ipv[46]$/);
    }
  });

  it("tells both Lambdas the sets' scope, names and ids, in the shape their runtime parses", () => {
    for (const text of environmentOf(template, "CLOUDJAIL_OVERFLOW")) {
      const ref: OverflowRef = parseOverflowRef(text ?? "");
      expect(ref).toEqual({
        kind: "waf",
        scope: "REGIONAL",
        ipv4: { name: set("IPV4").name, id: `<${set("IPV4").id}.Id>` },
        ipv6: { name: set("IPV6").name, id: `<${set("IPV6").id}.Id>` },
      });
    }
  });

  it("gives both Lambdas an environment their runtime accepts at cold start, with the target in it", () => {
    const [topic] = Object.keys(template.findResources("AWS::SNS::Topic"));
    const deployed = { ...PSEUDO, [topic]: "arn:aws:sns:eu-west-1:123456789012:alerts" };
    const functions: Resources = template.findResources("AWS::Lambda::Function");
    const lambdas = Object.entries(functions).filter(([id]) => /Responder|Unbanner/.test(id));
    expect(lambdas).toHaveLength(2);
    for (const [, fn] of lambdas) {
      const env = resolveIntrinsics(fn.Properties.Environment.Variables, deployed) as Record<string, string>;
      const runtime = readRuntimeEnvironment(env);
      expect(runtime.overflow).toMatchObject({ kind: "waf", ipv4: { name: set("IPV4").name } });
      expect(runtime.config.overflow).toEqual({ kind: "waf", scope: "REGIONAL", ipv6: true });
    }
  });

  it("lets both Lambdas get and update both sets, and no other IP set", () => {
    for (const statements of lambdaRoleStatements(template)) {
      for (const action of ["wafv2:GetIPSet", "wafv2:UpdateIPSet"]) {
        for (const version of ["IPV4", "IPV6"] as const) {
          expect(isAllowed(statements, { action, resource: `<${set(version).id}.Arn>` })).toBe(true);
        }
        const other = "arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/allowlist/0000";
        expect(isAllowed(statements, { action, resource: other })).toBe(false);
      }
      expect(
        isAllowed(statements, { action: "wafv2:DeleteIPSet", resource: `<${set("IPV4").id}.Arn>` }),
      ).toBe(false);
    }
  });

  it("outputs both sets' ARNs for the user's web ACL, and no rule group", () => {
    template.hasOutput(OVERFLOW_OUTPUTS.ipv4IpSetArn, {
      Value: { "Fn::GetAtt": [set("IPV4").id, "Arn"] },
    });
    template.hasOutput(OVERFLOW_OUTPUTS.ipv6IpSetArn, {
      Value: { "Fn::GetAtt": [set("IPV6").id, "Arn"] },
    });
    expect(outputNames(template)).not.toContain(OVERFLOW_OUTPUTS.ruleGroupArn);
    template.resourceCountIs("AWS::NetworkFirewall::RuleGroup", 0);
  });

  it("keeps the choice in CLOUDJAIL_CONFIG as well", () => {
    for (const text of environmentOf(template, "CLOUDJAIL_CONFIG")) {
      expect(JSON.parse(text ?? "").overflow).toEqual({ kind: "waf", scope: "REGIONAL", ipv6: true });
    }
  });

  it("alarms when the target refuses bans, not on pending bans it holds, and charts its size", () => {
    const alarms: Resources = template.findResources("AWS::CloudWatch::Alarm");
    const metrics = Object.values(alarms).map((alarm) => alarm.Properties.MetricName);
    expect(metrics).toContain("OverflowRefused");
    expect(metrics).not.toContain("PendingBans");
    const refused = Object.values(alarms).find((alarm) => alarm.Properties.MetricName === "OverflowRefused");
    expect(refused?.Properties).toMatchObject({
      Namespace: "Cloudjail",
      Statistic: "Sum",
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
      AlarmActions: [{ Ref: expect.stringMatching(/AlertsTopic/) }],
    });
    const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard") as Resources);
    expect(JSON.stringify(dashboard.Properties.DashboardBody)).toContain("OverflowSize");
  });
});

describe("a stack whose configuration chooses overflow = network-firewall", () => {
  let template: Template;
  let ruleGroupId: string;
  beforeAll(() => {
    template = synthWith("overflow = network-firewall\noverflow_capacity = 5000");
    [ruleGroupId] = Object.keys(template.findResources("AWS::NetworkFirewall::RuleGroup"));
  }, SYNTH_TIMEOUT);

  it("creates one stateful rule group of the configured capacity dropping its IP set variable", () => {
    template.resourceCountIs("AWS::NetworkFirewall::RuleGroup", 1);
    template.hasResourceProperties("AWS::NetworkFirewall::RuleGroup", {
      Type: "STATEFUL",
      Capacity: 5000,
      RuleGroup: { RuleVariables: { IPSets: { CLOUDJAIL_BANNED: Match.anyValue() } } },
    });
    template.resourceCountIs("AWS::WAFv2::IPSet", 0);
  });

  it("tells both Lambdas the rule group's ARN and variable, in the shape their runtime parses", () => {
    for (const text of environmentOf(template, "CLOUDJAIL_OVERFLOW")) {
      const arn = "arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/cloudjail";
      const ref = parseOverflowRef((text ?? "").replace(`<${ruleGroupId}.RuleGroupArn>`, arn));
      expect(ref).toEqual({ kind: "network-firewall", ruleGroupArn: arn, variable: "CLOUDJAIL_BANNED" });
    }
  });

  it("lets both Lambdas describe and update this rule group only", () => {
    const own = `<${ruleGroupId}.RuleGroupArn>`;
    const other = "arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/egress";
    for (const statements of lambdaRoleStatements(template)) {
      for (const action of ["network-firewall:DescribeRuleGroup", "network-firewall:UpdateRuleGroup"]) {
        expect(isAllowed(statements, { action, resource: own })).toBe(true);
        expect(isAllowed(statements, { action, resource: other })).toBe(false);
      }
      expect(isAllowed(statements, { action: "network-firewall:DeleteRuleGroup", resource: own })).toBe(
        false,
      );
    }
  });

  it("outputs the rule group's ARN for the user's firewall policy, and no IP set ARNs", () => {
    template.hasOutput(OVERFLOW_OUTPUTS.ruleGroupArn, {
      Value: { "Fn::GetAtt": [ruleGroupId, "RuleGroupArn"] },
    });
    expect(outputNames(template)).not.toContain(OVERFLOW_OUTPUTS.ipv4IpSetArn);
  });
});
