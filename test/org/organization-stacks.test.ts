import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfigFile } from "../../lib/config-file";
import { addOrganizationStacks } from "../../lib/organization-app";
import { SEED_JAIL_LOCAL, SYNTH_TIMEOUT } from "../cdk/support/synth-cloudjail";
import { type PolicyDocument, policyAllows } from "./support/bus-policy";
import { ORG_BUS_POLICY, ORG_ID } from "./support/org-world";

let central: Template;
let member: Template;
let outdir: string;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), "cloudjail-org-"));
  const app = new App({
    outdir,
    context: {
      "aws:cdk:bundling-stacks": [],
      "cloudjail:config": SEED_JAIL_LOCAL,
      "cloudjail:vpcIds": ["vpc-0123456789abcdef0"],
      "cloudjail:organizationId": ORG_ID,
      "cloudjail:centralAccount": "123456789012",
      "cloudjail:centralRegion": "eu-west-1",
      "cloudjail:organizationalUnitIds": "ou-ab12-cdef3456,ou-ab12-7890abcd",
      "cloudjail:regions": "eu-west-1,us-east-1",
    },
  });
  const stacks = addOrganizationStacks(app, loadConfigFile);
  app.synth();
  central = Template.fromStack(stacks.central);
  member = Template.fromStack(stacks.member);
}, SYNTH_TIMEOUT);

describe("the central stack", () => {
  it("admits to its bus only principals of the organization, and the stand-in evaluates the same policy", () => {
    const policies = central.findResources("AWS::Events::EventBusPolicy");
    expect(Object.keys(policies)).toHaveLength(1);
    const statement = Object.values(policies)[0]?.Properties.Statement;
    expect(statement).toMatchObject({
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: "events:PutEvents",
      Condition: { StringEquals: { "aws:PrincipalOrgID": ORG_ID } },
    });
    const { Resource: _resource, ...withoutResource } = statement;
    expect(withoutResource).toEqual(ORG_BUS_POLICY.Statement[0]);
    const policy: PolicyDocument = { Statement: [statement] };
    expect(policyAllows(policy, { account: "222222222222", orgId: ORG_ID }, "events:PutEvents")).toBe(true);
    expect(policyAllows(policy, { account: "999999999999", orgId: "o-zzzzzzzzzz" }, "events:PutEvents")).toBe(
      false,
    );
    expect(policyAllows(policy, { account: "999999999999" }, "events:PutEvents")).toBe(false);
  });

  it("fans cloudjail organization events out to the members' topic and to the ledger's recorder", () => {
    central.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: Match.anyValue(),
      EventPattern: { source: ["cloudjail"], detail: { share: ["organization"] } },
      Targets: Match.arrayWith([
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp("MemberTopic") },
          DeadLetterConfig: Match.anyValue(),
        }),
        Match.objectLike({ Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("Recorder"), "Arn"] } }),
      ]),
    });
    central.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "sns:Subscribe",
            Principal: { AWS: "*" },
            Condition: { StringEquals: { "aws:PrincipalOrgID": ORG_ID } },
          }),
        ]),
      },
    });
  });

  it("lets the organization read the ledger, and only read it", () => {
    central.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "cloudjail-organization-ledger",
      ResourcePolicy: {
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Action: ["dynamodb:GetItem", "dynamodb:Query"],
              Principal: { AWS: "*" },
              Condition: { StringEquals: { "aws:PrincipalOrgID": ORG_ID } },
            }),
          ],
        },
      },
    });
  });

  it("deploys the member stack with a service-managed StackSet that follows new accounts of the OUs", () => {
    central.hasResourceProperties("AWS::CloudFormation::StackSet", {
      StackSetName: "cloudjail-member",
      PermissionModel: "SERVICE_MANAGED",
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      CallAs: "DELEGATED_ADMIN",
      Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ["ou-ab12-cdef3456", "ou-ab12-7890abcd"] },
          Regions: ["eu-west-1", "us-east-1"],
        },
      ],
      TemplateURL: Match.anyValue(),
    });
  });
});

describe("the member stack", () => {
  it("subscribes its enforcer to the central topic across accounts and regions", () => {
    member.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "lambda",
      TopicArn: {
        "Fn::Join": [
          "",
          ["arn:", { Ref: "AWS::Partition" }, ":sns:eu-west-1:123456789012:cloudjail-organization-bans"],
        ],
      },
      Region: "eu-west-1",
    });
  });

  it("forwards only its own account's organization events to the central bus", () => {
    member.hasResourceProperties("AWS::Events::Rule", {
      EventBusName: "default",
      EventPattern: {
        source: ["cloudjail"],
        account: [{ Ref: "AWS::AccountId" }],
        detail: { share: ["organization"] },
      },
      Targets: [
        Match.objectLike({
          Arn: {
            "Fn::Join": [
              "",
              [
                "arn:",
                { Ref: "AWS::Partition" },
                ":events:eu-west-1:123456789012:event-bus/cloudjail-organization",
              ],
            ],
          },
          RoleArn: Match.anyValue(),
        }),
      ],
    });
  });

  it("reads its Lambda code from the bucket of its own region, and takes its VPCs as a parameter", () => {
    const functions = Object.values(member.findResources("AWS::Lambda::Function"));
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const fn of functions) {
      expect(JSON.stringify(fn.Properties.Code.S3Bucket)).toContain(
        ["cloudjail-assets-123456789012-$", "{AWS::Region}"].join(""),
      );
    }
    expect(member.toJSON().Parameters.ProtectedVpcIds).toMatchObject({ Type: "String", Default: "" });
    expect(member.toJSON().Rules?.CheckBootstrapVersion).toBeUndefined();
  });

  it("grants PutEvents on its default bus and only reads of the central ledger", () => {
    const policies = JSON.stringify(member.findResources("AWS::IAM::Policy"));
    expect(policies).toContain("events:PutEvents");
    expect(policies).toContain(":dynamodb:eu-west-1:123456789012:table/cloudjail-organization-ledger");
    expect(policies).not.toMatch(/cloudjail-organization-ledger[^"]*"[^\]]*dynamodb:PutItem/);
  });

  it(
    "passes cfn-lint, as the central stack does",
    () => {
      const files = { central: central.toJSON(), member: member.toJSON() };
      for (const [name, template] of Object.entries(files)) {
        const file = path.join(outdir, `${name}.lint.json`);
        writeFileSync(file, JSON.stringify(template));
        const run = () =>
          execFileSync("cfn-lint", ["--format", "parseable", file, "--ignore-checks", "W3005"], {
            encoding: "utf8",
          });
        expect(run).not.toThrow();
      }
    },
    SYNTH_TIMEOUT,
  );
});
