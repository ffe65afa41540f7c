import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
} from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../bin/cli/errors";
import {
  cloudFormationLocator,
  defaultStackName,
  FALLBACK_STACK_NAME,
  requireJail,
  STACK_NAME_CONTEXT,
} from "../../bin/cli/stack";
import { parseJailConf } from "../../lambda/core/config";
import { CONTEXT } from "../../lib/app-context";
import { DEFAULT_STACK_NAME } from "../../lib/cloudjail-app";
import { STACK_OUTPUTS } from "../../lib/stack-outputs";

const cloudFormation = mockClient(CloudFormationClient);
afterEach(() => cloudFormation.reset());

const { config } = parseJailConf("[DEFAULT]\nbantime = 1h\n[sshd]\nenabled = true\n", "jail.local");
const topicArn = "arn:aws:sns:eu-west-1:123456789012:Cloudjail-AlertsTopic-ABC";
const region = async () => "eu-west-1";

function deployedStack(outputs: Record<string, string>): void {
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: "Cloudjail",
        StackStatus: "CREATE_COMPLETE",
        CreationTime: new Date(),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  const json = JSON.stringify({ ...config, topicArn: "TOPIC" });
  const [before, after] = json.split("TOPIC");
  cloudFormation.on(GetTemplateCommand).resolves({
    TemplateBody: JSON.stringify({
      Resources: {
        AlertsTopic: { Type: "AWS::SNS::Topic" },
        Responder: {
          Type: "AWS::Lambda::Function",
          Properties: {
            Environment: {
              Variables: { CLOUDJAIL_CONFIG: { "Fn::Join": ["", [before, { Ref: "AlertsTopic" }, after]] } },
            },
          },
        },
      },
    }),
  });
  cloudFormation.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: [
      {
        LogicalResourceId: "AlertsTopic",
        PhysicalResourceId: topicArn,
        ResourceType: "AWS::SNS::Topic",
        ResourceStatus: "CREATE_COMPLETE",
        LastUpdatedTimestamp: new Date(),
      },
    ],
  });
}

describe("cloudFormationLocator", () => {
  it("finds the table from the outputs and the configuration inside the Lambdas' environment", async () => {
    deployedStack({ [STACK_OUTPUTS.tableName]: "Cloudjail-StateTable-XYZ" });
    const stack = await cloudFormationLocator(
      new CloudFormationClient({ region: "eu-west-1" }),
      region,
    )("Cloudjail");
    expect(stack.tableName).toBe("Cloudjail-StateTable-XYZ");
    expect(stack.config.jails.map((jail) => [jail.name, jail.bantime])).toEqual([["sshd", 3600]]);
    expect(stack.config.topicArn).toBe(topicArn);
  });

  it("names the stack and region when the stack does not exist", async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error("Stack with id Nope does not exist"), { name: "ValidationError" }));
    const locate = cloudFormationLocator(new CloudFormationClient({ region: "eu-west-1" }), region);
    const error = await locate("Nope").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/no stack "Nope" in eu-west-1/);
  });

  it("refuses a stack without cloudjail's outputs", async () => {
    deployedStack({ SomethingElse: "x" });
    const locate = cloudFormationLocator(new CloudFormationClient({ region: "eu-west-1" }), region);
    await expect(locate("Cloudjail")).rejects.toThrow(/has no TableName output: it is not a cloudjail stack/);
  });
});

describe("defaultStackName", () => {
  it("reads cloudjail:stackName from the cdk.json of the current directory", () => {
    const folder = mkdtempSync(path.join(tmpdir(), "cloudjail-cdk-"));
    writeFileSync(
      path.join(folder, "cdk.json"),
      JSON.stringify({ context: { [STACK_NAME_CONTEXT]: "Jail-Prod" } }),
    );
    expect(defaultStackName(folder)).toBe("Jail-Prod");
  });

  it("falls back to the checkout's cdk.json, whose stack name is the CDK app's", () => {
    expect(defaultStackName(tmpdir())).toBe("Cloudjail");
  });

  it("uses the same context key and fallback as the CDK app", () => {
    expect(STACK_NAME_CONTEXT).toBe(CONTEXT.stackName);
    expect(FALLBACK_STACK_NAME).toBe(DEFAULT_STACK_NAME);
  });
});

describe("requireJail", () => {
  it("lists the jails there are when the name is unknown", () => {
    expect(() => requireJail(config, "postfix")).toThrow(/unknown jail "postfix": the stack has sshd/);
    expect(requireJail(config, "sshd").name).toBe("sshd");
  });
});
