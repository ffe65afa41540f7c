import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { hasEnded } from "../aws/ban-service";
import type { NaclResolution } from "../aws/nacl-resolver";
import { type ProposedBan, ProposedBans } from "../aws/proposed-bans";
import type { SlotAllocator } from "../aws/slot-allocator";
import { windowId } from "../aws/store";
import { type IpRecord, isoOfMs, type WindowItem, windowKey } from "../aws/store-items";
import {
  type BanDecision,
  type CountResult,
  countFailures,
  decideBan,
  type FailureGroup,
  groupFailures,
  type WindowState,
} from "../core/batch";
import { createDetector } from "../core/detector";
import { denyPortRange } from "../core/nacl-plan";
import { FAILURES_LOG, METRIC } from "../core/telemetry";
import type { Failure, JailConfig } from "../core/types";
import { decodeLogsEvent, isControlMessage, type LogsPayload, PayloadError } from "./decode";
import { holdInOverflow } from "./overflow";
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
}

const EMPTY: ResponderSummary = {
  events: 0,
  failures: 0,
  reported: 0,
  ignored: 0,
  skipped: 0,
  bans: [],
  pending: [],
};
const GROUP_CONCURRENCY = 16;
const MAX_GROUP_ROUNDS = 8;

/**
 * Places a batch's bans with aggregation (lambda/handlers/aggregate.ts): `claims` were recorded by this invocation
 * (renewals), `proposals` are to be recorded, each in one write. Must record every proposal or report it lost;
 * failures are its own to log.
 */
export type BanPlacer = (claims: readonly string[], proposals: ProposedBans) => Promise<void>;

/** What the IPs of one invocation share. */
interface Invocation {
  readonly allocator: SlotAllocator;
  readonly targets: () => Promise<NaclResolution>;
  /** Bans of addresses without a record of a ban are proposed to the placer, not recorded one by one. */
  readonly proposes: boolean;
}

type GroupOutcome =
  | { readonly kind: "duplicate" }
  | { readonly kind: "counted"; readonly failures: number }
  | { readonly kind: "reported"; readonly failures: number }
  | { readonly kind: "banned"; readonly failures: number; readonly pending: boolean }
  | {
      readonly kind: "proposed";
      readonly failures: number;
      readonly proposal: ProposedBan;
      readonly ban: Ban;
    };

/** A ban decided for one group, and what announcing it needs. */
interface Ban {
  readonly group: FailureGroup;
  readonly decision: BanDecision;
  readonly failures: number;
  readonly basis: NaclResolution["basis"];
}

/**
 * The responder: one CloudWatch Logs batch at time `now` (epoch ms, read once by the handler). Decodes, runs each
 * enabled jail's detector over the lines, then per (jail, IP): counts the new failures into the window with one
 * conditional write, or bans (record -> leases + entries -> record). With a `place`r (aggregation), the bans of
 * addresses never banned are recorded together after the batch, each in one write, covered where a covering
 * entry holds them. A payload that cannot be decoded throws (Lambda retries, then the on-failure destination gets
 * it); any other error is thrown after every IP was tried, and a retry repeats nothing thanks to the event ids.
 */
