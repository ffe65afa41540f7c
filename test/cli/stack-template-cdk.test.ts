import { describe, expect, it } from "vitest";
import { configTextFromTemplate } from "../../bin/cli/stack-template";
import { parseConfigJson } from "../../lambda/core/config";
import { STACK_OUTPUTS } from "../../lib/stack-outputs";
import { SYNTH_TIMEOUT, synthCloudjail } from "../cdk/support/synth-cloudjail";

describe("reading a synthesized cloudjail stack the way the CLI reads a deployed one", () => {
  it(
    "finds the TableName output and the jails of config/jail.local inside the Lambdas' environment",
    () => {
      const { template } = synthCloudjail({ "cloudjail:vpcIds": "vpc-0123456789abcdef0" });
      const json = template.toJSON() as {
        Resources: Record<string, { Type: string }>;
        Outputs: Record<string, unknown>;
      };
      // After deployment, Ref of each resource is its physical id (a topic's is its ARN).
      const physicalIds = new Map(
        Object.entries(json.Resources).map(([logicalId, resource]) => [
          logicalId,
          resource.Type === "AWS::SNS::Topic"
            ? `arn:aws:sns:eu-west-1:123456789012:${logicalId}`
            : `${logicalId}-physical`,
        ]),
      );
      const config = parseConfigJson(
        JSON.parse(configTextFromTemplate(JSON.stringify(json), physicalIds)),
        "template",
      );
      expect(config.jails.map((jail) => [jail.name, jail.maxretry, jail.findtime, jail.bantime])).toEqual([
        ["sshd", 3, 300, 3600],
      ]);
      expect(config.nacl.vpcIds).toEqual(["vpc-0123456789abcdef0"]);
      expect(config.topicArn).toMatch(/^arn:aws:sns:eu-west-1:123456789012:/);
      expect(Object.keys(json.Outputs)).toContain(STACK_OUTPUTS.tableName);
    },
    SYNTH_TIMEOUT,
  );
});
