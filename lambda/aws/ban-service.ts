import type { BanDecision } from "../core/batch";
import { hostCidr, ipFamily } from "../core/ip";
import type { PortRange } from "../core/types";
import type { NaclEnforcer } from "./nacl-enforcer";
import type { SlotAllocator } from "./slot-allocator";
import type { SlotLeases } from "./slot-leases";
import type { CloudjailStore } from "./store";
import {
  type ActiveBan,
  type BanState,
  banShardOf,
  HISTORY_RETENTION_SECONDS,
  type IpRecord,
  isEnforced,
  isoOfMs,
  isoOfSeconds,
  PERMANENT_BAN_ENDS_AT,
  PERMANENT_SHARD,
  RECENT_BANS_LIMIT,
  recordKey,
} from "./store-items";

/** A ban to record and enforce. */
export interface BanRequest {
  readonly ip: string;
  readonly decision: BanDecision;
  /** Failures inside findtime when the jail reached maxretry. */
  readonly failures: number;
  /** The lines that caused the ban (already capped). */
  readonly lines: readonly string[];
  /** Times (epoch ms) of those failures; absent for a manual ban. */
  readonly failureTimes?: readonly number[];
  /** NACLs the ban goes into. */
  readonly targets: readonly string[];
  readonly instanceId?: string;
  readonly portRange?: PortRange;
  /**
   * false: the jail is detect-only. The ban is recorded as `observed` (`enforced: false`) with no target, and
   * {@link BanService.enforce} never writes an entry for it. @default true
   */
  readonly enforce?: boolean;
}

/** The record after an attempt to ban: `imposed` is false when the IP was already banned by someone else. */
export interface ImposeResult {
  readonly imposed: boolean;
  readonly record: IpRecord | undefined;
}

/** A ban that was lifted, for notifications and logs. */
export interface LiftResult {
  readonly ip: string;
  readonly ban: ActiveBan;
  /** NACL id -> rule number of the entries removed. */
  readonly removed: Readonly<Record<string, number>>;
}

/**
 * The one ban path, shared by the responder, the unbanner and the operator CLI. The order makes every crash
 * repairable: (1) the IP record takes the ban in state `enforcing` (compare-and-swap: one ban per IP), (2) per
 * NACL a rule number is leased and the DENY entry written (slot-allocator.ts), (3) the record notes the entries,
 * or the NACLs still `pending` and why. A crash after (1) or (2) leaves a record, leases and entries that name
 * each other, which the unbanner's reconcile completes or removes.
 */
export class BanService {
  constructor(
    private readonly store: CloudjailStore,
    private readonly leases: SlotLeases,
    private readonly enforcer: NaclEnforcer,
  ) {}

  /**
   * Records the ban (step 1). An IP already under an unexpired ban is left alone. A ban that has ended but that the
   * unbanner has not lifted yet is renewed in place: same banId and entries, new end, next ban number.
   * `now` is epoch ms; `known` is the record as already read (null: read found none).
   */
  async impose(request: BanRequest, now: number, known?: IpRecord | null): Promise<ImposeResult> {
    return this.imposeAs(request, now, known, (record) => record);
  }

  /**
   * Like {@link impose}, but the record is written as `shape` makes it: a batch whose bans a covering entry holds
   * records each of them once, already covered (or pending), instead of recording and then updating it.
   */
  async imposeAs(
    request: BanRequest,
    now: number,
    known: IpRecord | null | undefined,
    shape: (record: Omit<IpRecord, "version">) => Omit<IpRecord, "version">,
  ): Promise<ImposeResult> {
    const nowSeconds = Math.floor(now / 1000);
    let imposed = false;
    const record = await this.store.modifyRecord(
      request.ip,
      (current) => {
        imposed = false;
        if (current?.ban !== undefined && !hasEnded(current.ban, nowSeconds)) return undefined;
        imposed = true;
        return shape(banRecord(current, request, now));
      },
      known,
    );
    return { imposed, record };
  }

