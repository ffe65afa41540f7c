import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  allBanShards,
  BAN_SHARDS,
  type IpRecord,
  type ItemKey,
  recordKey,
  type StreamConnectionsItem,
  streamConnectionsKey,
  type WindowBlock,
  type WindowItem,
  windowBlockKey,
  windowEntryKey,
} from "./store-items";
import { TABLE_SCHEMA } from "./table-schema";

/** What a compare-and-swap writer does with the current item: the next item, or undefined to write nothing. */
export type Mutation<T> = (current: T | undefined) => Omit<T, "version"> | undefined;

/** Raised when an item kept changing under a writer for every attempt (sustained contention). */
export class ContentionError extends Error {
  constructor(key: ItemKey, attempts: number) {
    super(`${keyText(key)} changed under every one of ${attempts} conditional writes`);
    this.name = "ContentionError";
  }
}

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const MAX_SWAP_ATTEMPTS = 12;
const MAX_BACKOFF_MS = 1_000;
const MAX_UNPROCESSED_ROUNDS = 8;

/**
 * cloudjail's DynamoDB table: failure windows and IP records (ban + history), see store-items.ts. Every write is
 * a conditional PutItem on the item's `version` (compare-and-swap), so concurrent invocations never overwrite each
 * other: a loser re-reads and re-applies its change. The one exception is {@link putNewRecords}: records of bans
 * whose block's compare-and-swap already made the writer their only owner. Reads for a batch are grouped into
 * BatchGetItem requests.
 */
