import { type DynamoDBDocumentClient, paginateScan } from "@aws-sdk/lib-dynamodb";
import type { CloudjailStore } from "../../lambda/aws/store";
import {
  allCoveredShards,
  type IpRecord,
  type WindowBlock,
  type WindowItem,
} from "../../lambda/aws/store-items";
import type { JailConfig } from "../../lambda/core/types";

/**
 * What `cloudjail status` and `cloudjail banned` show, read from the table's items (lambda/aws/store-items.ts):
 * fail2ban-client's counters per jail and one view per ban.
 */

/** One NACL deny entry of a ban. */
export interface NaclEntryView {
  readonly naclId: string;
  readonly ruleNumber: number;
}

/** A ban as an operator reads it. Times in epoch ms; `endsAt` null for a permanent ban. */
export interface BanView {
  readonly ip: string;
  readonly cidr: string;
  readonly jail: string;
  readonly bannedAt: number;
  readonly endsAt: number | null;
  readonly banNumber: number;
  readonly failures: number;
  readonly reason: string;
  /** `enforced`, `enforcing` (entries being written) or `pending` (a NACL had no room yet). */
  readonly state: string;
  readonly naclEntries: readonly NaclEntryView[];
  /** NACL id -> why no entry is there yet. */
  readonly pending: Readonly<Record<string, string>>;
  /** The covering entry (CIDR) that holds the ban instead of an entry of its own. */
  readonly coveredBy?: string;
  /** What `banned --why` shows: the evidence stored with the ban. */
  readonly why: BanEvidence;
}

/** The evidence stored with a ban (store-items.ts ActiveBan): what `banned <ip> --why` prints. */
export interface BanEvidence {
  /** Seconds the ban lasts; -1 permanent. */
  readonly seconds: number;
  /** How the length was computed (bantime, increment factor or multiplier, rndtime, maxtime); absent on older bans. */
  readonly lengthRule?: string;
  /** Epoch ms of the failures that reached maxretry, oldest first (none for a manual ban). */
  readonly failureTimes: readonly number[];
  /** Log streams (instance ids) the failures came from. */
  readonly instanceIds: readonly string[];
  /** The failure lines as stored (capped: the last maxretry, at most 10, 300 characters each). */
  readonly lines: readonly string[];
}

/** fail2ban-client's counters of one jail, and its bans. */
export interface JailStatus {
  readonly jail: string;
  /** IPs with failures inside findtime that no ban has used yet. */
  readonly currentlyFailed: number;
  /** Failures counted in the windows still stored (DynamoDB's TTL purges a window after its findtime). */
  readonly totalFailed: number;
  readonly currentlyBanned: number;
  /** Bans in the IP histories still stored (kept 90 days after an IP's last ban). */
  readonly totalBanned: number;
  /** Active bans, earliest end first. */
  readonly bans: readonly BanView[];
}

/** The view of an IP record's active ban, if it has one. */
export function banView(record: IpRecord): BanView | undefined {
  const ban = record.ban;
  if (ban === undefined) return undefined;
  return {
    ip: record.ip,
    cidr: record.cidr,
    jail: ban.jail,
    bannedAt: ban.bannedAt * 1000,
    endsAt: ban.endsAt === null ? null : ban.endsAt * 1000,
    banNumber: ban.banNumber,
    failures: ban.failures,
    reason: ban.reason,
    state: ban.state,
    naclEntries: Object.entries(ban.entries)
      .map(([naclId, ruleNumber]) => ({ naclId, ruleNumber }))
      .sort((a, b) => a.naclId.localeCompare(b.naclId)),
    pending: ban.pending,
    ...(ban.coveredBy === undefined ? {} : { coveredBy: ban.coveredBy }),
    why: {
      seconds: ban.seconds,
      ...(ban.lengthRule === undefined ? {} : { lengthRule: ban.lengthRule }),
      failureTimes: ban.failureTimes ?? [],
      instanceIds: ban.instanceId === undefined ? [] : [ban.instanceId],
      lines: ban.lines,
    },
  };
}

