import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as logs from "aws-cdk-lib/aws-logs";
import { beforeAll, describe, expect, it } from "vitest";
import { Cloudjail } from "../../lib/cloudjail";
import type { CloudjailProps } from "../../lib/cloudjail-props";
import { loadConfigFile } from "../../lib/config-file";
import { SEED_JAIL_LOCAL, SYNTH_TIMEOUT } from "./support/synth-cloudjail";

/** A stack holding one Cloudjail, Lambdas not bundled (templates are what these tests read). */
function cloudjailTemplate(props: Partial<CloudjailProps>): { template: Template; cloudjail: Cloudjail } {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new Stack(app, "Cloudjail");
  const { config } = loadConfigFile(SEED_JAIL_LOCAL);
  const cloudjail = new Cloudjail(stack, "Cloudjail", {
    config: { ...config, nacl: { ...config.nacl, vpcIds: ["vpc-0123456789abcdef0"] } },
    ...props,
    existingLogGroups: props.existingLogGroups?.length
      ? props.existingLogGroups
      : [logs.LogGroup.fromLogGroupName(stack, "Fleet", "/fleet/auth")],
  });
  return { template: Template.fromStack(stack), cloudjail };
}

const values = <T>(record: Record<string, T>) => Object.values(record);

/** The names `LogGroupName NOT IN [...]` leaves out, as CloudFormation writes them (Refs kept as `<Ref:id>`). */
function excludedNames(criteria: unknown): string[] {
  const parts = (criteria as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1];
  const text = parts
    .map((part) => (typeof part === "string" ? part : `<Ref:${(part as { Ref: string }).Ref}>`))
    .join("");
  const match = /^LogGroupName NOT IN (\[.*\])$/.exec(text);
  expect(match, text).not.toBeNull();
  return JSON.parse(match?.[1] ?? "[]") as string[];
}

describe("account-wide intake", () => {
  it(
    "is off by default",
    () => {
      const { template } = cloudjailTemplate({});
      template.resourceCountIs("AWS::Logs::AccountPolicy", 0);
    },
    SYNTH_TIMEOUT,
  );

  describe("when asked for", () => {
    let template: Template;
    let cloudjail: Cloudjail;
    beforeAll(() => {
      ({ template, cloudjail } = cloudjailTemplate({ accountWideIntake: true }));
    }, SYNTH_TIMEOUT);
    const policy = () => values(template.findResources("AWS::Logs::AccountPolicy"));
    const responderId = () =>
      Object.keys(template.findResources("AWS::Lambda::Function")).find((id) => id.includes("Responder"));

    it("is one subscription filter policy for every log group of the account and region, to the responder", () => {
      expect(policy()).toHaveLength(1);
      const [{ Properties }] = policy();
      expect(Properties).toMatchObject({ PolicyType: "SUBSCRIPTION_FILTER_POLICY", Scope: "ALL" });
      const document = Properties.PolicyDocument["Fn::Join"][1] as unknown[];
      expect(document).toContainEqual({ "Fn::GetAtt": [responderId(), "Arn"] });
      expect(document.join("")).toContain(JSON.stringify(cloudjail.filterPattern).slice(1, -1));
    });

    it("leaves out every log group of the stack (the Lambdas' own first: no loop) and the ones already subscribed", () => {
      const excluded = excludedNames(policy()[0]?.Properties.SelectionCriteria);
      const ownGroups = Object.keys(template.findResources("AWS::Logs::LogGroup"));
      expect(ownGroups.length).toBeGreaterThanOrEqual(4);
      expect(new Set(excluded)).toEqual(new Set([...ownGroups.map((id) => `<Ref:${id}>`), "/fleet/auth"]));
      for (const lambdaGroup of ["ResponderLogs", "UnbannerLogs", "WatcherLogs"]) {
        expect(excluded.some((name) => name.includes(lambdaGroup))).toBe(true);
      }
    });

    it("lets CloudWatch Logs invoke the responder for log groups of this account only, before the policy exists", () => {
      const permissions = Object.entries(template.findResources("AWS::Lambda::Permission")).filter(([id]) =>
        id.includes("AccountIntake"),
      );
      expect(permissions).toHaveLength(1);
      const [[permissionId, permission]] = permissions;
      expect(permission.Properties).toMatchObject({
        Action: "lambda:InvokeFunction",
        Principal: "logs.amazonaws.com",
        SourceAccount: { Ref: "AWS::AccountId" },
        FunctionName: { "Fn::GetAtt": [responderId(), "Arn"] },
      });
      expect(JSON.stringify(permission.Properties.SourceArn)).toContain(":log-group:*");
      expect(values(template.findResources("AWS::Logs::AccountPolicy"))[0]?.DependsOn).toContain(
        permissionId,
      );
    });
  });
});
