import { randomUUID } from "node:crypto";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { NaclResolution } from "../aws/nacl-resolver";
import {
  isoOfMs,
  STREAM_CONNECTIONS_TTL_SECONDS,
  type StreamConnectionsItem,
  streamConnectionsKey,
} from "../aws/store-items";
import { type FailureGroup, groupFailures } from "../core/batch";
import { createDetector } from "../core/create-detector";
import { type EventLines, eventLines, streamInstance, withoutSshdText } from "../core/event-lines";
import {
  connectionsToResume,
  type JailConnections,
  nextStreamConnections,
  packConnections,
  STREAM_CONNECTIONS_LIMIT,
  type StreamConnections,
  unpackConnections,
} from "../core/stream-connections";
import { FAILURES_LOG, METRIC } from "../core/telemetry";
import type { Failure, JailConfig } from "../core/types";
import type { UnbannableFailure } from "../core/unbannable-sources";
import { decodeLogsEvent, isControlMessage, type LogsPayload, PayloadError } from "./decode";
import { addCountsByEnforcement } from "./enforcement-metrics";
import { holdInOverflow } from "./overflow";
import { type BanPlacer, handleGroups, type Invocation, placeBans } from "./respond-groups";
import type { Runtime } from "./runtime";

/** What one invocation did, for logs, tests and the benchmark. */
export interface ResponderSummary {
  readonly events: number;
  /** Failures counted for the first time (a redelivered batch counts none). */
  readonly failures: number;
  /** Failures from IPs already banned: reported, never re-banned. */
  readonly reported: number;
  /** Failures from ignoreip addresses. */
  readonly ignored: number;
  /** Lines the detectors skipped (too long, binary). */
  readonly skipped: number;
  /** IPs banned by this invocation. */
  readonly bans: readonly string[];
  /** IPs whose ban waits for room in at least one NACL. */
  readonly pending: readonly string[];
  /** IPs of `bans` banned by a detect-only jail: recorded, no NACL or overflow entry (issue 15 §1). */
  readonly observed: readonly string[];
}

const EMPTY: ResponderSummary = {
  events: 0,
  failures: 0,
  reported: 0,
  ignored: 0,
  skipped: 0,
  bans: [],
  pending: [],
  observed: [],
};
/**
 * The responder: one CloudWatch Logs batch at time `now` (epoch ms, read once by the handler). Decodes, runs each
 * enabled jail's detector over the lines, then per window block (store-items.ts): counts the new failures of its
 * addresses and marks their bans with one conditional write, then records each ban (record -> leases + entries ->
 * record). With a `place`r (aggregation), the bans of addresses never banned are recorded together after the
 * batch, covered where a covering entry holds them, 25 per request. A payload that cannot be decoded throws (Lambda retries, then the on-failure destination gets it); any
 * other error is thrown after every IP was tried, and a retry repeats nothing thanks to the event ids, but records
 * the bans it marked (`invocationId`: Lambda's request id, which its retries keep).
 */
