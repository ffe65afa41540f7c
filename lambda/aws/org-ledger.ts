import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  type FoldOutcome,
  foldOrgEvent,
  latestEnd,
  mergeOrgStates,
  type OrgBanState,
  teachesSomething,
} from "../core/org-ban-state";
import type { OrgEvent } from "../core/org-event";
import { isConditionalCheckFailure } from "./store";
import { HISTORY_RETENTION_SECONDS, isoOfSeconds, PERMANENT_BAN_ENDS_AT } from "./store-items";
import { TABLE_SCHEMA } from "./table-schema";

/**
 * A ledger of organization bans in a cloudjail table (the same key design: lib/cloudjail-table.ts): one item per
 * address, `pk = ORG#<ip>`, `sk = ORIGINS`, holding the per-origin state of org-ban-state.ts. The central ledger
 * (every organization ban, in the delegated administrator's account) and each member's own ledger (what it has
 * applied) are this same class over different tables. Writes are compare-and-swap on `version`.
 *
 * While one of its origins holds a ban, the item sits in the `bansByEnd` index under {@link ORG_LEDGER_SHARD},
 * sorted by its latest end, so that "every organization ban in force" is one Query, never a scan. The TTL purges an
 * item 90 days after its last ban ended; a permanent ban is never purged.
 */

/** Index partition of ledger items (apart from the IP records' `ACTIVE#n`). */
export const ORG_LEDGER_SHARD = "ORGANIZATION";

/** A ledger item as stored. */
export interface OrgLedgerItem extends OrgBanState {
  readonly pk: string;
  readonly sk: string;
  readonly kind: "org-ban";
  readonly version: number;
  readonly updatedAtIso: string;
}

const MAX_ATTEMPTS = 12;

export class OrgLedger {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** The address's state, strongly consistent; undefined when no event about it was ever recorded. */
  async get(ip: string): Promise<OrgLedgerItem | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: orgLedgerKey(ip), ConsistentRead: true }),
    );
    return result.Item as OrgLedgerItem | undefined;
  }

  /** Folds one event in (compare-and-swap); a duplicate or stale event writes nothing. */
  async fold(
    event: OrgEvent,
    now: number,
  ): Promise<{ readonly state: OrgBanState; readonly outcome: FoldOutcome }> {
    let outcome: FoldOutcome = "stale";
    const state = await this.update(
      event.ip,
      (current) => {
        const folded = foldOrgEvent(current, event);
        outcome = folded.outcome;
        return folded.outcome === "applied" ? folded.state : undefined;
      },
      now,
    );
    return { state: state ?? { ip: event.ip, origins: {} }, outcome };
  }

  /** Merges a state learnt elsewhere (the central ledger) in: per origin the newer event wins. */
  async merge(
    theirs: OrgBanState,
    now: number,
  ): Promise<{ readonly state: OrgBanState; readonly changed: boolean }> {
    let changed = false;
    const state = await this.update(
      theirs.ip,
      (current) => {
        changed = teachesSomething(current, theirs);
        return changed ? mergeOrgStates(current, theirs) : undefined;
      },
      now,
    );
    return { state: state ?? theirs, changed };
  }

  /** Every address with an organization ban ending after `nowSeconds` (or permanent), page by page. */
  async *inForce(nowSeconds: number, pageSize?: number): AsyncGenerator<OrgLedgerItem> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TABLE_SCHEMA.bansByEndIndex,
          KeyConditionExpression: "#shard = :shard AND #endsAt > :now",
          ExpressionAttributeNames: {
            "#shard": TABLE_SCHEMA.banShardAttribute,
            "#endsAt": TABLE_SCHEMA.banEndsAtAttribute,
          },
          ExpressionAttributeValues: { ":shard": ORG_LEDGER_SHARD, ":now": nowSeconds },
          ExclusiveStartKey: startKey,
          Limit: pageSize,
        }),
      );
      for (const item of page.Items ?? []) yield item as OrgLedgerItem;
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  private async update(
    ip: string,
    mutate: (current: OrgBanState | undefined) => OrgBanState | undefined,
    now: number,
  ): Promise<OrgBanState | undefined> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await this.get(ip);
      const next = mutate(current === undefined ? undefined : { ip: current.ip, origins: current.origins });
      if (next === undefined) return current;
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: ledgerItem(next, (current?.version ?? 0) + 1, now),
            ConditionExpression: current === undefined ? "attribute_not_exists(pk)" : "version = :read",
            ...(current === undefined ? {} : { ExpressionAttributeValues: { ":read": current.version } }),
          }),
        );
        return next;
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error;
        await this.sleep(Math.random() * Math.min(1000, 10 * 2 ** attempt));
      }
    }
    throw new Error(`the organization ledger item of ${ip} changed under ${MAX_ATTEMPTS} conditional writes`);
  }
}

/** Key of an address's ledger item. */
export function orgLedgerKey(ip: string): { pk: string; sk: string } {
  return { pk: `ORG#${ip}`, sk: "ORIGINS" };
}

function ledgerItem(state: OrgBanState, version: number, now: number): Record<string, unknown> {
  const end = latestEnd(state);
  const indexed =
    end === undefined
      ? {}
      : {
          [TABLE_SCHEMA.banShardAttribute]: ORG_LEDGER_SHARD,
          [TABLE_SCHEMA.banEndsAtAttribute]: end ?? PERMANENT_BAN_ENDS_AT,
          banEndsAtIso: isoOfSeconds(end ?? PERMANENT_BAN_ENDS_AT),
        };
  const purge =
    end === null
      ? {}
      : { [TABLE_SCHEMA.ttlAttribute]: (end ?? Math.floor(now / 1000)) + HISTORY_RETENTION_SECONDS };
  return {
    ...orgLedgerKey(state.ip),
    kind: "org-ban",
    ip: state.ip,
    origins: state.origins,
    version,
    updatedAtIso: new Date(now).toISOString(),
    ...indexed,
    ...purge,
  };
}
