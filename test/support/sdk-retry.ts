import { AdaptiveRetryStrategy, DefaultRateLimiter } from "@smithy/core/retry";

/**
 * The SDK's adaptive retry strategy, as production clients get it from `retryMode: "adaptive"` (lambda/aws/
 * sdk-retry.ts), with two knobs turned for tests: backoff waits are recorded instead of slept (`delays`, in the
 * order the SDK computed them), and the rate limiter's floor is high enough that it never holds a test back. The
 * SDK still decides what to retry, counts attempts and spends its retry quota.
 */
export function testRetryStrategy(maxAttempts: number): {
  strategy: AdaptiveRetryStrategy;
  delays: number[];
} {
  const delays: number[] = [];
  let base = 0;
  const strategy = new AdaptiveRetryStrategy(maxAttempts, {
    maxAttempts,
    backoff: {
      setDelayBase: (delay: number) => {
        base = delay;
      },
      computeNextBackoffDelay: (retries: number) => {
        delays.push(base * 2 ** retries);
        return 0;
      },
    },
    rateLimiter: new DefaultRateLimiter({ minFillRate: 1_000_000, minCapacity: 1_000_000 }),
  });
  return { strategy, delays };
}