  /** The record {@link impose} would write over `known`, not written: what aggregation plans with. */
  proposal(request: BanRequest, now: number, known: IpRecord | null): IpRecord {
    return { ...banRecord(known ?? undefined, request, now), version: known?.version ?? 0 };
  }

  /**
   * Writes the entries a ban still lacks (step 2) and records the outcome (step 3). The caller must hold the ban's
   * claim (state `enforcing`, see {@link claim}). Returns the record as written, or undefined if the ban was lifted
   * or replaced meanwhile (its leases then name a ban that no longer exists, and the unbanner removes them).
   */
  async enforce(record: IpRecord, allocator: SlotAllocator, now: number): Promise<IpRecord | undefined> {
    const ban = record.ban;
    // A detect-only ban never reaches a NACL, whoever asks (issue 15 §1).
    if (ban === undefined || !isEnforced(ban)) return record;
    const missing = ban.targets.filter((naclId) => ban.entries[naclId] === undefined);
    const placements = await Promise.all(
      missing.map(async (naclId) => ({
        naclId,
        placement: await allocator.place(
          {
            naclId,
            ip: record.ip,
            cidr: record.cidr,
            family: record.family,
            banId: ban.banId,
            portRange: ban.portRange,
          },
          now,
        ),
      })),
    );
    let stillOurs = false;
    const written = await this.store.modifyRecord(
      record.ip,
      (current) => {
        stillOurs = current?.ban?.banId === ban.banId;
        if (current?.ban === undefined || !stillOurs) return undefined;
        const entries = { ...current.ban.entries };
        const pending = { ...current.ban.pending };
        if (current.ban.targets.length === 0) {
          pending[NO_TARGET] = "no NACL to write to: the configuration names no VPC or NACL that EC2 knows";
        } else {
          delete pending[NO_TARGET];
        }
        for (const { naclId, placement } of placements) {
          if (placement.status === "placed") {
            entries[naclId] = placement.ruleNumber;
            delete pending[naclId];
          } else {
            pending[naclId] = placement.reason;
          }
        }
        return withBan(
          current,
          { ...current.ban, entries, pending, state: stateOf(current.ban.targets, entries) },
          now,
        );
      },
      record,
    );
    return stillOurs ? written : undefined;
  }

  /**
   * Takes a recorded ban for enforcement (unbanner retries): a `pending` ban, an `enforced` one missing entries,
   * or an `enforcing` one whose claimant went quiet for `graceSeconds`. `lostEntries` names NACLs whose recorded
   * entry is gone (they are placed again); `targets` adds NACLs (for a ban recorded when none was known).
   * Returns the claimed record, or undefined when someone else holds it.
   */
  async claim(
    record: IpRecord,
    now: number,
    graceSeconds: number,
    lostEntries: readonly string[] = [],
    targets?: readonly string[],
  ): Promise<IpRecord | undefined> {
    const nowSeconds = Math.floor(now / 1000);
    let claimed = false;
    const written = await this.store.modifyRecord(
      record.ip,
      (current) => {
        claimed = false;
        const ban = current?.ban;
        if (current === undefined || ban === undefined || ban.banId !== record.ban?.banId) return undefined;
        if (!isEnforced(ban)) return undefined;
        if (ban.state === "enforcing" && nowSeconds - ban.claimedAt < graceSeconds) return undefined;
        claimed = true;
        const entries = { ...ban.entries };
        for (const naclId of lostEntries) delete entries[naclId];
        const retargeted =
          targets === undefined ? ban.targets : [...new Set([...ban.targets, ...targets])].sort();
        return withBan(
          current,
          { ...ban, entries, targets: retargeted, state: "enforcing", claimedAt: nowSeconds },
          now,
        );
      },
      record,
    );
    return claimed ? written : undefined;
  }

