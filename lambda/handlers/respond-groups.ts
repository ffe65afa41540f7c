import type { NaclResolution } from "../aws/nacl-resolver";
import { type ProposedBan, ProposedBans } from "../aws/proposed-bans";
import type { SlotAllocator } from "../aws/slot-allocator";
import { blockId } from "../aws/store";
import { type IpRecord, isEnforced, type WindowBlock, windowBlockKey } from "../aws/store-items";
import { type BlockVerdict, planBlock } from "../aws/window-blocks";
import type { BanDecision, FailureGroup } from "../core/batch";
import { enforcementOf, jailEnforces } from "../core/enforcement";
import { streamInstance } from "../core/event-lines";
import { denyPortRange } from "../core/nacl-plan";
import type { LogsPayload } from "./decode";
import { mapSettled } from "./map-settled";
import type { Runtime } from "./runtime";

/*
 * The responder's work for each (jail, IP) group of a batch (respond.ts): count the new failures into the window,
 * or ban, or, with aggregation, propose the ban so that the consolidation records it in one write.
 */

/** Window blocks (or bans) worked on at once in one invocation. */
const GROUP_CONCURRENCY = 16;
const MAX_GROUP_ROUNDS = 12;

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
  /** Lambda's request id (the same for its retries): the owner of the ban marks this invocation writes. */
  readonly id: string;
}

export type GroupOutcome =
  | { readonly kind: "duplicate" }
  | { readonly kind: "counted"; readonly failures: number }
  | { readonly kind: "reported"; readonly failures: number }
  | {
      readonly kind: "banned";
      readonly failures: number;
      readonly pending: boolean;
      /** The jail is detect-only: recorded, no entry. */
      readonly observed: boolean;
    }
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
  /** How its NACLs were chosen; `observed` for a detect-only jail, which names none. */
  readonly basis: NaclResolution["basis"] | "observed";
}

/**
 * Counts a batch's groups block by block (one conditional write per window block shard, at most
 * {@link GROUP_CONCURRENCY} at once), then records the bans the blocks marked, as many at once (each may write NACL
 * entries). A block that could not be written fails its groups. `read` is the batch's read of blocks and records.
 */
export async function handleGroups(
  runtime: Runtime,
  invocation: Invocation,
  payload: LogsPayload,
  groups: readonly FailureGroup[],
  read: {
    readonly blocks: ReadonlyMap<string, WindowBlock>;
    readonly records: ReadonlyMap<string, IpRecord>;
  },
  now: number,
): Promise<PromiseSettledResult<GroupOutcome>[]> {
  const byBlock = new Map<string, number[]>();
  groups.forEach((group, index) => {
    const key = blockId(windowBlockKey(group.ip));
    const indexes = byBlock.get(key);
    if (indexes === undefined) byBlock.set(key, [index]);
    else indexes.push(index);
  });
  const blocks = [...byBlock];
  const settled = await mapSettled(blocks, GROUP_CONCURRENCY, ([key, indexes]) =>
    handleBlock(
      runtime,
      invocation,
      indexes.map((index) => groups[index] as FailureGroup),
      read.blocks.get(key),
      read.records,
      now,
    ),
  );
  const verdicts: PromiseSettledResult<BlockVerdict>[] = new Array(groups.length);
  settled.forEach((result, blockIndex) => {
    (blocks[blockIndex]?.[1] ?? []).forEach((groupIndex, position) => {
      verdicts[groupIndex] =
        result.status === "fulfilled"
          ? { status: "fulfilled", value: result.value[position] as BlockVerdict }
          : result;
    });
  });
  return mapSettled(
    groups.map((_, index) => index),
    GROUP_CONCURRENCY,
    async (index) => {
      const verdict = verdicts[index] as PromiseSettledResult<BlockVerdict>;
      if (verdict.status === "rejected") throw verdict.reason;
      return settle(runtime, invocation, payload, groups[index] as FailureGroup, verdict.value, now);
    },
  );
}

/**
 * Counts the groups of one window block (all their addresses share it) and marks the bans they reach, with one
 * compare-and-swap of the block, re-reading it and the addresses' records when a concurrent writer got there
 * first. Returns a verdict per group, as written; {@link settle} then records the bans. `records` holds the
 * addresses' records as the batch read them.
 */
