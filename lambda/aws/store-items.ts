import { coveringCidr, type IpFamily, ipFamily } from "../core/ip";
import type { StreamConnections } from "../core/stream-connections";
import type { PortRange } from "../core/types";
import { TABLE_SCHEMA } from "./table-schema";

/**
 * The items of cloudjail's single table, as they appear in the DynamoDB console. Every time is stored twice: an
 * epoch number the code compares, and an ISO 8601 text beside it for people. Keys (see docs/runtime.md):
 *
 * | item                    | pk                               | sk           |
 * |-------------------------|----------------------------------|--------------|
 * | failure windows of a block | `WINDOWS#<block>#<shard>`     | `WINDOWS`    |
 * | IP record (ban+history) | `BAN#<ip>`                       | `RECORD`     |
 * | NACL rule-slot lease    | `SLOT#<naclId>`                  | `RULE#00042` |
 *
 * A block is the address's /24 (IPv4) or /64 (IPv6), split in {@link WINDOW_SHARDS} shards: a batch writes the
 * windows of a block's addresses in one request, not one each (issue 7).
 *
 * Every item carries `version`: writers compare-and-swap on it, so concurrent invocations never lose an update.
 */

/** The partition and sort key of an item (attribute names from TABLE_SCHEMA). */
export type ItemKey = {
  readonly [name in typeof TABLE_SCHEMA.partitionKey | typeof TABLE_SCHEMA.sortKey]: string;
};

/** The index and TTL attributes (names from TABLE_SCHEMA). */
type ScheduleAttributes = {
  /** GSI `bansByEnd` partition, present only while banned. */
  readonly [name in typeof TABLE_SCHEMA.banShardAttribute]?: string;
} & {
  /** GSI sort key (epoch seconds), present only while banned. */
  readonly [name in typeof TABLE_SCHEMA.banEndsAtAttribute]?: number;
};

/**
 * TTL (epoch seconds): purges windows after their last failure left findtime, and IP records long after their
 * last ban ended. Never set on a record with an active ban: a TTL never times an unban.
 */
type TtlAttribute = { readonly [name in typeof TABLE_SCHEMA.ttlAttribute]?: number };

/** Failure counting of one IP in one jail: an entry of its block's {@link WindowBlock}. */
export interface WindowItem {
  readonly jail: string;
  readonly ip: string;
  /** Failure times (epoch ms) still inside findtime, oldest first, at most maxretry (policy's FailureWindow). */
  readonly failureTimes: readonly number[];
  /** Digest of the CloudWatch Logs event id (batch.ts countedKey) -> epoch ms of each failure already counted and
   * still inside findtime: idempotency. */
  readonly counted: Readonly<Record<string, number>>;
  /** Failures counted for this IP in this jail while the entry lives (it goes with a ban, or past findtime). */
  readonly totalFailures: number;
  readonly lastFailureAt: number;
  readonly lastFailureAtIso: string;
  /** The most recent failure lines, newest last, capped in number and length. */
  readonly lines: readonly string[];
  /** Epoch seconds after which the entry is dropped at the block's next write: its failures left findtime. */
  readonly expiresAt: number;
}

/**
 * A ban decided by the writer of the block and not yet confirmed by the address's record. Whoever writes the mark
 * (a compare-and-swap on the block) owns the ban: the record is then written without a condition (in batches).
 * The record confirms the mark once its `windowResetAt` reaches `at`; an unconfirmed mark is honoured for
 * {@link MARK_GRACE_MS}, resumed by a retry of the invocation that wrote it (`by`), and void after that.
 */
export interface BanMark {
  readonly jail: string;
  /** Epoch ms of the decision: the `windowResetAt` the ban's record carries. */
  readonly at: number;
  readonly atIso: string;
  /** The invocation that decided it (Lambda's request id, kept across its retries). */
  readonly by: string;
  /**
   * The failure times (epoch ms) inside findtime when the jail reached maxretry: what a resumed ban records, and
   * what a void mark gives back to the window. (Not their lines: a mark lives minutes, but in every write of its
   * block; a resumed ban is recorded without them.)
   */
  readonly failureTimes: readonly number[];
  /** The event-id digests the window had counted: a void mark gives them back too, so nothing counts twice. */
  readonly counted: Readonly<Record<string, number>>;
  /** When the window the ban used would have expired (epoch seconds): how long a void mark's window lives again. */
  readonly windowExpiresAt: number;
  /** Epoch ms of the failure that reached maxretry: the ban's start. Absent in marks older than issue 13: `at`. */
  readonly banAt?: number;
}

/** The failure windows of the addresses of one block shard, and their bans in flight. */
export type WindowBlock = ItemKey & WindowBlockFields & TtlAttribute;

