import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { stackPropsFromContext } from "../../lib/app-context";
import { CloudjailStack } from "../../lib/cloudjail-stack";
import { loadConfigFile } from "../../lib/config-file";
import { PSEUDO, resolveIntrinsics, SYNTH_TIMEOUT } from "./support/synth-cloudjail";

/**
 * The properties that set a resource's physical name (the name an account and region may hold only once), for
 * every resource type cloudjail's stacks create with a name. A type not listed here is named by CloudFormation.
 */
const NAME_PROPERTIES: Record<string, string> = {
  "AWS::Logs::LogGroup": "LogGroupName",
  "AWS::SSM::Parameter": "Name",
  "AWS::Logs::SubscriptionFilter": "FilterName",
  "AWS::CloudWatch::Dashboard": "DashboardName",
  "AWS::CloudWatch::InsightRule": "RuleName",
  "AWS::CloudWatch::Alarm": "AlarmName",
  "AWS::WAFv2::IPSet": "Name",
  "AWS::NetworkFirewall::RuleGroup": "RuleGroupName",
  "AWS::EC2::PrefixList": "PrefixListName",
  "AWS::SNS::Topic": "TopicName",
  "AWS::SQS::Queue": "QueueName",
  "AWS::DynamoDB::Table": "TableName",
  "AWS::Lambda::Function": "FunctionName",
  "AWS::IAM::Role": "RoleName",
  "AWS::Events::Rule": "Name",
  "AWS::Events::EventBus": "Name",
  "AWS::KMS::Alias": "AliasName",
};

/** Two cloudjail stacks of different names in one app, deployed to one account and region. */
function twoStacks(overflow: string): Array<{ stackName: string; names: string[] }> {
  const folder = mkdtempSync(path.join(tmpdir(), "cloudjail-names-"));
  const config = path.join(folder, "jail.local");
  writeFileSync(
    config,
    `[sshd]\nenabled = true\n\n[cloudjail]\nvpc_ids = vpc-0123456789abcdef0\n${overflow ? `overflow = ${overflow}\n` : ""}`,
  );
  const app = new App({
    outdir: mkdtempSync(path.join(folder, "out-")),
    context: { "aws:cdk:bundling-stacks": [], "cloudjail:config": config },
  });
  const props = stackPropsFromContext(app, loadConfigFile);
  const stacks = ["cloudjail-prod", "cloudjail-staging"].map(
    (stackName) => new CloudjailStack(app, stackName, props),
  );
  return stacks.map((stack, index) => {
    const { stackName } = stack;
    // CloudFormation's own values for this stack: its name and a stack id whose UUID differs per stack.
    const pseudo = {
      ...PSEUDO,
      "AWS::StackName": stackName,
      "AWS::StackId": `arn:aws:cloudformation:eu-west-1:123456789012:stack/${stackName}/uuid-${index}`,
    };
    const resources = Template.fromStack(stack).toJSON().Resources as Record<
      string,
      { Type: string; Properties?: Record<string, unknown> }
    >;
    const names = Object.values(resources).flatMap(({ Type, Properties }) => {
      const key = NAME_PROPERTIES[Type];
      const value = key === undefined ? undefined : Properties?.[key];
      return value === undefined ? [] : [`${Type} ${JSON.stringify(resolveIntrinsics(value, pseudo))}`];
    });
    return { stackName, names };
  });
}

describe("two cloudjail stacks of different names in one account and region", () => {
  const variants: Record<string, Array<{ stackName: string; names: string[] }>> = {};
  beforeAll(() => {
    for (const overflow of ["", "waf", "network-firewall"]) variants[overflow] = twoStacks(overflow);
  }, SYNTH_TIMEOUT);

  it.each(["", "waf", "network-firewall"])("share no physical name (overflow %j)", (overflow) => {
    const [prod, staging] = variants[overflow];
    expect(prod.names.length).toBeGreaterThan(0);
    expect(prod.names.filter((name) => staging.names.includes(name))).toEqual([]);
  });

  it("name the agent parameter with the agent's AmazonCloudWatch- prefix and the stack's name", () => {
    const [prod, staging] = variants[""];
    expect(prod.names).toContain('AWS::SSM::Parameter "AmazonCloudWatch-cloudjail-prod"');
    expect(staging.names).toContain('AWS::SSM::Parameter "AmazonCloudWatch-cloudjail-staging"');
  });

  it("give the retained auth log group a name of its own on every create, so a redeploy after destroy works", () => {
    const [prod] = variants[""];
    expect(prod.names).toContain('AWS::Logs::LogGroup "/cloudjail/cloudjail-prod/auth-uuid-0"');
  });

  it("name the WAF IP sets and the Network Firewall rule group after the stack", () => {
    const [prod] = variants.waf;
    expect(prod.names.filter((name) => name.startsWith("AWS::WAFv2::IPSet"))).toEqual([
      expect.stringMatching(/"cloudjail-prod-cloudjail-[0-9a-f]{8}-ipv4"/),
      expect.stringMatching(/"cloudjail-prod-cloudjail-[0-9a-f]{8}-ipv6"/),
    ]);
    const [firewall] = variants["network-firewall"];
    expect(firewall.names).toContainEqual(
      expect.stringMatching(
        /^AWS::NetworkFirewall::RuleGroup "cloudjail-prod-cloudjail-[0-9a-f]{8}-banned"$/,
      ),
    );
  });
});