  /**
   * Records an entry that exists with a lease naming this ban but that the record does not list (a writer died
   * between the NACL write and the record update). Returns false if the ban is no longer the one the lease names.
   */
  async adoptEntry(
    ip: string,
    banId: string,
    naclId: string,
    ruleNumber: number,
    now: number,
  ): Promise<boolean> {
    let adopted = false;
    await this.store.modifyRecord(ip, (current) => {
      adopted = false;
      const ban = current?.ban;
      if (current === undefined || ban === undefined || ban.banId !== banId || !isEnforced(ban))
        return undefined;
      adopted = true;
      if (ban.entries[naclId] === ruleNumber) return undefined;
      const entries = { ...ban.entries, [naclId]: ruleNumber };
      const pending = { ...ban.pending };
      delete pending[naclId];
      const complete = ban.targets.every((target) => entries[target] !== undefined);
      return withBan(current, { ...ban, entries, pending, state: complete ? "enforced" : ban.state }, now);
    });
    return adopted;
  }

  /**
   * Lifts a ban: the record first (so that no reader sees a ban without entries as active), then each entry whose
   * lease still names this ban, then the lease. History stays. With `endedBy` (epoch seconds) the ban is lifted
   * only if it really ended by then (a renewal in between wins). Returns undefined when there was nothing to lift.
   */
  async lift(ip: string, banId: string, now: number, endedBy?: number): Promise<LiftResult | undefined> {
    let lifted: ActiveBan | undefined;
    await this.store.modifyRecord(ip, (current) => {
      lifted = undefined;
      const ban = current?.ban;
      if (current === undefined || ban === undefined || ban.banId !== banId) return undefined;
      if (endedBy !== undefined && !hasEnded(ban, endedBy)) return undefined;
      lifted = ban;
      return withoutBan(current, now);
    });
    if (lifted === undefined) return undefined;
    const removed: Record<string, number> = {};
    for (const [naclId, ruleNumber] of Object.entries(lifted.entries)) {
      if (await this.removeOwnedEntry(naclId, ruleNumber, banId)) removed[naclId] = ruleNumber;
    }
    return { ip, ban: lifted, removed };
  }

  /**
   * Moves the end of an active ban (an organization ban whose origin renewed or lengthened it, issue 16): the
   * record only, entries stay. Returns false when the ban is no longer `banId`.
   */
  async reschedule(ip: string, banId: string, endsAt: number | null, now: number): Promise<boolean> {
    let moved = false;
    await this.store.modifyRecord(ip, (current) => {
      moved = false;
      const ban = current?.ban;
      if (current === undefined || ban === undefined || ban.banId !== banId) return undefined;
      moved = true;
      const seconds = endsAt === null ? -1 : Math.max(0, endsAt - ban.bannedAt);
      return withBan(
        current,
        { ...ban, endsAt, endsAtIso: endsAt === null ? null : isoOfSeconds(endsAt), seconds },
        now,
      );
    });
    return moved;
  }

  /** Removes the entry at `ruleNumber` only while its lease names `banId`, then frees the lease. */
  async removeOwnedEntry(naclId: string, ruleNumber: number, banId: string): Promise<boolean> {
    const lease = await this.leases.get(naclId, ruleNumber);
    if (lease?.banId !== banId) return false;
    await this.enforcer.removeEntry(naclId, ruleNumber);
    await this.leases.release(naclId, ruleNumber, banId);
    return true;
  }
}

/** True when a timed ban's end is at or before `seconds`; a permanent ban never ends. */
export function hasEnded(ban: ActiveBan, seconds: number): boolean {
  return ban.endsAt !== null && ban.endsAt <= seconds;
}

/** Key of `pending` when a ban has no NACL at all to go into (no managed NACL was found). */
export const NO_TARGET = "*";

function stateOf(targets: readonly string[], entries: Readonly<Record<string, number>>): BanState {
  return targets.length > 0 && targets.every((naclId) => entries[naclId] !== undefined)
    ? "enforced"
    : "pending";
}

