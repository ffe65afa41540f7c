import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SlotLeases } from "../../lambda/aws/slot-leases";
import { blockId, CloudjailStore, createDocumentClient } from "../../lambda/aws/store";
import {
  banShardOf,
  type IpRecord,
  isoOfSeconds,
  PERMANENT_BAN_ENDS_AT,
  PERMANENT_SHARD,
  type WindowBlock,
  windowBlockKey,
} from "../../lambda/aws/store-items";
import { useDynalite } from "../support/dynalite";
import { recordAfterOneBan } from "../support/records";
import { blocksOf, windowOf } from "../support/window-blocks";

const db = useDynalite();
let documents: DynamoDBDocumentClient;
let store: CloudjailStore;
let leases: SlotLeases;
let tableCount = 0;

beforeAll(() => {
  documents = createDocumentClient(db.client);
});
beforeEach(async () => {
  const table = `store-${++tableCount}`;
  await db.createTable(table);
  store = new CloudjailStore(documents, table, async () => {});
  leases = new SlotLeases(documents, table);
});

function window(ip: string, failures: number): Omit<WindowBlock, "version"> {
  const times = Array.from({ length: failures }, (_, index) => 1_000 + index);
  return blocksOf([windowOf(ip, times)])[0] as Omit<WindowBlock, "version">;
}

function bannedRecord(ip: string, endsAt: number | null): Omit<IpRecord, "version"> {
  const timed = endsAt !== null;
  return {
    ...recordAfterOneBan(ip),
    banShard: timed ? banShardOf(ip) : PERMANENT_SHARD,
    banEndsAt: endsAt ?? PERMANENT_BAN_ENDS_AT,
    banEndsAtIso: isoOfSeconds(endsAt ?? PERMANENT_BAN_ENDS_AT),
    ban: {
      banId: `sshd#${ip}#1`,
      jail: "sshd",
      reason: "test",
      failures: 5,
      banNumber: 1,
      bannedAt: 0,
      bannedAtIso: isoOfSeconds(0),
      endsAt,
      endsAtIso: endsAt === null ? null : isoOfSeconds(endsAt),
      seconds: endsAt ?? -1,
      lines: [],
      targets: [],
      entries: {},
      pending: {},
      state: "enforced",
      claimedAt: 0,
    },
  };
}

describe("the store's compare-and-swap writes", () => {
  it("creates an item only when none exists, then only from the version it read", async () => {
    const first = await store.swap<WindowBlock>(window("203.0.113.9", 1), undefined);
    expect(first?.version).toBe(1);
    expect(await store.swap<WindowBlock>(window("203.0.113.9", 9), undefined)).toBeUndefined();
    expect((await store.swap<WindowBlock>(window("203.0.113.9", 2), 1))?.version).toBe(2);
    expect(await store.swap<WindowBlock>(window("203.0.113.9", 3), 1)).toBeUndefined();
    expect((await store.getWindow("sshd", "203.0.113.9"))?.failureTimes).toHaveLength(2);
  });

  it("loses no update when twenty writers modify one record at the same time", async () => {
    const ip = "198.51.100.7";
    const backingOff = new CloudjailStore(documents, store.tableName);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        backingOff.modifyRecord(ip, (current) => ({
          ...(current ?? bannedRecord(ip, 100)),
          banCount: (current?.banCount ?? 0) + 1,
        })),
      ),
    );
    const record = await store.getRecord(ip);
    expect(record?.banCount).toBe(20);
    expect(record?.version).toBe(20);
  });

  it("writes nothing when the mutation returns nothing", async () => {
    expect(await store.modifyRecord("192.0.2.1", () => undefined)).toBeUndefined();
    expect(await store.getRecord("192.0.2.1")).toBeUndefined();
  });
});

