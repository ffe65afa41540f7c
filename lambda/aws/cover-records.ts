import { parseCidr } from "../core/ip";
import {
  type ActiveBan,
  banShardOf,
  coveredShardOf,
  type IpRecord,
  isoOfMs,
  isoOfSeconds,
  PERMANENT_BAN_ENDS_AT,
  PERMANENT_SHARD,
  recordKey,
} from "./store-items";

/**
 * The records of covering entries (issue 7): a cover is an ordinary ban record keyed by its CIDR, in jail
 * {@link COVER_JAIL}, whose end is its last member's end; and what a cover does to its members' records (covered,
 * or left pending when evicted). Pure record changes, written by the cover service.
 */

/** Jail name of a covering entry's record (it is no jail's ban: it holds other bans). */
export const COVER_JAIL = "cover";

/** A new cover record (or a lifted one taking a new ban), ending at `endsAt` (null = permanent). */
export function coverRecord(
  current: IpRecord | undefined,
  cidr: string,
  endsAt: number | null,
  members: readonly string[],
  targets: readonly string[],
  now: number,
): Omit<IpRecord, "version"> {
  const nowSeconds = Math.floor(now / 1000);
  const ban: ActiveBan = {
    banId: `${COVER_JAIL}#${cidr}#${nowSeconds}`,
    jail: COVER_JAIL,
    reason: `covers ${members.length} banned addresses or blocks of ${cidr}`,
    failures: 0,
    banNumber: (current?.banCount ?? 0) + 1,
    bannedAt: nowSeconds,
    bannedAtIso: isoOfSeconds(nowSeconds),
    endsAt,
    endsAtIso: endsAt === null ? null : isoOfSeconds(endsAt),
    seconds: endsAt === null ? -1 : endsAt - nowSeconds,
    lines: members.slice(0, 20),
    targets,
    entries: {},
    pending: {},
    state: "enforcing",
    claimedAt: nowSeconds,
  };
  const {
    version: _version,
    expiresAt: _ttl,
    ...base
  } = (current as IpRecord | undefined) ??
  ({
    ...recordKey(cidr),
    kind: "ip" as const,
    ip: cidr,
    family: parseCidr(cidr).family,
    cidr,
    banCount: 0,
    banCountByJail: {},
    recentBans: [],
    updatedAtIso: isoOfMs(now),
    version: 0,
  } as IpRecord);
  return withEnd({ ...base, banCount: base.banCount + 1 }, endsAt, now, ban);
}

/** The record with its ban ending at `endsAt`, index attributes to match. */
export function withEnd(
  record: Omit<IpRecord, "version">,
  endsAt: number | null,
  now: number,
  ban: ActiveBan = record.ban as ActiveBan,
): Omit<IpRecord, "version"> {
  const nowSeconds = Math.floor(now / 1000);
  const end = endsAt ?? PERMANENT_BAN_ENDS_AT;
  return {
    ...record,
    ban: {
      ...ban,
      endsAt,
      endsAtIso: endsAt === null ? null : isoOfSeconds(endsAt),
      seconds: endsAt === null ? -1 : endsAt - ban.bannedAt,
      claimedAt: ban.state === "enforcing" ? nowSeconds : ban.claimedAt,
    },
    banShard: endsAt === null ? PERMANENT_SHARD : banShardOf(record.ip),
    banEndsAt: end,
    banEndsAtIso: isoOfSeconds(end),
    updatedAtIso: isoOfMs(now),
  };
}

/**
 * A covered ban out of its cover (the cover was split or lifted around a neighbour): back in its `ACTIVE#n` (or
 * permanent) index partition, no entries, `enforcing` for the caller to place now, or `pending` for `pendingReason`
 * in every target NACL (the unbanner's reconcile places it when a slot frees).
 */
export function withoutCover(
  record: IpRecord,
  now: number,
  pendingReason?: string,
): Omit<IpRecord, "version"> {
  const { version: _version, ...fields } = record;
  const { coveredBy: _cover, ...ban } = record.ban as ActiveBan;
  const pending =
    pendingReason === undefined
      ? {}
      : Object.fromEntries(ban.targets.map((naclId) => [naclId, pendingReason]));
  return {
    ...fields,
    ban: {
      ...ban,
      entries: {},
      pending,
      state: pendingReason === undefined ? "enforcing" : "pending",
      claimedAt: Math.floor(now / 1000),
    },
    banShard: ban.endsAt === null ? PERMANENT_SHARD : banShardOf(record.ip),
    updatedAtIso: isoOfMs(now),
  };
}

type Unversioned = Omit<IpRecord, "version">;

/** The record with its ban held by the covering entry `cidr`: no entries of its own, in a `COVERED#n` partition. */
export function asCovered<T extends Unversioned>(record: T, cidr: string, now: number): T {
  const ban = record.ban as ActiveBan;
  return {
    ...record,
    ban: { ...ban, entries: {}, pending: {}, state: "enforced", coveredBy: cidr },
    banShard: coveredShardOf(record.ip),
    updatedAtIso: isoOfMs(now),
  };
}

/** The record with its ban left without entries, pending in every target NACL for `reason`. */
export function asPending<T extends Unversioned>(record: T, reason: string, now: number): T {
  const ban = record.ban as ActiveBan;
  const pending = Object.fromEntries(ban.targets.map((naclId) => [naclId, reason]));
  return { ...record, ban: { ...ban, entries: {}, pending, state: "pending" }, updatedAtIso: isoOfMs(now) };
}
