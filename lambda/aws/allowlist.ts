import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { cidrText, parseCidr } from "../core/ip";
import { isoOfSeconds } from "./store-items";
import { TABLE_SCHEMA } from "./table-schema";

/**
 * The runtime allowlist (issue 15 §2, §3), in cloudjail's table under one partition, `ALLOW`:
 * - `ignore` entries (`cloudjail ignore add`, `set <jail> addignoreip`): as the jail's `ignoreip`, never banned by
 *   any path, for one jail or all (`jail` absent);
 * - `uncovered` entries (left by `unban` with aggregation on): the address may be banned again, but no covering
 *   entry may span it until `until`, so that an unbanned neighbour stays reachable.
 * Both keep covers off their ranges. The partition stays small (an operator writes it), so a read is one Query.
 */

/** What an allowlist entry is for. */
export type AllowScope = "ignore" | "uncovered";

/** One allowlist entry as stored. Times in epoch seconds; `until` null: until removed. */
export interface AllowEntry {
  /** Canonical CIDR (an address is stored as its /32 or /128). */
  readonly cidr: string;
  readonly scope: AllowScope;
  /** The jail it applies to; absent: every jail. */
  readonly jail?: string;
  readonly until: number | null;
  readonly untilIso: string | null;
  readonly reason: string;
  readonly addedAt: number;
  readonly addedAtIso: string;
}

const PARTITION = "ALLOW";

/** The allowlist's adapter: entries put, removed and listed (strongly consistent), expired ones left out. */
export class Allowlist {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Stores `entry` (replacing one of the same range, scope and jail). */
  async put(entry: AllowEntry): Promise<AllowEntry> {
    const item = {
      [TABLE_SCHEMA.partitionKey]: PARTITION,
      [TABLE_SCHEMA.sortKey]: sortKey(entry.scope, entry.cidr, entry.jail),
      kind: "allow",
      ...entry,
      // Purged a day after it ended; reads never rely on the purge.
      ...(entry.until === null ? {} : { [TABLE_SCHEMA.ttlAttribute]: entry.until + 86_400 }),
    };
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item }));
    return entry;
  }

  /** Removes the entry of `cidr` (canonical) in `scope` for `jail` (absent: the all-jails entry). True if it was there. */
  async remove(scope: AllowScope, cidr: string, jail?: string): Promise<boolean> {
    const result = await this.documents.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { [TABLE_SCHEMA.partitionKey]: PARTITION, [TABLE_SCHEMA.sortKey]: sortKey(scope, cidr, jail) },
        ReturnValues: "ALL_OLD",
      }),
    );
    return result.Attributes !== undefined;
  }

  /** Every entry in force at `nowSeconds` (epoch seconds), by scope then range. */
  async list(nowSeconds: number): Promise<AllowEntry[]> {
    const entries: AllowEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": TABLE_SCHEMA.partitionKey },
          ExpressionAttributeValues: { ":pk": PARTITION },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const entry = toEntry(item);
        if (entry.until === null || entry.until > nowSeconds) entries.push(entry);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return entries;
  }
}

/** An entry for `cidr` (address or CIDR) from `now` (epoch ms) until `until` (epoch seconds; null: until removed). */
export function allowEntry(
  scope: AllowScope,
  cidrOrIp: string,
  fields: { readonly jail?: string; readonly until: number | null; readonly reason: string },
  now: number,
): AllowEntry {
  const addedAt = Math.floor(now / 1000);
  return {
    cidr: canonicalCidr(cidrOrIp),
    scope,
    ...(fields.jail === undefined ? {} : { jail: fields.jail }),
    until: fields.until,
    untilIso: fields.until === null ? null : isoOfSeconds(fields.until),
    reason: fields.reason,
    addedAt,
    addedAtIso: isoOfSeconds(addedAt),
  };
}

/** `203.0.113.7` -> `203.0.113.7/32`; `2001:DB8::/32` -> `2001:db8::/32` (host bits cleared). */
export function canonicalCidr(text: string): string {
  return cidrText(parseCidr(text));
}

function sortKey(scope: AllowScope, cidr: string, jail: string | undefined): string {
  return `${scope}#${cidr}#${jail ?? "*"}`;
}

function toEntry(item: Record<string, unknown>): AllowEntry {
  const { cidr, scope, jail, until, untilIso, reason, addedAt, addedAtIso } = item as unknown as AllowEntry;
  return {
    cidr,
    scope,
    ...(jail === undefined ? {} : { jail }),
    until: until ?? null,
    untilIso: untilIso ?? null,
    reason,
    addedAt,
    addedAtIso,
  };
}