describe("reading a batch's windows and records", () => {
  it("reads the window blocks and records of 300 addresses through 100-key requests", async () => {
    const ips = Array.from({ length: 300 }, (_, index) => `10.0.${index >> 8}.${index & 255}`);
    const blocks = blocksOf(ips.map((ip) => windowOf(ip, [1_000, 2_000])));
    // Two /24s, four shards each: eight items hold the 300 windows.
    expect(blocks).toHaveLength(8);
    await Promise.all(blocks.map((block) => store.swap<WindowBlock>(block, undefined)));
    await Promise.all(ips.slice(0, 10).map((ip) => store.swap<IpRecord>(bannedRecord(ip, 500), undefined)));
    const read = await store.readBatch(ips);
    expect(read.blocks.size).toBe(8);
    const block = read.blocks.get(blockId(windowBlockKey("10.0.1.43")));
    expect(block?.windows["sshd#10.0.1.43"]?.failureTimes).toEqual([1_000, 2_000]);
    expect(read.records.size).toBe(10);
    expect(read.records.get("10.0.0.3")?.ban?.jail).toBe("sshd");
    expect((await store.getWindow("sshd", "10.0.0.149"))?.totalFailures).toBe(2);
  });
});

describe("writing the first records of a batch's bans", () => {
  it("writes 60 records, 25 per request, each at version 1", async () => {
    const ips = Array.from({ length: 60 }, (_, index) => `192.0.2.${index}`);
    const sent: number[] = [];
    const counting = new CloudjailStore(
      {
        send: (command: { input: { RequestItems?: Record<string, unknown[]> } }) => {
          sent.push(Object.values(command.input.RequestItems ?? {})[0]?.length ?? 0);
          return documents.send(command as never);
        },
      } as unknown as DynamoDBDocumentClient,
      store.tableName,
    );
    const written = await counting.putNewRecords(ips.map((ip) => bannedRecord(ip, 900)));
    expect(sent).toEqual([25, 25, 10]);
    expect(written.every((record) => record.version === 1)).toBe(true);
    const stored = await store.getRecord("192.0.2.59");
    expect(stored?.version).toBe(1);
    expect(stored?.ban?.endsAt).toBe(900);
    // The next writer swaps from that version like from any other.
    expect(
      await store.modifyRecord("192.0.2.59", (current) => current && { ...current, banCount: 2 }, stored),
    ).toMatchObject({ version: 2, banCount: 2 });
  });
});

describe("what DynamoDB leaves unprocessed", () => {
  /**
   * A client in front of dynalite that, like the service under load, processes only the first `taken` items of
   * every other batch request and hands the rest back as unprocessed.
   */
  function throttling(taken: number) {
    const sizes: number[] = [];
    let call = 0;
    const client = {
      send: async (command: { input: { RequestItems: Record<string, unknown> } }) => {
        const table = store.tableName;
        const request = command.input.RequestItems[table] as { Keys?: unknown[] } | unknown[];
        const items = Array.isArray(request) ? request : (request.Keys ?? []);
        sizes.push(items.length);
        if (call++ % 2 === 1 || items.length <= taken) return documents.send(command as never);
        const [now, later] = [items.slice(0, taken), items.slice(taken)];
        const input = Array.isArray(request)
          ? { RequestItems: { [table]: now } }
          : { RequestItems: { [table]: { ...request, Keys: now } } };
        const result = await documents.send(
          new (command.constructor as new (input: unknown) => never)(input),
        );
        return Array.isArray(request)
          ? { ...(result as object), UnprocessedItems: { [table]: later } }
          : { ...(result as object), UnprocessedKeys: { [table]: { Keys: later } } };
      },
    } as unknown as DynamoDBDocumentClient;
    return { store: new CloudjailStore(client, store.tableName, async () => {}), sizes };
  }

  it("writes again the records a BatchWriteItem left unprocessed", async () => {
    const ips = Array.from({ length: 30 }, (_, index) => `198.51.100.${index}`);
    const { store: partial, sizes } = throttling(10);
    await partial.putNewRecords(ips.map((ip) => bannedRecord(ip, 900)));
    // 25 sent, 10 processed, 15 sent again; then the last 5.
    expect(sizes).toEqual([25, 15, 5]);
    const read = await store.readBatch(ips);
    expect(read.records.size).toBe(30);
  });

  it("reads again the keys a BatchGetItem left unprocessed", async () => {
    const ips = Array.from({ length: 60 }, (_, index) => `198.51.100.${index}`);
    await store.putNewRecords(ips.map((ip) => bannedRecord(ip, 900)));
    const { store: partial, sizes } = throttling(30);
    const read = await partial.readBatch(ips);
    expect(read.records.size).toBe(60);
    // The 60 records and their block shards in one request: 30 read, the rest sent again.
    const keys = 60 + new Set(ips.map((ip) => windowBlockKey(ip).pk)).size;
    expect(sizes).toEqual([keys, keys - 30]);
  });
});

