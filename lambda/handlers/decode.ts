import { gunzipSync, gzipSync } from "node:zlib";
import { z } from "zod";

/**
 * The edge of the responder: a CloudWatch Logs subscription event is `{ awslogs: { data } }` where `data` is
 * base64(gzip(JSON)). Everything that arrives is validated here; the rest of the code sees only typed batches.
 */

const logEventSchema = z.object({
  // Control messages carry an event with an empty id; data events are checked below.
  id: z.string(),
  timestamp: z.number().int().nonnegative(),
  message: z.string(),
});

const payloadSchema = z.object({
  messageType: z.enum(["DATA_MESSAGE", "CONTROL_MESSAGE"]),
  owner: z.string(),
  logGroup: z.string(),
  logStream: z.string(),
  subscriptionFilters: z.array(z.string()),
  logEvents: z.array(logEventSchema),
});

const eventSchema = z.object({ awslogs: z.object({ data: z.string().min(1) }) });

/** One log event of a batch: `id` is CloudWatch Logs' unique event id, `timestamp` epoch ms. */
export type LogEvent = z.infer<typeof logEventSchema>;

/** A decoded subscription payload. `logStream` is the instance id when the CloudWatch agent names streams so. */
export type LogsPayload = z.infer<typeof payloadSchema>;

/** A CloudWatch Logs subscription event as Lambda receives it. */
export interface LogsSubscriptionEvent {
  readonly awslogs: { readonly data: string };
}

/**
 * Thrown when an event cannot be decoded. The responder lets it escape so that Lambda retries the invocation and
 * then hands the event to the on-failure destination; `reason` says which step failed.
 */
export class PayloadError extends Error {
  constructor(readonly reason: string) {
    super(`corrupt CloudWatch Logs payload: ${reason}`);
    this.name = "PayloadError";
  }
}

/** Decodes and validates a subscription event. Control messages are returned too: the caller skips them. */
export function decodeLogsEvent(event: unknown): LogsPayload {
  const envelope = eventSchema.safeParse(event);
  if (!envelope.success)
    throw new PayloadError(`event has no awslogs.data string (${firstIssue(envelope.error)})`);
  const compressed = Buffer.from(envelope.data.awslogs.data, "base64");
  if (compressed.length === 0) throw new PayloadError("awslogs.data is not base64");
  let json: string;
  try {
    json = gunzipSync(compressed).toString("utf8");
  } catch (error) {
    throw new PayloadError(`awslogs.data is not gzip (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new PayloadError(`payload is not JSON (${(error as Error).message})`);
  }
  const payload = payloadSchema.safeParse(value);
  if (!payload.success)
    throw new PayloadError(`payload has an unexpected shape (${firstIssue(payload.error)})`);
  if (payload.data.messageType === "DATA_MESSAGE") {
    const index = payload.data.logEvents.findIndex((logEvent) => logEvent.id.length === 0);
    if (index !== -1) throw new PayloadError(`logEvents.${index}.id is empty: events cannot be counted once`);
  }
  return payload.data;
}

/** True for the message CloudWatch Logs sends to check that the destination is reachable; it carries no log lines. */
export function isControlMessage(payload: LogsPayload): boolean {
  return payload.messageType === "CONTROL_MESSAGE";
}

/**
 * The inverse of {@link decodeLogsEvent}: wraps a payload the way CloudWatch Logs does. For local tools (the demo,
 * the benchmark) and tests that drive the real responder.
 */
export function encodeLogsEvent(payload: LogsPayload): LogsSubscriptionEvent {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload), "utf8")).toString("base64") } };
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid";
  const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
  return `${path}: ${issue.message}`;
}
