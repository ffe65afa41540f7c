import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { type BanNotice, SnsNotifier, subjectOf } from "../../lambda/aws/notifier";

const sns = mockClient(SNSClient);
afterEach(() => sns.reset());

const ban: BanNotice = {
  action: "ban",
  jail: "sshd",
  ip: "203.0.113.9",
  failures: 5,
  until: "2026-11-25T13:00:00.000Z",
  nacls: { "acl-0a": 1 },
  pending: {},
  reason: "5 failures within 10m (maxretry 5)",
};

describe("the SNS notifier", () => {
  it("publishes one message per ban with the jail, IP, failures, end and NACLs", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    await new SnsNotifier(
      new SNSClient({ region: "us-east-1" }),
      "arn:aws:sns:us-east-1:123456789012:cloudjail",
    ).notify(ban);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.TopicArn).toBe("arn:aws:sns:us-east-1:123456789012:cloudjail");
    expect(input?.Subject).toBe("cloudjail: banned 203.0.113.9 (sshd) until 2026-11-25T13:00:00.000Z");
    expect(JSON.parse(input?.Message ?? "{}")).toMatchObject({
      jail: "sshd",
      ip: "203.0.113.9",
      failures: 5,
      nacls: { "acl-0a": 1 },
    });
    expect(input?.MessageAttributes?.action?.StringValue).toBe("ban");
  });

  it("says forever for a permanent ban and keeps subjects within SNS's 100 characters", () => {
    expect(subjectOf({ ...ban, until: null })).toBe("cloudjail: banned 203.0.113.9 (sshd) until forever");
    expect(
      subjectOf({
        ...ban,
        action: "unban",
        ip: "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
        jail: "x".repeat(80),
      }).length,
    ).toBe(100);
  });
});