describe("listing bans by end time without a scan", () => {
  beforeEach(async () => {
    const ends: [string, number | null][] = [
      ["192.0.2.1", 100],
      ["192.0.2.2", 200],
      ["192.0.2.3", 300],
      ["192.0.2.4", 150],
      ["192.0.2.5", null],
      ["2001:db8::1", 120],
    ];
    for (const [ip, end] of ends) await store.swap<IpRecord>(bannedRecord(ip, end), undefined);
  });

  it("finds exactly the timed bans that have ended, over every shard, page by page", async () => {
    const ended: string[] = [];
    for await (const record of store.bansEndingBy(150, 1)) ended.push(record.ip);
    expect(ended.sort()).toEqual(["192.0.2.1", "192.0.2.4", "2001:db8::1"]);
  });

  it("lists every active ban, permanent ones included", async () => {
    const active: string[] = [];
    for await (const record of store.activeBans(2)) active.push(record.ip);
    expect(active.sort()).toEqual([
      "192.0.2.1",
      "192.0.2.2",
      "192.0.2.3",
      "192.0.2.4",
      "192.0.2.5",
      "2001:db8::1",
    ]);
  });

  it("drops a ban from the index once its record no longer carries the index attributes", async () => {
    await store.modifyRecord("192.0.2.1", (current) => {
      if (current === undefined) return undefined;
      const { banShard: _shard, banEndsAt: _end, ban: _ban, version: _version, ...rest } = current;
      return rest;
    });
    const ended: string[] = [];
    for await (const record of store.bansEndingBy(150)) ended.push(record.ip);
    expect(ended.sort()).toEqual(["192.0.2.4", "2001:db8::1"]);
  });
});

describe("NACL rule-slot leases", () => {
  const request = {
    naclId: "acl-0a",
    ip: "203.0.113.9",
    cidr: "203.0.113.9/32",
    family: "ipv4" as const,
    now: 1_764_072_000_000,
  };

  it("gives a rule number to exactly one of twenty parallel writers", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        leases.acquire({ ...request, ruleNumber: 7, banId: `ban-${index}` }),
      ),
    );
    const winners = results.filter((lease) => lease !== undefined);
    expect(winners).toHaveLength(1);
    const listed = await leases.list("acl-0a");
    expect(listed.map((lease) => [lease.ruleNumber, lease.banId])).toEqual([[7, winners[0]?.banId]]);
    expect(listed[0]?.leasedAtIso).toBe("2025-11-25T12:00:00.000Z");
  });

  it("frees a number only for the ban that holds it", async () => {
    await leases.acquire({ ...request, ruleNumber: 3, banId: "mine" });
    expect(await leases.release("acl-0a", 3, "someone-else")).toBe(false);
    expect(await leases.list("acl-0a")).toHaveLength(1);
    expect(await leases.release("acl-0a", 3, "mine")).toBe(true);
    expect(await leases.list("acl-0a")).toHaveLength(0);
  });

  it("lists leases in rule order, per NACL", async () => {
    for (const ruleNumber of [12, 2, 99])
      await leases.acquire({ ...request, ruleNumber, banId: `b${ruleNumber}` });
    await leases.acquire({ ...request, naclId: "acl-0b", ruleNumber: 5, banId: "other" });
    expect((await leases.list("acl-0a")).map((lease) => lease.ruleNumber)).toEqual([2, 12, 99]);
  });
});