export class CloudjailStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /**
   * Reads the window blocks of `ips` and their records, 100 keys per request, retrying unprocessed keys.
   * Eventually consistent: a stale read only costs a retried conditional write.
   */
  async readBatch(
    ips: readonly string[],
  ): Promise<{ blocks: Map<string, WindowBlock>; records: Map<string, IpRecord> }> {
    const blockKeys = new Map(ips.map((ip) => windowBlockKey(ip)).map((key) => [keyText(key), key]));
    const items = await this.getMany([...blockKeys.values(), ...ips.map((ip) => recordKey(ip))]);
    const result = { blocks: new Map<string, WindowBlock>(), records: new Map<string, IpRecord>() };
    for (const item of items) {
      if (item.kind === "windows") {
        const block = item as unknown as WindowBlock;
        result.blocks.set(keyText(block), block);
      } else if (item.kind === "ip") {
        const record = item as unknown as IpRecord;
        result.records.set(record.ip, record);
      }
    }
    return result;
  }

  /** Strongly consistent read of the window block holding `ip`. */
  getWindowBlock(ip: string): Promise<WindowBlock | undefined> {
    return this.get<WindowBlock>(windowBlockKey(ip));
  }

  /** Strongly consistent read of one window (inside its block). */
  async getWindow(jail: string, ip: string): Promise<WindowItem | undefined> {
    return (await this.getWindowBlock(ip))?.windows[windowEntryKey(jail, ip)];
  }

  /** What the log stream's last batch left open (strongly consistent: the stream's previous batch just wrote it). */
  getStreamConnections(logGroup: string, logStream: string): Promise<StreamConnectionsItem | undefined> {
    return this.get<StreamConnectionsItem>(streamConnectionsKey(logGroup, logStream));
  }

  /**
   * Stores what a batch left open, without a condition: two batches of one stream at once (rare) leave the
   * later writer's connections, and an attempt the other cut may then count twice, as before issue 13.
   */
  async putStreamConnections(item: StreamConnectionsItem): Promise<void> {
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /** Strongly consistent read of one IP record. */
  getRecord(ip: string): Promise<IpRecord | undefined> {
    return this.get<IpRecord>(recordKey(ip));
  }

  /**
   * Writes `item` with version `expected + 1` if the stored item still has version `expected` (or, for
   * `expected` undefined, if there is none). Returns the item written, or undefined when another writer got
   * there first.
   */
  async swap<T extends WindowBlock | IpRecord>(
    item: Omit<T, "version">,
    expected: number | undefined,
  ): Promise<T | undefined> {
    const next = { ...item, version: (expected ?? 0) + 1 } as unknown as T;
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: next,
          ConditionExpression:
            expected === undefined
              ? "attribute_not_exists(#pk)"
              : "attribute_exists(#pk) AND #version = :expected",
          ExpressionAttributeNames:
            expected === undefined
              ? { "#pk": TABLE_SCHEMA.partitionKey }
              : { "#pk": TABLE_SCHEMA.partitionKey, "#version": "version" },
          ExpressionAttributeValues: expected === undefined ? undefined : { ":expected": expected },
        }),
      );
      return next;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Read-modify-write of an IP record with compare-and-swap, re-reading after a lost race. `known` is a version
   * already read (saves the first read). Returns the item written, or the current one if `mutate` wrote nothing.
   */
  async modifyRecord(
    ip: string,
    mutate: Mutation<IpRecord>,
    known?: IpRecord | null,
  ): Promise<IpRecord | undefined> {
    return this.modify(recordKey(ip), () => this.getRecord(ip), mutate, known);
  }

  /**
   * Writes the first records of addresses, 25 per BatchWriteItem, without a condition: only for bans whose
   * block mark (a compare-and-swap) made this writer their one owner, and for addresses that had no record when
   * the batch read them. Unprocessed items are retried; a failure throws (the batch is retried, and the retry,
   * which owns the marks, writes them again).
   */
  async putNewRecords(records: readonly Omit<IpRecord, "version">[]): Promise<IpRecord[]> {
    const written = records.map((record) => ({ ...record, version: 1 }) as IpRecord);
    const puts = written.map((item) => ({
      PutRequest: { Item: item as unknown as Record<string, unknown> },
    }));
    await this.inChunks(puts, BATCH_WRITE_LIMIT, "BatchWriteItem", async (pending) => {
      const result = await this.documents.send(
        new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
      );
      return (result.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
    });
    return written;
  }

  /** Active timed bans whose end (epoch seconds) is at or before `endsBy`, every shard, page by page. */
  async *bansEndingBy(endsBy: number, pageSize?: number): AsyncGenerator<IpRecord> {
    for (let shard = 0; shard < BAN_SHARDS; shard++)
      yield* this.queryShard(`ACTIVE#${shard}`, endsBy, pageSize);
  }

  /** Every active ban, timed and permanent, page by page, without a scan. */
  async *activeBans(pageSize?: number): AsyncGenerator<IpRecord> {
    for (const shard of allBanShards()) yield* this.queryShard(shard, undefined, pageSize);
  }

  /** Bans of the named index partitions (e.g. `allCoveredShards()`), optionally only those ended by `endsBy`. */
  async *bansInShards(
    shards: readonly string[],
    endsBy?: number,
    pageSize?: number,
  ): AsyncGenerator<IpRecord> {
    for (const shard of shards) yield* this.queryShard(shard, endsBy, pageSize);
  }

  private async *queryShard(
    shard: string,
    endsBy: number | undefined,
    pageSize: number | undefined,
  ): AsyncGenerator<IpRecord> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TABLE_SCHEMA.bansByEndIndex,
          KeyConditionExpression:
            endsBy === undefined ? "#shard = :shard" : "#shard = :shard AND #endsAt <= :endsBy",
          ExpressionAttributeNames:
            endsBy === undefined
              ? { "#shard": TABLE_SCHEMA.banShardAttribute }
              : { "#shard": TABLE_SCHEMA.banShardAttribute, "#endsAt": TABLE_SCHEMA.banEndsAtAttribute },
          ExpressionAttributeValues:
            endsBy === undefined ? { ":shard": shard } : { ":shard": shard, ":endsBy": endsBy },
          ExclusiveStartKey: startKey,
          Limit: pageSize,
        }),
      );
      for (const item of page.Items ?? []) yield item as IpRecord;
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  private async modify<T extends WindowBlock | IpRecord>(
    key: ItemKey,
    read: () => Promise<T | undefined>,
    mutate: Mutation<T>,
    known: T | null | undefined,
  ): Promise<T | undefined> {
    let current: T | undefined = known === null ? undefined : known;
    let haveCurrent = known !== undefined;
    for (let attempt = 1; attempt <= MAX_SWAP_ATTEMPTS; attempt++) {
      if (!haveCurrent) current = await read();
      const next = mutate(current);
      if (next === undefined) return current;
      const written = await this.swap<T>(next, current?.version);
      if (written !== undefined) return written;
      haveCurrent = false;
      await this.backOff(attempt);
    }
    throw new ContentionError(key, MAX_SWAP_ATTEMPTS);
  }

  /** After a lost race (attempt n): waits a little, full jitter, so that a crowd of writers spreads out. */
  backOff(attempt: number): Promise<void> {
    return this.sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 10 * 2 ** attempt));
  }

  private async get<T>(key: ItemKey): Promise<T | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return result.Item as T | undefined;
  }

  private async getMany(keys: readonly ItemKey[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    await this.inChunks<Record<string, unknown>>(keys, BATCH_GET_LIMIT, "BatchGetItem", async (pending) => {
      const result = await this.documents.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }),
      );
      found.push(...(result.Responses?.[this.tableName] ?? []));
      return result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    });
    return found;
  }

  /**
   * Sends `items` `limit` at a time through `send`, which returns what DynamoDB left unprocessed; that is sent
   * again after a jittered pause, at most {@link MAX_UNPROCESSED_ROUNDS} times, then it throws.
   */
  private async inChunks<T>(
    items: readonly T[],
    limit: number,
    operation: string,
    send: (chunk: T[]) => Promise<T[]>,
  ): Promise<void> {
    for (let start = 0; start < items.length; start += limit) {
      let pending = items.slice(start, start + limit);
      for (let round = 0; pending.length > 0; round++) {
        if (round === MAX_UNPROCESSED_ROUNDS)
          throw new Error(`${operation} left ${pending.length} items unprocessed`);
        if (round > 0) await this.sleep(Math.random() * 25 * 2 ** round);
        pending = await send(pending);
      }
    }
  }
}

/** The document client the store expects: optional fields left undefined are simply not written. */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The map key `readBatch` uses for a window block: its partition and sort key. */
export function blockId(key: ItemKey): string {
  return keyText(key);
}

/** True for DynamoDB's "the condition of this write did not hold". */
export function isConditionalCheckFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === "ConditionalCheckFailedException";
}

function keyText(key: ItemKey): string {
  return `${key[TABLE_SCHEMA.partitionKey]} / ${key[TABLE_SCHEMA.sortKey]}`;
}