export async function respond(
  runtime: Runtime,
  event: unknown,
  now: number,
  place?: BanPlacer,
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
  const detected = detect(runtime.config.jails, payload, now);
  const { groups, ignored } = groupFailures(detected.failuresByJail, payload.logEvents);
  const ips = [...new Set(groups.map((group) => group.ip))];
  const read = await runtime.store.readBatch(
    groups.map((group) => ({ jail: group.jail.name, ip: group.ip })),
    ips,
  );
  let resolution: Promise<NaclResolution> | undefined;
  const invocation: Invocation = {
    allocator: runtime.newAllocator(),
    // One batch is one log stream: its NACLs are resolved once, however many IPs it bans.
    targets: () => {
      resolution ??= runtime.resolver.resolve(payload.logStream);
      return resolution;
    },
    proposes: place !== undefined,
  };
  const phase = await mapSettled(groups, GROUP_CONCURRENCY, (group) =>
    handleGroup(
      runtime,
      invocation,
      payload,
      group,
      read.windows.get(windowId(group.jail.name, group.ip)),
      read.records.get(group.ip),
      now,
    ),
  );
  const results = place === undefined ? phase : await placeBans(runtime, payload, groups, phase, place, now);

  const summary = {
    ...EMPTY,
    events: payload.logEvents.length,
    ignored,
    skipped: detected.skipped,
    bans: [] as string[],
    pending: [] as string[],
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
  metrics.addMetric(METRIC.pendingBans, MetricUnit.Count, summary.pending.length);
  metrics.addMetric(METRIC.skippedLines, MetricUnit.Count, summary.skipped);
  metrics.publishStoredMetrics();
  logger.info("batch done", {
    logStream: payload.logStream,
    ...summary,
    bans: summary.bans.length,
    pending: summary.pending.length,
  });
  if (firstError !== undefined) throw firstError;
  return summary;
}

/** Runs every enabled log jail's detector over the batch. */
function detect(jails: readonly JailConfig[], payload: LogsPayload, now: number) {
  const failuresByJail = new Map<JailConfig, Failure[]>();
  let skipped = 0;
  for (const jail of jails) {
    if (!jail.enabled || jail.filter === "recidive") continue;
    const detector = createDetector({ filter: jail, now });
    const found: Failure[] = [];
    payload.logEvents.forEach((logEvent, index) => {
      found.push(...detector.push(logEvent.message, { line: index + 1, receivedAt: logEvent.timestamp }));
    });
    found.push(...detector.end());
    failuresByJail.set(jail, found);
    skipped = Math.max(skipped, detector.stats.skipped);
  }
  return { failuresByJail, skipped };
}

/** Counts or bans one IP of one jail, re-reading and trying again when a concurrent writer got there first. */
async function handleGroup(
  runtime: Runtime,
  invocation: Invocation,
  payload: LogsPayload,
  group: FailureGroup,
  knownWindow: WindowItem | undefined,
  knownRecord: IpRecord | undefined,
  now: number,
): Promise<GroupOutcome> {
  const { store } = runtime;
  const nowSeconds = Math.floor(now / 1000);
  let window = knownWindow;
  let record = knownRecord;
  for (let round = 0; round < MAX_GROUP_ROUNDS; round++) {
    if (record?.ban !== undefined && !hasEnded(record.ban, nowSeconds)) {
      return { kind: "reported", failures: group.failures.length };
    }
    const count = countFailures(window && windowState(window), group, now, record?.windowResetAt);
    if (count.fresh.length === 0) return { kind: "duplicate" };
    if (count.reached) return ban(runtime, invocation, payload, group, count, record, now);
    if (await store.swap<WindowItem>(windowItem(group, count.state, now), window?.version)) {
      return { kind: "counted", failures: count.fresh.length };
    }
    [window, record] = await Promise.all([
      store.getWindow(group.jail.name, group.ip),
      store.getRecord(group.ip),
    ]);
  }
  throw new Error(
    `window of ${group.ip} in ${group.jail.name} kept changing under ${MAX_GROUP_ROUNDS} writes`,
  );
}

async function ban(
  runtime: Runtime,
  invocation: Invocation,
  payload: LogsPayload,
  group: FailureGroup,
  count: CountResult,
  record: IpRecord | undefined,
  now: number,
): Promise<GroupOutcome> {
  const { config, bans, logger } = runtime;
  const { state } = count;
  const failures = count.fresh.length;
  const patterns = count.fresh.map((failure) => failure.patternId);
  const decision = decideBan(
    group.jail,
    group.ip,
    record,
    state.failureTimes.length,
    patterns,
    config.jails,
    now,
    runtime.random,
  );
  const banningJail = config.jails.find((jail) => jail.name === decision.jail) ?? group.jail;
  const targets = await invocation.targets();
  if (targets.naclIds.length === 0) {
    logger.error(
      "no NACL to ban in: the configuration names no VPC or NACL that EC2 knows; the ban is pending",
      {
        ip: group.ip,
      },
    );
  }
  const request = {
    ip: group.ip,
    decision,
    failures: state.failureTimes.length,
    lines: state.lines,
    targets: targets.naclIds,
    instanceId: payload.logStream,
    portRange: denyPortRange(banningJail.port, config.nacl.restrictToJailPorts),
  };
  const decided: Ban = { group, decision, failures: state.failureTimes.length, basis: targets.basis };
  // A renewal (a ban ended but not lifted yet) keeps its entries: it is recorded at once, like without aggregation.
  if (invocation.proposes && record?.ban === undefined) {
    return { kind: "proposed", failures, proposal: { request, known: record ?? null }, ban: decided };
  }
  const imposed = await bans.impose(request, now, record ?? null);
  // Another invocation banned the IP first: these failures are reported against its ban.
  if (!imposed.imposed || imposed.record === undefined) return { kind: "reported", failures };
  // With aggregation, the batch's bans are placed together right after it (placeBans, issue 7).
  const enforced = invocation.proposes
    ? imposed.record
    : ((await bans.enforce(imposed.record, invocation.allocator, now)) ?? imposed.record);
  return announce(runtime, payload, decided, enforced, imposed.record, failures);
}

/**
 * Hands the batch's proposed bans and its renewals to the placer, then announces each proposal recorded; one that
 * another writer banned first is reported against that ban. A proposal the placer left unrecorded fails the batch
 * (Lambda retries it: nothing of it was written, so it counts again).
 */
async function placeBans(
  runtime: Runtime,
  payload: LogsPayload,
  groups: readonly FailureGroup[],
  phase: PromiseSettledResult<GroupOutcome>[],
  place: BanPlacer,
  now: number,
): Promise<PromiseSettledResult<GroupOutcome>[]> {
  const claims: string[] = [];
  const proposed = new Map<string, ProposedBan>();
  phase.forEach((result, index) => {
    if (result.status !== "fulfilled") return;
    const ip = (groups[index] as FailureGroup).ip;
    if (result.value.kind === "banned") claims.push(ip);
    // Two jails banning one address: the first proposal is the ban, the other's failures are reported against it.
    if (result.value.kind === "proposed" && !proposed.has(ip)) proposed.set(ip, result.value.proposal);
  });
  if (claims.length + proposed.size === 0) return phase;
  const proposals = new ProposedBans(runtime.bans, [...proposed.values()], now);
  await place(claims, proposals);
  return mapSettled(phase, GROUP_CONCURRENCY, async (result) => {
    if (result.status === "rejected") throw result.reason;
    const outcome = result.value;
    if (outcome.kind !== "proposed") return outcome;
    const { ip } = outcome.proposal.request;
    const recorded = proposed.get(ip) === outcome.proposal ? proposals.recorded.get(ip) : undefined;
    if (recorded !== undefined) {
      return announce(runtime, payload, outcome.ban, recorded, recorded, outcome.failures);
    }
    if (proposals.lost.has(ip) || proposed.get(ip) !== outcome.proposal) {
      return { kind: "reported", failures: outcome.failures };
    }
    throw new Error(`the ban of ${ip} was not recorded; the batch will be retried`);
  });
}

/** Logs and notifies a ban recorded as `active` (`recorded`: as first written). */
async function announce(
  runtime: Runtime,
  payload: LogsPayload,
  decided: Ban,
  active: IpRecord,
  recorded: IpRecord,
  failures: number,
): Promise<GroupOutcome> {
  const { logger } = runtime;
  const { group, decision } = decided;
  const ban = active.ban ?? recorded.ban;
  const pending = ban?.pending ?? {};
  const isPending = Object.keys(pending).length > 0;
  logger.info("banned", {
    ip: group.ip,
    jail: decision.jail,
    until: ban?.endsAtIso ?? null,
    banNumber: decision.banNumber,
    reason: decision.reason,
    nacls: ban?.entries ?? {},
    coveredBy: ban?.coveredBy,
    targetBasis: decided.basis,
  });
  if (isPending) {
    logger.warn("ban pending: no room in a NACL; the unbanner retries when slots free", {
      ip: group.ip,
      pending,
    });
  }
  await runtime.notifier.notify({
    action: "ban",
    jail: decision.jail,
    ip: group.ip,
    failures: decided.failures,
    until: ban?.endsAtIso ?? null,
    nacls: ban?.entries ?? {},
    pending,
    reason: decision.reason,
    banNumber: decision.banNumber,
    instanceId: payload.logStream,
  });
  return { kind: "banned", failures, pending: isPending };
}

function windowState(item: WindowItem): WindowState {
  return item;
}

function windowItem(group: FailureGroup, state: WindowState, now: number): Omit<WindowItem, "version"> {
  return {
    ...windowKey(group.jail.name, group.ip),
    kind: "window",
    jail: group.jail.name,
    ip: group.ip,
    failureTimes: state.failureTimes,
    failureTimesIso: state.failureTimes.map(isoOfMs),
    counted: state.counted,
    totalFailures: state.totalFailures,
    lastFailureAt: state.lastFailureAt,
    lastFailureAtIso: isoOfMs(state.lastFailureAt),
    lines: state.lines,
    // Purged a day after its last failure left findtime (or now, for lines stamped in the past).
    expiresAt: Math.floor(Math.max(state.lastFailureAt, now) / 1000) + group.jail.findtime + 86_400,
  };
}

/** Like Promise.allSettled over `items`, at most `limit` at a time. */
async function mapSettled<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: "fulfilled", value: await task(items[index] as T) };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