interface WindowBlockFields {
  readonly kind: "windows";
  /** The /24 or /64 the addresses share. */
  readonly block: string;
  readonly shard: number;
  /** `<jail>#<ip>` -> that address's window in that jail. */
  readonly windows: Readonly<Record<string, WindowItem>>;
  /** Address -> its ban decided but not yet confirmed by its record. */
  readonly marks: Readonly<Record<string, BanMark>>;
  /** Jail -> failures ever counted in this block shard (while the item lives): the CLI's "Total failed". */
  readonly totals: Readonly<Record<string, number>>;
  readonly version: number;
}

/** How long an unconfirmed ban mark is honoured: well past the responder's timeout (1 minute). */
export const MARK_GRACE_MS = 5 * 60_000;

/** Shards of a block: a busy /24 spreads over this many items, each well under DynamoDB's 400 KB. */
export const WINDOW_SHARDS = 4;

/**
 * Where a ban stands: `enforcing` between its record and its NACL entries, `pending` when a NACL had no room,
 * `observed` when its jail is detect-only (no entry is ever written for it, issue 15 §1).
 */
export type BanState = "enforcing" | "enforced" | "pending" | "observed";

/** A ban in force. Lives inside the IP record while the ban lasts. */
export interface ActiveBan {
  /** Stable identity of this ban: leases name it, so an entry is only ever attributed to the ban that wrote it. */
  readonly banId: string;
  readonly jail: string;
  /** Why, in words: "5 failures within 10m (sshd.failed-password x5)". */
  readonly reason: string;
  readonly failures: number;
  /** 1 for the IP's first ban (in this jail, or overall with bantime.overalljails). */
  readonly banNumber: number;
  readonly bannedAt: number;
  readonly bannedAtIso: string;
  /** Epoch seconds the ban ends; null for a permanent ban. */
  readonly endsAt: number | null;
  readonly endsAtIso: string | null;
  readonly seconds: number;
  /** How `seconds` was computed (bantime, bantime.increment's factor or multipliers, rndtime, maxtime). */
  readonly lengthRule?: string;
  /** Times (epoch ms, oldest first) of the failures inside findtime that reached maxretry, and their ISO text. */
  readonly failureTimes?: readonly number[];
  readonly failureTimesIso?: readonly string[];
  /** Log stream the failures came from (the attacked instance's id with the CloudWatch agent's naming). */
  readonly instanceId?: string;
  /** The lines that caused the ban, capped. */
  readonly lines: readonly string[];
  /** NACLs the ban must be in. */
  readonly targets: readonly string[];
  /** TCP ports the entries cover (restrictToJailPorts); absent: all traffic. */
  readonly portRange?: PortRange;
  /** NACL id -> rule number of the DENY entry written there. */
  readonly entries: Readonly<Record<string, number>>;
  /** NACL id -> why no entry could be written yet (retried by the unbanner). */
  readonly pending: Readonly<Record<string, string>>;
  readonly state: BanState;
  /**
   * Epoch seconds the current writer claimed the ban (`enforcing`): only the claimant writes its entries, and a
   * claim older than the unbanner's grace period belongs to a writer that died.
   */
  readonly claimedAt: number;
  /**
   * The covering entry (its CIDR; the cover's record is keyed by it) that holds this address instead of an entry of
   * its own (issue 7). A covered ban sits in a `COVERED#n` index partition, outside the active-ban listing.
   */
  readonly coveredBy?: string;
  /**
   * false: the ban's jail is detect-only (`enforce = false`): recorded and announced, with no NACL entry, no
   * overflow entry, and state `observed`. Absent: enforced (every record written before issue 15). Read it with
   * {@link isEnforced}.
   */
  readonly enforced?: false;
}

/**
 * True unless the record's ban (or the ban itself) is detect-only: what events, metrics and the CLI say about it.
 * A record without a ban reads as enforced, the default.
 */
export function isEnforced(item: IpRecord | ActiveBan | undefined): boolean {
  const ban = item !== undefined && "kind" in item ? item.ban : item;
  return ban?.enforced !== false;
}

/** A line of an IP's ban history. */
export interface BanSummary {
  readonly jail: string;
  readonly banNumber: number;
  readonly bannedAt: number;
  readonly bannedAtIso: string;
  readonly endsAtIso: string | null;
}

/** Everything cloudjail knows about one address beyond its failure windows: its ban (if any) and its history. */
export type IpRecord = ItemKey & IpRecordFields & ScheduleAttributes & TtlAttribute;

interface IpRecordFields {
  readonly kind: "ip";
  readonly ip: string;
  readonly family: IpFamily;
  /** The CIDR a NACL entry for this address carries (`/32`, `/128`). */
  readonly cidr: string;
  /** Bans ever, across jails (bantime.overalljails) and per jail. */
  readonly banCount: number;
  readonly banCountByJail: Readonly<Record<string, number>>;
  /** The latest bans, newest last, capped. */
  readonly recentBans: readonly BanSummary[];
  /** Failures at or before this time (epoch ms) were used by a ban and are not counted again. */
  readonly windowResetAt?: number;
  readonly ban?: ActiveBan;
  /** ISO text of the index sort key `banEndsAt`, while banned. */
  readonly banEndsAtIso?: string;
  readonly version: number;
  readonly updatedAtIso: string;
}

