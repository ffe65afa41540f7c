import { describe, expect, it } from "vitest";
import { explainAwsError } from "../../bin/cli/aws-clients";
import { UsageError } from "../../bin/cli/errors";

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe("explainAwsError", () => {
  it("turns the SDK's missing-credentials error into a usage error that says how to fix it", () => {
    const error = explainAwsError(
      named("CredentialsProviderError", "Could not load credentials from any providers"),
      {
        profile: "ops",
      },
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      'no AWS credentials found (profile "ops"): run "aws configure" or "aws sso login", set AWS_PROFILE, or pass ' +
        "--profile NAME (Could not load credentials from any providers)",
    );
  });

  it("asks for a region when none is configured", () => {
    const error = explainAwsError(new Error("Region is missing"), {});
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/no AWS region: pass --region, set AWS_REGION/);
  });

  it("says expired credentials were refused", () => {
    const error = explainAwsError(
      named("ExpiredToken", "The security token included in the request is expired"),
      {},
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/AWS refused the credentials: The security token .* is expired/);
  });

  it("points a denied call at the IAM list in docs/cli.md, as a failure rather than a usage error", () => {
    const error = explainAwsError(
      named("AccessDeniedException", "User x is not authorized to perform: dynamodb:Query"),
      {},
    );
    expect(error).not.toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/permission denied: .*dynamodb:Query .*docs\/cli\.md/);
  });

  it("leaves any other error as it is", () => {
    const other = named("ProvisionedThroughputExceededException", "slow down");
    expect(explainAwsError(other, {})).toBe(other);
  });
});