/**
 * The bans `banned` and `get <jail> banned` show, earliest end first: with no address, every active ban, covered
 * ones included (from the bans-by-end index, no scan); with addresses, theirs, and the addresses that have none.
 */
export async function lookUpBans(
  store: CloudjailStore,
  ips: readonly string[],
): Promise<{ bans: BanView[]; notBanned: string[] }> {
  const bans: BanView[] = [];
  const notBanned: string[] = [];
  if (ips.length === 0) {
    // Bans a covering entry holds are listed too, as `status` counts them: they sit in the COVERED#n partitions.
    const listings = [store.activeBans(), store.bansInShards(allCoveredShards())];
    for (const listing of listings) {
      for await (const record of listing) {
        const ban = banView(record);
        if (ban !== undefined) bans.push(ban);
      }
    }
  } else {
    for (const ip of new Set(ips)) {
      const record = await store.getRecord(ip);
      const ban = record === undefined ? undefined : banView(record);
      if (ban === undefined) notBanned.push(ip);
      else bans.push(ban);
    }
  }
  return { bans: bans.sort(byEnd), notBanned };
}

/** Orders bans by end, permanent ones last, then by address. */
export function byEnd(a: BanView, b: BanView): number {
  const endA = a.endsAt ?? Number.POSITIVE_INFINITY;
  const endB = b.endsAt ?? Number.POSITIVE_INFINITY;
  return endA === endB ? a.ip.localeCompare(b.ip) : endA - endB;
}

/** What `status` reads of the table: every window, every IP record, and the failures counted per jail. */
export interface TableState {
  readonly windows: readonly WindowItem[];
  readonly records: readonly IpRecord[];
  /** Jail -> failures counted (the window blocks' totals). */
  readonly totals: ReadonlyMap<string, number>;
}

/** Adds up the counters of every jail from the table's state, at time `now` (epoch ms). */
export function summarizeJails(
  jails: readonly JailConfig[],
  { windows, records, totals }: TableState,
  now: number,
): JailStatus[] {
  const resetAt = new Map(
    records.map((record) => [record.ip, record.windowResetAt ?? Number.NEGATIVE_INFINITY]),
  );
  return jails.map((jail) => {
    const since = now - jail.findtime * 1000;
    const own = windows.filter((window) => window.jail === jail.name);
    const reset = (ip: string) => resetAt.get(ip) ?? Number.NEGATIVE_INFINITY;
    const bans = records
      .map(banView)
      .filter((ban): ban is BanView => ban !== undefined && ban.jail === jail.name)
      .sort(byEnd);
    return {
      jail: jail.name,
      currentlyFailed: own.filter((window) =>
        window.failureTimes.some((at) => at > since && at > reset(window.ip)),
      ).length,
      totalFailed: totals.get(jail.name) ?? 0,
      currentlyBanned: bans.length,
      totalBanned: records.reduce((sum, record) => sum + (record.banCountByJail[jail.name] ?? 0), 0),
      bans,
    };
  });
}

/**
 * Reads every window block and IP record with one paginated Scan (leases are skipped by the filter). An operator
 * command's read: it costs one read unit per 4 KB of table, nothing the Lambdas do depends on it.
 */
export async function scanState(documents: DynamoDBDocumentClient, tableName: string): Promise<TableState> {
  const windows: WindowItem[] = [];
  const records: IpRecord[] = [];
  const totals = new Map<string, number>();
  const pages = paginateScan(
    { client: documents },
    {
      TableName: tableName,
      FilterExpression: "#kind IN (:windows, :ip)",
      ExpressionAttributeNames: { "#kind": "kind" },
      ExpressionAttributeValues: { ":windows": "windows", ":ip": "ip" },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      if (item.kind === "windows") {
        const block = item as WindowBlock;
        windows.push(...Object.values(block.windows));
        for (const [jail, count] of Object.entries(block.totals ?? {}))
          totals.set(jail, (totals.get(jail) ?? 0) + count);
      } else records.push(item as IpRecord);
    }
  }
  return { windows, records, totals };
}