function banRecord(
  current: IpRecord | undefined,
  request: BanRequest,
  now: number,
): Omit<IpRecord, "version"> {
  const { decision } = request;
  const previous = current?.ban;
  const observed = request.enforce === false;
  const ban: ActiveBan = {
    banId: previous?.banId ?? `${decision.jail}#${request.ip}#${decision.bannedAt}`,
    jail: decision.jail,
    reason: decision.reason,
    failures: request.failures,
    banNumber: decision.banNumber,
    bannedAt: decision.bannedAt,
    bannedAtIso: isoOfSeconds(decision.bannedAt),
    endsAt: decision.endsAt,
    endsAtIso: decision.endsAt === null ? null : isoOfSeconds(decision.endsAt),
    seconds: decision.seconds,
    ...(decision.lengthRule === undefined ? {} : { lengthRule: decision.lengthRule }),
    ...(request.failureTimes === undefined ? {} : failureTimesOf(request.failureTimes)),
    ...(request.instanceId === undefined ? {} : { instanceId: request.instanceId }),
    lines: request.lines,
    // An observed ban names no NACL and lists no entry: the reconciler removes any a renewal leaves behind.
    targets: observed ? [] : [...new Set([...(previous?.targets ?? []), ...request.targets])].sort(),
    ...(request.portRange === undefined ? {} : { portRange: request.portRange }),
    entries: observed ? {} : (previous?.entries ?? {}),
    pending: {},
    state: observed ? "observed" : "enforcing",
    claimedAt: Math.floor(now / 1000),
    ...(observed ? { enforced: false as const } : {}),
  };
  const base: Omit<IpRecord, "version"> = current ?? {
    ...recordKey(request.ip),
    kind: "ip",
    ip: request.ip,
    family: ipFamily(request.ip),
    cidr: hostCidr(request.ip),
    banCount: 0,
    banCountByJail: {},
    recentBans: [],
    updatedAtIso: isoOfMs(now),
  };
  return withBan(
    {
      ...base,
      banCount: base.banCount + 1,
      banCountByJail: {
        ...base.banCountByJail,
        [decision.jail]: (base.banCountByJail[decision.jail] ?? 0) + 1,
      },
      recentBans: [
        ...base.recentBans,
        {
          jail: decision.jail,
          banNumber: decision.banNumber,
          bannedAt: decision.bannedAt,
          bannedAtIso: ban.bannedAtIso,
          endsAtIso: ban.endsAtIso,
        },
      ].slice(-RECENT_BANS_LIMIT),
      windowResetAt: now,
    },
    ban,
    now,
  );
}

/** The failure times a ban keeps (the latest {@link FAILURE_TIMES_KEPT}), with their ISO text. */
function failureTimesOf(times: readonly number[]): Pick<ActiveBan, "failureTimes" | "failureTimesIso"> {
  const kept = [...times].sort((a, b) => a - b).slice(-FAILURE_TIMES_KEPT);
  return { failureTimes: kept, failureTimesIso: kept.map(isoOfMs) };
}

/** Failure times kept with a ban: a window holds at most maxretry of them; this caps a large maxretry. */
export const FAILURE_TIMES_KEPT = 50;

/** The record carrying `ban`, with the index attributes that list it by end and no TTL. */
function withBan(record: Omit<IpRecord, "version">, ban: ActiveBan, now: number): Omit<IpRecord, "version"> {
  const { expiresAt: _ttl, ...rest } = record as IpRecord;
  const { version: _version, ...fields } = rest;
  const endsAt = ban.endsAt ?? PERMANENT_BAN_ENDS_AT;
  return {
    ...fields,
    ban,
    banShard: ban.endsAt === null ? PERMANENT_SHARD : banShardOf(record.ip),
    banEndsAt: endsAt,
    banEndsAtIso: isoOfSeconds(endsAt),
    updatedAtIso: isoOfMs(now),
  };
}

/** The record without its ban: out of the index, history kept, purged by TTL long after. */
function withoutBan(record: IpRecord, now: number): Omit<IpRecord, "version"> {
  const {
    ban: _ban,
    banShard: _shard,
    banEndsAt: _end,
    banEndsAtIso: _iso,
    version: _version,
    ...rest
  } = record;
  return {
    ...rest,
    expiresAt: Math.floor(now / 1000) + HISTORY_RETENTION_SECONDS,
    updatedAtIso: isoOfMs(now),
  };
}
