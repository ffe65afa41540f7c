import { describe, expect, it } from "vitest";
import { configTextFromTemplate, TemplateConfigError } from "../../bin/cli/stack-template";

const topicArn = "arn:aws:sns:eu-west-1:123456789012:Cloudjail-AlertsTopic-ABC";

function template(config: unknown): string {
  return JSON.stringify({
    Resources: {
      AlertsTopic1234: { Type: "AWS::SNS::Topic" },
      ResponderFunctionABCD: {
        Type: "AWS::Lambda::Function",
        Properties: {
          Environment: { Variables: { CLOUDJAIL_TABLE: { Ref: "Table" }, CLOUDJAIL_CONFIG: config } },
        },
      },
    },
  });
}

describe("configTextFromTemplate", () => {
  it("resolves the Fn::Join CDK writes, replacing the topic's Ref with its physical id", () => {
    const text = configTextFromTemplate(
      template({ "Fn::Join": ["", ['{"jails":[],"topicArn":"', { Ref: "AlertsTopic1234" }, '"}']] }),
      new Map([["AlertsTopic1234", topicArn]]),
    );
    expect(JSON.parse(text)).toEqual({ jails: [], topicArn });
  });

  it("returns a plain string as it is", () => {
    expect(configTextFromTemplate(template('{"jails":[]}'), new Map())).toBe('{"jails":[]}');
  });

  it("refuses a template with no CLOUDJAIL_CONFIG: the stack is not cloudjail's", () => {
    const other = JSON.stringify({ Resources: { Fn: { Type: "AWS::Lambda::Function", Properties: {} } } });
    expect(() => configTextFromTemplate(other, new Map())).toThrow(/not a cloudjail stack/);
  });

  it("refuses an intrinsic it cannot resolve rather than guessing", () => {
    expect(() => configTextFromTemplate(template({ "Fn::GetAtt": ["Topic", "Arn"] }), new Map())).toThrow(
      TemplateConfigError,
    );
    expect(() => configTextFromTemplate(template({ Ref: "Missing" }), new Map())).toThrow(
      /unknown resource Missing/,
    );
  });

  it("refuses a YAML template", () => {
    expect(() => configTextFromTemplate("Resources:\n  X: 1\n", new Map())).toThrow(/not JSON/);
  });
});
