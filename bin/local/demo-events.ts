import { createHash } from "node:crypto";
import { encodeLogsEvent, type LogEvent, type LogsSubscriptionEvent } from "../../lambda/handlers/decode";

/**
 * Groups log lines into CloudWatch Logs subscription events the way they reach the responder from a fleet: the
 * CloudWatch agent sends what it read every `force_flush_interval` (5 s by default) in one PutLogEvents batch
 * (at most 10,000 events and 1,048,576 bytes, 26 bytes of overhead per event), and the subscription hands each
 * batch to Lambda gzip-compressed and base64-encoded in `awslogs.data`.
 */

/** PutLogEvents' limits and the agent's default flush interval. */
export const BATCH_LIMITS = {
  flushMs: 5_000,
  maxEvents: 10_000,
  maxBytes: 1_048_576,
  eventOverheadBytes: 26,
} as const;

export interface LogEventBatcherOptions {
  readonly logGroup: string;
  /** The agent names streams after the instance id (`{instance_id}`). */
  readonly logStream: string;
  /** Log time a batch may span before it is sent. @default 5000 (the agent's force_flush_interval) */
  readonly flushMs?: number;
  /** @default 10000 */
  readonly maxEvents?: number;
  /** @default 1048576 */
  readonly maxBytes?: number;
}

/** A batch ready to hand to the responder. */
export interface LogsBatch {
  readonly event: LogsSubscriptionEvent;
  readonly lines: number;
  /** Epoch ms of the batch's last event. */
  readonly lastTimestamp: number;
}

/** Collects lines into batches; `add` returns the batch a line closed, `flush` the one still open. */
export class LogEventBatcher {
  private events: LogEvent[] = [];
  private bytes = 0;
  private sequence = 0;
  private readonly flushMs: number;
  private readonly maxEvents: number;
  private readonly maxBytes: number;

  constructor(private readonly options: LogEventBatcherOptions) {
    this.flushMs = options.flushMs ?? BATCH_LIMITS.flushMs;
    this.maxEvents = options.maxEvents ?? BATCH_LIMITS.maxEvents;
    this.maxBytes = options.maxBytes ?? BATCH_LIMITS.maxBytes;
  }

  /** Adds a line read at `timestamp` (epoch ms); returns the previous batch if this line starts a new one. */
  add(message: string, timestamp: number): LogsBatch | undefined {
    const size = Buffer.byteLength(message, "utf8") + BATCH_LIMITS.eventOverheadBytes;
    const first = this.events[0];
    const closed =
      first !== undefined &&
      (timestamp - first.timestamp >= this.flushMs ||
        this.events.length >= this.maxEvents ||
        this.bytes + size > this.maxBytes)
        ? this.flush()
        : undefined;
    this.events.push({ id: this.eventId(message, timestamp), timestamp, message });
    this.bytes += size;
    return closed;
  }

  /** Closes the open batch, if any. */
  flush(): LogsBatch | undefined {
    const events = this.events;
    const last = events[events.length - 1];
    if (last === undefined) return undefined;
    this.events = [];
    this.bytes = 0;
    return {
      event: encodeLogsEvent({
        messageType: "DATA_MESSAGE",
        owner: "123456789012",
        logGroup: this.options.logGroup,
        logStream: this.options.logStream,
        subscriptionFilters: ["cloudjail"],
        logEvents: events,
      }),
      lines: events.length,
      lastTimestamp: last.timestamp,
    };
  }

  /** Time the open batch started, if one is open (a live feed flushes it when the agent would). */
  get openSince(): number | undefined {
    return this.events[0]?.timestamp;
  }

  /**
   * CloudWatch Logs event ids are 56 decimal digits. These derive from the time, the position in the input and
   * the text, so that replaying the same log into kept state (`--data`) delivers the same ids again, as a
   * redelivered batch would, and the responder's idempotency keeps it from counting anything twice.
   */
  private eventId(message: string, timestamp: number): string {
    this.sequence += 1;
    const digest = createHash("sha256").update(`${this.sequence}\n${message}`).digest("hex");
    const digits = (BigInt(`0x${digest}`) % 10n ** 36n).toString().padStart(36, "0");
    return `${String(Math.max(0, Math.trunc(timestamp))).padStart(20, "0")}${digits}`;
  }
}
