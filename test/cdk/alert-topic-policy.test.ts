import { runSimulation } from "@cloud-copilot/iam-simulate";
import { beforeAll, describe, expect, it } from "vitest";
import { PSEUDO, resolveIntrinsics, SYNTH_TIMEOUT, synthCloudjail } from "./support/synth-cloudjail";

const ACCOUNT = PSEUDO["AWS::AccountId"];
const REGION = PSEUDO["AWS::Region"];
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:Cloudjail-AlertsTopic-1A2B3C`;
const DEPLOYED = { ...PSEUDO, "AWS::StackName": "Cloudjail" };

/** The alert topic's resource policy as deployed: intrinsics resolved, the topic's Ref as its ARN. */
let topicPolicy: unknown;

beforeAll(() => {
  const { template } = synthCloudjail({ "cloudjail:vpcIds": ["vpc-0123456789abcdef0"] });
  const topics = Object.keys(template.findResources("AWS::SNS::Topic")).filter((id) => id.includes("Alerts"));
  expect(topics).toHaveLength(1);
  const policies = Object.values(template.findResources("AWS::SNS::TopicPolicy")).filter((policy) =>
    JSON.stringify(policy.Properties.Topics).includes(topics[0]),
  );
  expect(policies).toHaveLength(1);
  topicPolicy = resolveIntrinsics(policies[0].Properties.PolicyDocument, {
    ...DEPLOYED,
    [topics[0]]: TOPIC_ARN,
  });
}, SYNTH_TIMEOUT);

/** IAM's answer (iam-simulate, on AWS's own authorization data) to CloudWatch publishing an alarm's state. */
async function alarmPublishes(
  alarm: { account: string; arn: string },
  secureTransport = true,
): Promise<string> {
  const response = await runSimulation(
    {
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: topicPolicy as never,
      request: {
        action: "sns:Publish",
        principal: "cloudwatch.amazonaws.com",
        resource: { accountId: ACCOUNT, resource: TOPIC_ARN },
        contextVariables: {
          "aws:SourceAccount": alarm.account,
          "aws:SourceArn": alarm.arn,
          "aws:SecureTransport": String(secureTransport),
        },
      },
    },
    {},
  );
  if (response.resultType === "error") throw new Error(JSON.stringify(response.errors));
  return response.overallResult;
}

const alarmArn = (account: string, name: string) => `arn:aws:cloudwatch:${REGION}:${account}:alarm:${name}`;

describe("the alert topic's policy, evaluated as IAM evaluates it", () => {
  it("lets an alarm of this stack publish", async () => {
    const alarm = {
      account: ACCOUNT,
      arn: alarmArn(ACCOUNT, "Cloudjail-MonitoringResponderErrors8C2F3E6A-1X2Y3Z"),
    };
    expect(await alarmPublishes(alarm)).toBe("Allowed");
  });

  it("denies an alarm of another account, even one named like this stack's", async () => {
    const other = "210987654321";
    const alarm = {
      account: other,
      arn: alarmArn(other, "Cloudjail-MonitoringResponderErrors8C2F3E6A-1X2Y3Z"),
    };
    expect(await alarmPublishes(alarm)).not.toBe("Allowed");
  });

  it("denies an alarm of another stack in this account", async () => {
    const alarm = { account: ACCOUNT, arn: alarmArn(ACCOUNT, "OtherStack-SomeAlarm-1X2Y3Z") };
    expect(await alarmPublishes(alarm)).not.toBe("Allowed");
  });

  it("still refuses publishing without TLS (enforceSSL)", async () => {
    const alarm = {
      account: ACCOUNT,
      arn: alarmArn(ACCOUNT, "Cloudjail-MonitoringResponderErrors8C2F3E6A-1X2Y3Z"),
    };
    expect(await alarmPublishes(alarm, false)).toBe("ExplicitlyDenied");
  });
});