export async function respond(
  runtime: Runtime,
  event: unknown,
  now: number,
  place?: BanPlacer,
  invocationId: string = randomUUID(),
): Promise<ResponderSummary> {
  const { logger, metrics } = runtime;
  let payload: LogsPayload;
  try {
    payload = decodeLogsEvent(event);
  } catch (error) {
    if (error instanceof PayloadError) {
      logger.error(
        "corrupt payload: failing the invocation so that it is retried, then kept by the on-failure destination",
        {
          reason: error.reason,
        },
      );
    }
    throw error;
  }
  if (isControlMessage(payload)) {
    logger.info("control message skipped", { logGroup: payload.logGroup });
    return EMPTY;
  }
  const firstEventId = payload.logEvents[0]?.id ?? "";
  const stored = await runtime.store.getStreamConnections(payload.logGroup, payload.logStream);
  const resumed = connectionsToResume(stored, firstEventId);
  const lines = await readLines(runtime, payload, now);
  const detected = detect(runtime.config.jails, payload, lines, now, resumed);
  const grouped = groupFailures(detected.failuresByJail, payload.logEvents);
  // The runtime allowlist (`cloudjail ignore add`) exempts as ignoreip does, read at most once a minute.
  const allowed = grouped.groups.length === 0 ? undefined : await runtime.allowed.matcher(now);
  const groups = grouped.groups.filter((group) => allowed?.allows(group.jail.name, group.ip) !== true);
  const ignored =
    grouped.ignored +
    grouped.groups
      .filter((group) => allowed?.allows(group.jail.name, group.ip) === true)
      .reduce((sum, group) => sum + group.failures.length, 0);
  const ips = [...new Set(groups.map((group) => group.ip))];
  const next = nextStreamConnections(stored, firstEventId, resumed, detected.open);
  const [read] = await Promise.all([
    runtime.store.readBatch(ips),
    next === undefined
      ? undefined
      : runtime.store.putStreamConnections(streamConnectionsItem(payload, next, now)),
  ]);
  let resolution: Promise<NaclResolution> | undefined;
  const invocation: Invocation = {
    allocator: runtime.newAllocator(),
    // One batch is one log stream: its NACLs are resolved once, however many IPs it bans.
    targets: () => {
      resolution ??= runtime.resolver.resolve(streamInstance(payload.logStream));
      return resolution;
    },
    proposes: place !== undefined,
    id: invocationId,
  };
  const phase = await handleGroups(runtime, invocation, payload, groups, read, now);
  const results = place === undefined ? phase : await placeBans(runtime, payload, groups, phase, place, now);

  const summary = {
    ...EMPTY,
    events: payload.logEvents.length,
    ignored,
    skipped: detected.skipped,
    bans: [] as string[],
    pending: [] as string[],
    observed: [] as string[],
  };
  let firstError: unknown;
  results.forEach((result, index) => {
    const group = groups[index] as FailureGroup;
    if (result.status === "rejected") {
      firstError ??= result.reason;
      logger.error("failures of an IP not processed; the batch will be retried", {
        ip: group.ip,
        jail: group.jail.name,
        error: String(result.reason),
      });
      return;
    }
    const outcome = result.value;
    if (outcome.kind === "duplicate" || outcome.kind === "proposed") return;
    if (outcome.kind === "reported") summary.reported += outcome.failures;
    else summary.failures += outcome.failures;
    if (outcome.kind === "banned") {
      summary.bans.push(group.ip);
      if (outcome.pending) summary.pending.push(group.ip);
      if (outcome.observed) summary.observed.push(group.ip);
    }
    logger.info(FAILURES_LOG.message, {
      [FAILURES_LOG.ipField]: group.ip,
      [FAILURES_LOG.jailField]: group.jail.name,
      [FAILURES_LOG.countField]: outcome.failures,
      banned: outcome.kind !== "counted",
    });
  });
  // With aggregation the consolidation holds what it leaves pending (aggregate.ts).
  if (place === undefined) await holdInOverflow(runtime, summary.pending, "no room in a NACL");
  metrics.addMetric(METRIC.failures, MetricUnit.Count, summary.failures + summary.reported);
  metrics.addMetric(METRIC.bans, MetricUnit.Count, summary.bans.length);
  addCountsByEnforcement(metrics, METRIC.bans, {
    enforced: summary.bans.length - summary.observed.length,
    observed: summary.observed.length,
  });
  metrics.addMetric(METRIC.pendingBans, MetricUnit.Count, summary.pending.length);
  metrics.addMetric(METRIC.skippedLines, MetricUnit.Count, summary.skipped);
  metrics.addMetric(METRIC.forgedLines, MetricUnit.Count, lines.forged);
  metrics.addMetric(METRIC.unbannableFailures, MetricUnit.Count, detected.unbannable);
  const sample = detected.unbannableSample;
  if (sample !== undefined) {
    logger.warn("failures from a source that is no address: not banned", {
      logStream: payload.logStream,
      failures: detected.unbannable,
      sample: { source: sample.source, pattern: sample.patternId, line: sample.text },
    });
  }
  if (lines.duplicateSource > 0) {
    logger.info("sshd file lines left out: the host's journal is read instead", {
      logStream: payload.logStream,
      lines: lines.duplicateSource,
    });
  }
  if (lines.forged > 0) {
    logger.warn("sshd lines written by another process: not counted", {
      logStream: payload.logStream,
      forged: lines.forged,
    });
  }
  metrics.publishStoredMetrics();
  logger.info("batch done", {
    logStream: payload.logStream,
    ...summary,
    bans: summary.bans.length,
    pending: summary.pending.length,
    observed: summary.observed.length,
  });
  if (firstError !== undefined) throw firstError;
  return summary;
}

/**
 * The batch's lines, one source per host: a batch of journald records writes down that its host's journal arrives;
 * the sshd lines of a host whose journal arrives are left out of its file batches.
 */
async function readLines(runtime: Runtime, payload: LogsPayload, now: number): Promise<EventLines> {
  const lines = eventLines(payload.logEvents);
  const host = streamInstance(payload.logStream);
  if (lines.journaldRecords > 0) await runtime.journaldHosts.sawJournal(host, now);
  else if (lines.sshdTextIndexes.length > 0 && (await runtime.journaldHosts.sendsJournal(host, now))) {
    return withoutSshdText(lines);
  }
  return lines;
}

/**
 * Runs every enabled log jail's detector over the batch's lines (event-lines.ts), each resuming the sshd
 * connections the stream's previous batch left open; returns what each leaves open.
 */
function detect(
  jails: readonly JailConfig[],
  payload: LogsPayload,
  lines: EventLines,
  now: number,
  resumed: JailConnections,
) {
  const failuresByJail = new Map<JailConfig, Failure[]>();
  const open: Record<string, ReturnType<typeof packConnections>> = {};
  let skipped = 0;
  let unbannable = 0;
  let unbannableSample: UnbannableFailure | undefined;
  for (const jail of jails) {
    if (!jail.enabled || jail.filter === "recidive") continue;
    const detector = createDetector({ filter: jail, now });
    detector.resume?.(unpackConnections(resumed[jail.name]));
    const found: Failure[] = [];
    payload.logEvents.forEach((logEvent, index) => {
      const text = lines.texts[index];
      if (text === undefined) return;
      found.push(...detector.push(text, { line: index + 1, receivedAt: logEvent.timestamp }));
    });
    const left = detector.openConnections?.(STREAM_CONNECTIONS_LIMIT) ?? [];
    if (left.length > 0) open[jail.name] = packConnections(left);
    found.push(...detector.end());
    failuresByJail.set(jail, found);
    skipped = Math.max(skipped, detector.stats.skipped);
    // Failures sshd attributed to a host name or a non-address (detector-api.ts): counted, never banned.
    unbannable += detector.stats.unbannable;
    unbannableSample ??= detector.takeUnbannable()[0];
  }
  return { failuresByJail, skipped, open, unbannable, unbannableSample };
}

/** The item holding what the batch left open for the stream's next batch. */
function streamConnectionsItem(
  payload: LogsPayload,
  connections: StreamConnections,
  now: number,
): StreamConnectionsItem {
  return {
    ...streamConnectionsKey(payload.logGroup, payload.logStream),
    kind: "connections",
    logGroup: payload.logGroup,
    logStream: payload.logStream,
    ...connections,
    updatedAtIso: isoOfMs(now),
    expiresAt: Math.floor(now / 1000) + STREAM_CONNECTIONS_TTL_SECONDS,
  };
}
