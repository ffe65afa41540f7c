import { hasEnded } from "../aws/ban-service";
import type { NaclResolution } from "../aws/nacl-resolver";
import { type ProposedBan, ProposedBans } from "../aws/proposed-bans";
import type { SlotAllocator } from "../aws/slot-allocator";
import { type IpRecord, isoOfMs, type WindowItem, windowKey } from "../aws/store-items";
import {
  type BanDecision,
  type CountResult,
  countFailures,
  decideBan,
  type FailureGroup,
  type WindowState,
} from "../core/batch";
import { denyPortRange } from "../core/nacl-plan";
import type { LogsPayload } from "./decode";
import { mapSettled } from "./map-settled";
import type { Runtime } from "./runtime";

/*
 * The responder's work for each (jail, IP) group of a batch (respond.ts): count the new failures into the window,
 * or ban, or, with aggregation, propose the ban so that the consolidation records it in one write.
 */

/** Per-IP work running at once in one invocation. */
export const GROUP_CONCURRENCY = 16;
const MAX_GROUP_ROUNDS = 8;

/**
 * Places a batch's bans with aggregation (lambda/handlers/aggregate.ts): `claims` were recorded by this invocation
 * (renewals), `proposals` are to be recorded, each in one write. Must record every proposal or report it lost;
 * failures are its own to log.
 */
export type BanPlacer = (claims: readonly string[], proposals: ProposedBans) => Promise<void>;

/** What the IPs of one invocation share. */
export interface Invocation {
  readonly allocator: SlotAllocator;
  readonly targets: () => Promise<NaclResolution>;
  /** Bans of addresses without a record of a ban are proposed to the placer, not recorded one by one. */
  readonly proposes: boolean;
}

export type GroupOutcome =
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

/** Counts or bans one IP of one jail, re-reading and trying again when a concurrent writer got there first. */
export async function handleGroup(
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
  return announce(runtime, payload, decided, enforced, failures);
}

/**
 * Hands the batch's proposed bans and its renewals to the placer, then announces each proposal recorded; one that
 * another writer banned first is reported against that ban. A proposal the placer left unrecorded fails the batch
 * (Lambda retries it: nothing of it was written, so it counts again).
 */
export async function placeBans(
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
      return announce(runtime, payload, outcome.ban, recorded, outcome.failures);
    }
    if (proposals.lost.has(ip) || proposed.get(ip) !== outcome.proposal) {
      return { kind: "reported", failures: outcome.failures };
    }
    throw new Error(`the ban of ${ip} was not recorded; the batch will be retried`);
  });
}

/** Logs and notifies a ban as `record` holds it now (entries written, pending or covered). */
async function announce(
  runtime: Runtime,
  payload: LogsPayload,
  decided: Ban,
  record: IpRecord,
  failures: number,
): Promise<GroupOutcome> {
  const { logger } = runtime;
  const { group, decision } = decided;
  const ban = record.ban;
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