async function handleBlock(
  runtime: Runtime,
  invocation: Invocation,
  groups: readonly FailureGroup[],
  known: WindowBlock | undefined,
  records: ReadonlyMap<string, IpRecord>,
  now: number,
): Promise<readonly BlockVerdict[]> {
  const { store } = runtime;
  const ip = (groups[0] as FailureGroup).ip;
  const key = windowBlockKey(ip);
  let block = known;
  let current = records;
  for (let round = 0; round < MAX_GROUP_ROUNDS; round++) {
    const plan = planBlock(key, block, groups, current, now, invocation.id, runtime.policy);
    if (plan.item === undefined || (await store.swap<WindowBlock>(plan.item, block?.version))) {
      return plan.verdicts;
    }
    await store.backOff(round + 1);
    const ips = [...new Set(groups.map((group) => group.ip))];
    const reread = await Promise.all([store.getWindowBlock(ip), ...ips.map((each) => store.getRecord(each))]);
    block = reread[0] as WindowBlock | undefined;
    current = new Map(
      ips.flatMap((each, index) => {
        const record = reread[index + 1] as IpRecord | undefined;
        return record === undefined ? [] : [[each, record] as const];
      }),
    );
  }
  throw new Error(`window block ${blockId(key)} kept changing under ${MAX_GROUP_ROUNDS} writes`);
}

/** The outcome of a group's verdict: a ban marked for it is recorded (or proposed, with aggregation) here. */
function settle(
  runtime: Runtime,
  invocation: Invocation,
  payload: LogsPayload,
  group: FailureGroup,
  verdict: BlockVerdict,
  now: number,
): Promise<GroupOutcome> | GroupOutcome {
  if (verdict.kind !== "ban") return verdict;
  return ban(runtime, invocation, payload, group, verdict, now);
}

async function ban(
  runtime: Runtime,
  invocation: Invocation,
  payload: LogsPayload,
  group: FailureGroup,
  verdict: Extract<BlockVerdict, { kind: "ban" }>,
  now: number,
): Promise<GroupOutcome> {
  const { config, bans, logger } = runtime;
  const { record } = verdict;
  const failures = verdict.fresh.length;
  const { decision } = verdict;
  const banningJail = config.jails.find((jail) => jail.name === decision.jail) ?? group.jail;
  // A detect-only jail decides and records as one that enforces, but names no NACL (issue 15 §1).
  const enforce = jailEnforces(config, banningJail);
  const targets: Pick<NaclResolution, "naclIds"> & { readonly basis: Ban["basis"] } = enforce
    ? await invocation.targets()
    : { naclIds: [], basis: "observed" };
  if (enforce && targets.naclIds.length === 0) {
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
    failures: verdict.failures,
    failureTimes: verdict.failureTimes,
    lines: verdict.lines,
    targets: targets.naclIds,
    instanceId: streamInstance(payload.logStream),
    portRange: denyPortRange(banningJail.port, config.nacl.restrictToJailPorts),
    ...(enforce ? {} : { enforce: false }),
  };
  const decided: Ban = { group, decision, failures: verdict.failures, basis: targets.basis };
  // A renewal (a ban ended but not lifted yet) keeps its entries: it is recorded at once, like without aggregation.
  // An observed ban has nothing to place: it is recorded at once too.
  if (invocation.proposes && enforce && record?.ban === undefined) {
    return { kind: "proposed", failures, proposal: { request, known: record ?? null }, ban: decided };
  }
  const imposed = await bans.impose(request, now, record ?? null);
  // Another invocation banned the IP first: these failures are reported against its ban.
  if (!imposed.imposed || imposed.record === undefined) return { kind: "reported", failures };
  // With aggregation, the batch's bans are placed together right after it (placeBans, issue 7).
  const enforced =
    invocation.proposes || !enforce
      ? imposed.record
      : ((await bans.enforce(imposed.record, invocation.allocator, now)) ?? imposed.record);
  return announce(runtime, payload, decided, enforced, failures);
}

/**
 * Hands the batch's proposed bans and its renewals to the placer, then announces each proposal recorded; one that
 * another writer banned first is reported against that ban. A proposal the placer left unrecorded fails the batch:
 * Lambda retries it with the same request id, which owns the ban's mark on its window block and records it then.
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
  const proposals = new ProposedBans(runtime.bans, runtime.store, [...proposed.values()], now);
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
  const enforced = isEnforced(record);
  logger.info("banned", {
    ip: group.ip,
    jail: decision.jail,
    until: ban?.endsAtIso ?? null,
    banNumber: decision.banNumber,
    reason: decision.reason,
    nacls: ban?.entries ?? {},
    coveredBy: ban?.coveredBy,
    targetBasis: decided.basis,
    enforcement: enforcementOf(ban),
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
    instanceId: streamInstance(payload.logStream),
    ...(ban === undefined ? {} : { bannedAt: ban.bannedAtIso }),
    enforced,
  });
  return { kind: "banned", failures, pending: isPending, observed: !enforced };
}
