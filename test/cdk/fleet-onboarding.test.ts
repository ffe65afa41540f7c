import { App, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import { describe, expect, it } from "vitest";
import { AuthLogShipping } from "../../lib/auth-log-shipping";
import { FleetOnboarding, type FleetOnboardingProps } from "../../lib/fleet-onboarding";
import { decide } from "./support/simulate-iam";
import { PSEUDO, resolveIntrinsics } from "./support/synth-cloudjail";

const STACK = "cloudjail";
const GROUP = `/cloudjail/${STACK}/auth`;
const PARAMETER = "AmazonCloudWatch-cloudjail";

function onboarded(props: Partial<FleetOnboardingProps> = {}) {
  const stack = new Stack(new App(), STACK);
  const shipping = new AuthLogShipping(stack, "AuthLogs", { retention: logs.RetentionDays.ONE_WEEK });
  const onboarding = new FleetOnboarding(stack, "Onboarding", {
    agentParameter: shipping.agentParameter,
    ...props,
  });
  return { stack, shipping, onboarding };
}

const template = (stack: Stack) => Template.fromStack(stack);
const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

describe("onboarding a fleet by SSM State Manager", () => {
  describe("by default", () => {
    const { stack, shipping } = onboarded();
    const associations = template(stack).findResources("AWS::SSM::Association");
    const byDocument = (name: string) =>
      Object.values(associations).find((resource) => resource.Properties.Name === name)?.Properties;
    const parameterId = logicalId(stack, shipping.agentParameter);

    it("installs the CloudWatch agent package, latest version (it reads the journal from 1.300070.0)", () => {
      expect(byDocument("AWS-ConfigureAWSPackage")?.Parameters).toEqual({
        action: ["Install"],
        name: ["AmazonCloudWatchAgent"],
        version: ["latest"],
      });
    });

    it("appends cloudjail's configuration from the stack's parameter, so the instance's own configuration stays", () => {
      expect(byDocument("AmazonCloudWatch-ManageAgent")?.Parameters).toEqual({
        action: ["configure (append)"],
        mode: ["ec2"],
        optionalConfigurationSource: ["ssm"],
        optionalConfigurationLocation: [{ Ref: parameterId }],
        optionalRestart: ["yes"],
      });
    });

    it("targets instances carrying the tag key cloudjail:protect, whatever its value, every 30 minutes", () => {
      for (const document of ["AWS-ConfigureAWSPackage", "AmazonCloudWatch-ManageAgent"]) {
        expect(byDocument(document)).toMatchObject({
          Targets: [{ Key: "tag-key", Values: ["cloudjail:protect"] }],
          ScheduleExpression: "rate(30 minutes)",
        });
      }
    });

    it("creates the configure association after the install one", () => {
      const configure = Object.values(associations).find(
        (resource) => resource.Properties.Name === "AmazonCloudWatch-ManageAgent",
      );
      const installId = Object.entries(associations).find(
        ([, resource]) => resource.Properties.Name === "AWS-ConfigureAWSPackage",
      )?.[0];
      expect(configure?.DependsOn).toContain(installId);
    });
  });

  it("targets another tag key when told", () => {
    const { stack } = onboarded({ targets: { tagKey: "team:ssh" } });
    template(stack).allResourcesProperties("AWS::SSM::Association", {
      Targets: [{ Key: "tag-key", Values: ["team:ssh"] }],
    });
  });

  it("targets every managed instance of the account and region when asked", () => {
    const { stack } = onboarded({ targets: "all-managed-instances" });
    template(stack).allResourcesProperties("AWS::SSM::Association", {
      Targets: [{ Key: "InstanceIds", Values: ["*"] }],
    });
  });

  it.each([
    [Duration.hours(1), "rate(1 hour)"],
    [Duration.minutes(90), "rate(90 minutes)"],
    [Duration.days(2), "rate(2 days)"],
  ])("re-applies on a longer schedule (%s) as a State Manager rate expression", (schedule, expression) => {
    const { stack } = onboarded({ schedule });
    template(stack).allResourcesProperties("AWS::SSM::Association", { ScheduleExpression: expression });
  });

  it.each([
    ["a schedule shorter than State Manager's 30 minutes", { schedule: Duration.minutes(15) }, /30 minutes/],
    ["a schedule of 31 days", { schedule: Duration.days(31) }, /under 31 days/],
    ["an agent that cannot read the journal", { agentVersion: "1.300069.0" }, /cannot read the journal/],
    ["a tag key AWS reserves", { targets: { tagKey: "aws:protect" } }, /aws:/],
  ])("refuses %s", (_, props, message) => {
    expect(() => onboarded(props as Partial<FleetOnboardingProps>)).toThrow(message);
  });

  it("installs a pinned agent version at or after 1.300070.0", () => {
    const { stack } = onboarded({ agentVersion: "1.300070.0" });
    template(stack).hasResourceProperties("AWS::SSM::Association", {
      Name: "AWS-ConfigureAWSPackage",
      Parameters: Match.objectLike({ version: ["1.300070.0"] }),
    });
  });
});

describe("the instances' managed policy (simulated with @cloud-copilot/iam-simulate)", () => {
  const { stack, shipping } = onboarded();
  const [policy] = Object.values(template(stack).findResources("AWS::IAM::ManagedPolicy"));
  const statements = (
    resolveIntrinsics(policy?.Properties.PolicyDocument, {
      ...PSEUDO,
      [logicalId(stack, shipping.logGroup)]: GROUP,
      [logicalId(stack, shipping.agentParameter)]: PARAMETER,
    }) as { Statement: unknown[] }
  ).Statement;
  const logs = (group: string, stream: string) =>
    `arn:aws:logs:${PSEUDO["AWS::Region"]}:${PSEUDO["AWS::AccountId"]}:log-group:${group}:log-stream:${stream}`;
  const parameter = (name: string) =>
    `arn:aws:ssm:${PSEUDO["AWS::Region"]}:${PSEUDO["AWS::AccountId"]}:parameter/${name}`;

  it("lets the agent create and write its instance's streams, file and journal, in cloudjail's group", async () => {
    for (const stream of ["i-0abc1234567890def", "i-0abc1234567890def/journald"]) {
      for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
        expect(await decide(statements, { action, resource: logs(GROUP, stream) })).toBe("Allowed");
      }
    }
  });

  it("does not let it write any other log group", async () => {
    for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
      expect(await decide(statements, { action, resource: logs("/aws/lambda/other", "s") })).toBe(
        "ImplicitlyDenied",
      );
    }
  });

  it("lets it read cloudjail's parameter and no other", async () => {
    expect(await decide(statements, { action: "ssm:GetParameter", resource: parameter(PARAMETER) })).toBe(
      "Allowed",
    );
    expect(
      await decide(statements, { action: "ssm:GetParameter", resource: parameter("AmazonCloudWatch-other") }),
    ).toBe("ImplicitlyDenied");
  });

  it("grants nothing the agent does not need with this configuration (no group creation, retention, writes)", async () => {
    const group = `arn:aws:logs:${PSEUDO["AWS::Region"]}:${PSEUDO["AWS::AccountId"]}:log-group:${GROUP}`;
    for (const action of ["logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DeleteLogGroup"]) {
      expect(await decide(statements, { action, resource: group })).toBe("ImplicitlyDenied");
    }
    expect(await decide(statements, { action: "ssm:PutParameter", resource: parameter(PARAMETER) })).toBe(
      "ImplicitlyDenied",
    );
  });

  it("is attached to the role grantLogShipping is given", () => {
    const fresh = onboarded();
    const role = new iam.Role(fresh.stack, "FleetRole", {
      assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com"),
    });
    fresh.shipping.grantLogShipping(role);
    template(fresh.stack).hasResourceProperties("AWS::IAM::Role", {
      ManagedPolicyArns: [{ Ref: logicalId(fresh.stack, fresh.shipping.instancePolicy) }],
    });
  });
});