/**
 * The sshd connections a log stream's last batch left open (lambda/core/stream-connections.ts), so that its next
 * batch resumes them. Purged by TTL an hour after its batch: an sshd connection that says nothing for that long
 * is over (LoginGraceTime is 2 minutes).
 */
export type StreamConnectionsItem = ItemKey &
  StreamConnections &
  TtlAttribute & {
    readonly kind: "connections";
    readonly logGroup: string;
    readonly logStream: string;
    readonly updatedAtIso: string;
  };

/** How long a log stream's open connections are kept. */
export const STREAM_CONNECTIONS_TTL_SECONDS = 3600;

export function streamConnectionsKey(logGroup: string, logStream: string): ItemKey {
  return itemKey(`STREAM#${logGroup}#${logStream}`, "CONNECTIONS");
}

/** A rule number of one NACL, reserved for one ban's entry. */
export type SlotLease = ItemKey & SlotLeaseFields;

interface SlotLeaseFields {
  readonly kind: "lease";
  readonly naclId: string;
  readonly ruleNumber: number;
  readonly ip: string;
  readonly cidr: string;
  readonly family: IpFamily;
  readonly banId: string;
  readonly leasedAt: number;
  readonly leasedAtIso: string;
}

/** Number of `ACTIVE#n` partitions of the bans-by-end index (spreads a burst of bans over several partitions). */
export const BAN_SHARDS = 4;

/**
 * Permanent bans sit in their own index partition with this end (9999-12-31T23:59:59Z), so that listing active bans
 * needs no scan and expiry queries (on the `ACTIVE#n` partitions) never see them.
 */
export const PERMANENT_SHARD = "PERMANENT";
export const PERMANENT_BAN_ENDS_AT = 253_402_300_799;

/** How long an IP's history outlives its last ban (for bantime.increment and recidive). */
export const HISTORY_RETENTION_SECONDS = 90 * 24 * 3600;

/** Bans kept in an IP record's `recentBans` (enough for any recidive maxretry). */
export const RECENT_BANS_LIMIT = 20;

function itemKey(partition: string, sort: string): ItemKey {
  return { [TABLE_SCHEMA.partitionKey]: partition, [TABLE_SCHEMA.sortKey]: sort } as ItemKey;
}

/** The block shard holding the windows of `ip`: its /24 or /64, and a stable hash of the address. */
export function windowBlockOf(ip: string): { block: string; shard: number } {
  const block = coveringCidr(ip, ipFamily(ip) === "ipv4" ? 24 : 64);
  return { block, shard: addressHash(ip) % WINDOW_SHARDS };
}

export function windowBlockKey(ip: string): ItemKey {
  const { block, shard } = windowBlockOf(ip);
  return itemKey(`WINDOWS#${block}#${shard}`, "WINDOWS");
}

/** The key of an address's window inside its block's `windows`. */
export function windowEntryKey(jail: string, ip: string): string {
  return `${jail}#${ip}`;
}

export function recordKey(ip: string): ItemKey {
  return itemKey(`BAN#${ip}`, "RECORD");
}

export function slotPartition(naclId: string): string {
  return `SLOT#${naclId}`;
}

export function leaseKey(naclId: string, ruleNumber: number): ItemKey {
  return itemKey(slotPartition(naclId), `RULE#${String(ruleNumber).padStart(5, "0")}`);
}

/** The index partition of a timed ban of `ip`: a stable hash of the address over {@link BAN_SHARDS}. */
export function banShardOf(ip: string): string {
  return `ACTIVE#${addressHash(ip) % BAN_SHARDS}`;
}

function addressHash(ip: string): number {
  let hash = 0;
  for (let index = 0; index < ip.length; index++) hash = (hash * 31 + ip.charCodeAt(index)) >>> 0;
  return hash;
}

/** The index partition of a ban held by a covering entry (lifted by the cover service, not the unbanner). */
export function coveredShardOf(ip: string): string {
  return `COVERED#${banShardOf(ip).slice("ACTIVE#".length)}`;
}

/** Every partition of the bans-by-end index that holds covered bans. */
export function allCoveredShards(): string[] {
  return Array.from({ length: BAN_SHARDS }, (_, shard) => `COVERED#${shard}`);
}

/** Every partition of the bans-by-end index that can hold an active ban. */
export function allBanShards(): string[] {
  return [...Array.from({ length: BAN_SHARDS }, (_, shard) => `ACTIVE#${shard}`), PERMANENT_SHARD];
}

/** ISO 8601 text of an epoch-millisecond time. */
export function isoOfMs(ms: number): string {
  return new Date(ms).toISOString();
}

/** ISO 8601 text of an epoch-second time. */
export function isoOfSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
