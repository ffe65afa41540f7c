import { describe, expect, it } from "vitest";
import { isRetryable, withRetries } from "../../lambda/aws/retry";

function awsError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });
}

describe("isRetryable", () => {
  it("retries throttling, server errors and dropped connections, not client errors", () => {
    expect(isRetryable(awsError("RequestLimitExceeded", 503))).toBe(true);
    expect(isRetryable(awsError("InternalError", 500))).toBe(true);
    expect(isRetryable(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRetryable(awsError("NetworkAclEntryAlreadyExists", 400))).toBe(false);
    expect(isRetryable("RequestLimitExceeded")).toBe(false);
  });
});

describe("withRetries", () => {
  it("waits a uniform share of a doubling cap before each retry, never above maxDelayMs", async () => {
    const sleeps: number[] = [];
    let failuresLeft = 6;
    const result = await withRetries(
      async () => {
        if (failuresLeft-- > 0) throw awsError("RequestLimitExceeded", 503);
        return "done";
      },
      {
        maxAttempts: 7,
        baseDelayMs: 100,
        maxDelayMs: 1000,
        random: () => 0.999,
        sleep: async (ms) => void sleeps.push(ms),
      },
    );
    expect(result).toBe("done");
    expect(sleeps.map(Math.round)).toEqual([100, 200, 400, 799, 999, 999]);
  });

  it("full jitter can wait nothing at all", async () => {
    const sleeps: number[] = [];
    let first = true;
    await withRetries(
      async () => {
        if (first) {
          first = false;
          throw awsError("Throttling", 400);
        }
      },
      { random: () => 0, sleep: async (ms) => void sleeps.push(ms) },
    );
    expect(sleeps).toEqual([0]);
  });

  it("throws a non-retryable error at once and the last error after maxAttempts", async () => {
    let calls = 0;
    await expect(
      withRetries(async () => {
        calls += 1;
        throw awsError("InvalidParameterValue", 400);
      }),
    ).rejects.toThrow("InvalidParameterValue");
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw awsError("RequestLimitExceeded", 503);
        },
        { maxAttempts: 4, sleep: async () => {} },
      ),
    ).rejects.toThrow("RequestLimitExceeded");
    expect(calls).toBe(4);
  });
});
