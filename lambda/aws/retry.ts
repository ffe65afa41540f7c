/** How AWS calls are retried: exponential backoff with full jitter, a bounded number of attempts. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** Backoff cap of the first retry, milliseconds; doubles each retry. @default 100 */
  readonly baseDelayMs?: number;
  /** Upper bound of one backoff, milliseconds. @default 5000 */
  readonly maxDelayMs?: number;
  /** Waits; tests inject a recorder. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1); tests inject a fixed sequence. @default Math.random */
  readonly random?: () => number;
}

const THROTTLING_CODES = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestThrottled",
]);

const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "TimeoutError"]);

/** True for errors worth another attempt: throttling, 5xx answers, dropped connections. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as { code?: unknown }).code;
  return (
    THROTTLING_CODES.has(error.name) ||
    (status !== undefined && status >= 500) ||
    NETWORK_CODES.has(error.name) ||
    (typeof code === "string" && NETWORK_CODES.has(code))
  );
}

/**
 * Runs `call`, retrying retryable errors with full-jitter backoff: before retry n (1-based) it waits a uniform
 * random time in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))). After `maxAttempts` it throws the last error.
 */
export async function withRetries<T>(
  call: () => Promise<T>,
  options: RetryOptions = {},
  onRetry: (error: unknown, attempt: number) => void = () => {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= maxAttempts || !isRetryable(error)) throw error;
      onRetry(error, attempt);
      await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}
