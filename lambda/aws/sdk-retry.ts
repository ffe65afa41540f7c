/**
 * cloudjail's AWS calls are retried by the SDK itself: its clients are built with {@link SDK_RETRY}, adaptive mode.
 * The SDK classifies `RequestLimitExceeded`, `Throttling`, `ThrottlingException`, `TooManyRequestsException` and the
 * other throttling codes, 500/502/503/504 answers, timeouts and dropped connections as retryable; it backs off with
 * full jitter (a longer base for throttling), keeps a retry quota per client, and in adaptive mode also slows the
 * client's own sending rate after throttling (a token bucket), which a per-call retry loop cannot do.
 *
 * What the SDK does not cover stays where it belongs: a writer that loses a DynamoDB conditional write re-reads and
 * re-applies its change (store.ts); a WAFv2 or Network Firewall change that loses its lock token starts again from
 * a fresh read, and WAF updates are spaced one second apart (waf-ip-set.ts, network-firewall-ip-set.ts); a batch
 * whose calls still fail is retried by Lambda, and a ban EC2 keeps refusing is left pending for the unbanner. Only
 * the counting of attempts is read here, from what the SDK reports.
 */

/** The retry settings of the EC2, WAFv2 and Network Firewall clients: the SDK's adaptive mode, 6 attempts in all. */
export const SDK_RETRY = { retryMode: "adaptive", maxAttempts: 6 } as const;

/**
 * How many attempts the SDK made for one call, retries included: `$metadata.attempts` of its output, or of the error
 * it finally threw. 1 when the SDK did not say (a stubbed client).
 */
export function sdkAttempts(outcome: unknown): number {
  const attempts = (outcome as { $metadata?: { attempts?: unknown } } | null | undefined)?.$metadata
    ?.attempts;
  return typeof attempts === "number" && attempts >= 1 ? attempts : 1;
}

/** Runs one SDK call and reports how many attempts it took, whether it succeeded or threw. */
export async function countingAttempts<T>(
  call: () => Promise<T>,
  count: (attempts: number) => void,
): Promise<T> {
  try {
    const output = await call();
    count(sdkAttempts(output));
    return output;
  } catch (error) {
    count(sdkAttempts(error));
    throw error;
  }
}
