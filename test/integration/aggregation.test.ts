import { afterEach, describe, expect, it, vi } from "vitest";
import { allCoveredShards, type IpRecord, windowBlockKey } from "../../lambda/aws/store-items";
import { cidrContains, cidrsOverlap, parseCidr } from "../../lambda/core/ip";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";
import { METRIC } from "../../lambda/core/telemetry";
import { aggregate, respondAndAggregate, unbanAndAggregate } from "../../lambda/handlers/aggregate";
import { respond } from "../../lambda/handlers/respond";
import type { Runtime } from "../../lambda/handlers/runtime";
import { useDynalite } from "../support/dynalite";
import { sshdJail } from "../support/jails";
import {
  activeBans,
  attackLines,
  createWorld,
  failedPassword,
  logsEvent,
  T0,
  type World,
} from "../support/runtime-world";

const db = useDynalite();
let world: World;
afterEach(() => world?.restore());

const HOUR = 3_600_000;
const VPC_CIDRS = ["10.0.0.0/16", "2001:db8:1000::/56"];

async function aggregatingWorld(overrides: Partial<typeof DEFAULT_AGGREGATION> = {}, ignoreip?: string[]) {
  return createWorld(db, {
    quota: 20,
    ...(ignoreip === undefined ? {} : { jails: [sshdJail({ ignoreip })] }),
    nacl: { aggregation: { ...DEFAULT_AGGREGATION, ...overrides }, protectedCidrs: VPC_CIDRS },
  });
}

/** `count` attackers spread round-robin over the /24s 198.18.0.0 ... 198.18.(prefixes-1).0. */
function attackers(count: number, prefixes: number): string[] {
  return Array.from(
    { length: count },
    (_, index) => `198.18.${index % prefixes}.${1 + Math.floor(index / prefixes)}`,
  );
}

function ownedEntries(naclId: string) {
  const { first, last } = world.config.nacl.reservedRuleRange;
  return world.model
    .entriesOf(naclId)
    .filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) >= first && (entry.RuleNumber ?? 0) <= last);
}

function blockedBy(naclId: string, ip: string): boolean {
  return ownedEntries(naclId).some((entry) =>
    cidrContains(parseCidr(entry.CidrBlock ?? entry.Ipv6CidrBlock ?? ""), ip),
  );
}

function userEntriesUnchanged(): void {
  for (const naclId of world.naclIds) {
    const { first, last } = world.config.nacl.reservedRuleRange;
    const outside = world.model
      .entriesOf(naclId)
      .filter(
        (entry) => !entry.Egress && ((entry.RuleNumber ?? 0) < first || (entry.RuleNumber ?? 0) > last),
      );
    expect(outside, `${naclId}: no user rule touched`).toEqual(world.userEntries.get(naclId));
  }
}

async function coveredBans(runtime: Runtime): Promise<Map<string, IpRecord>> {
  const found = new Map<string, IpRecord>();
  for await (const record of runtime.store.bansInShards(allCoveredShards())) found.set(record.ip, record);
  return found;
}

/** Every NACL holds exactly one host entry per address of `ips` (sorted), and no cover. */
function expectEntriesOfTheirOwn(ips: readonly string[]): void {
  for (const naclId of world.naclIds) {
    expect(
      ownedEntries(naclId)
        .map((entry) => entry.CidrBlock)
        .sort(),
    ).toEqual(ips.map((ip) => `${ip}/32`));
  }
}

function totalRequests(requests: Map<string, number>): number {
  return [...requests.values()].reduce((sum, count) => sum + count, 0);
}

describe("aggregation through the responder and the unbanner", () => {
  it("covers 1,000 attackers over 30 /24s within the batch that crosses maxretry, in a 20-rule NACL, at most one DynamoDB request per IP", async () => {
    world = await aggregatingWorld();
    const ips = attackers(1000, 30);
    const blockShards = new Set(ips.map((ip) => windowBlockKey(ip).pk)).size;
    // Four failures each: a batch that only counts.
    const counting = world.runtime();
    const first = await respondAndAggregate(
      counting.runtime,
      logsEvent(attackLines(ips, 4, T0 - 10_000), { logStream: world.instanceId, batch: 1 }),
      T0 - 10_000,
    );
    expect(first.failures).toBe(4000);
    expect(first.bans).toEqual([]);
    const countingRequests = totalRequests(counting.recorder.dynamoRequests);
    // One read per 100 keys (the addresses' records and their blocks), one conditional write per block shard, the
    // container's first read of the runtime allowlist (then cached for a minute), and one read of whether the host's
    // journal arrives (journald-hosts.ts: per host, container and minute).
    expect(Object.fromEntries(counting.recorder.dynamoRequests)).toEqual({
      BatchGetItemCommand: Math.ceil((ips.length + blockShards) / 100),
      GetItemCommand: 1,
      PutItemCommand: blockShards,
      QueryCommand: 1,
    });
    expect(countingRequests).toBeLessThanOrEqual(ips.length);

    // The fifth failure of each: the batch that crosses maxretry for all of them.
    const { runtime, recorder } = world.runtime();
    const summary = await respondAndAggregate(
      runtime,
      logsEvent(attackLines(ips, 1), { logStream: world.instanceId, batch: 2 }),
      T0,
    );

    expect(summary.bans).toHaveLength(1000);
    for (const naclId of world.naclIds) {
      expect(
        ips.filter((ip) => !blockedBy(naclId, ip)),
        `${naclId}: every attacker blocked`,
      ).toEqual([]);
      expect(world.model.countEntries(naclId, false, "ipv4")).toBeLessThanOrEqual(20);
      expect(ownedEntries(naclId).every((entry) => entry.RuleAction === "deny")).toBe(true);
      expect(blockedBy(naclId, "10.0.1.10"), "the VPC's own addresses are never covered").toBe(false);
    }
    userEntriesUnchanged();
    const covered = await coveredBans(runtime);
    expect(covered.size).toBe(1000);
    expect([...covered.values()].every((record) => record.ban?.endsAt === Math.floor(T0 / 1000) + 3600)).toBe(
      true,
    );
    expect([...covered.values()].every((record) => record.version === 1)).toBe(true);
    const covers = [...(await activeBans(runtime)).values()];
    expect(covers.every((record) => record.ip.includes("/") && record.ban?.jail === "cover")).toBe(true);
    expect(recorder.metricSum(METRIC.evictions)).toBe(0);
    // Per block shard one conditional write (the windows and the ban marks), per cover a few, and the records,
    // written already covered, 25 per request: far below one request per address.
    const requests = totalRequests(recorder.dynamoRequests);
    console.log(
      `1,000-IP banning batch: ${requests} DynamoDB requests`,
      Object.fromEntries(recorder.dynamoRequests),
    );
    expect(recorder.dynamoRequests.get("BatchWriteItemCommand")).toBe(ips.length / 25);
    expect(recorder.dynamoRequests.get("PutItemCommand")).toBeLessThanOrEqual(
      blockShards + 4 * covers.length,
    );
    expect(recorder.dynamoRequests.get("BatchGetItemCommand")).toBe(
      Math.ceil((ips.length + blockShards) / 100),
    );
    expect(requests).toBeLessThanOrEqual(ips.length);
    expect(requests).toBeLessThanOrEqual(0.3 * ips.length);
  }, 120_000);

  it("stays at most one DynamoDB request per distinct IP in every batch of the attack, lines in random order", async () => {
    world = await aggregatingWorld();
    const ips = attackers(1000, 30);
    // Five failures of each address, shuffled (seeded), a line every 10 ms, delivered in ten 5-second batches.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const sources = ips.flatMap((ip) => [ip, ip, ip, ip, ip]);
    for (let index = sources.length - 1; index > 0; index--) {
      const other = Math.floor(random() * (index + 1));
      [sources[index], sources[other]] = [sources[other] as string, sources[index] as string];
    }
    const start = T0 - 50_000;
    const lines = sources.map((ip, index) => failedPassword(ip, start + index * 10, 10_000 + index));
    // The batch in which each address has its fifth failure.
    const crossing = new Map<string, number>();
    const seen = new Map<string, number>();
    sources.forEach((ip, index) => {
      seen.set(ip, (seen.get(ip) ?? 0) + 1);
      if (seen.get(ip) === 5) crossing.set(ip, Math.floor(index / 500));
    });
    const perBatch: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const chunk = lines.slice(batch * 500, (batch + 1) * 500);
      const distinct = new Set(sources.slice(batch * 500, (batch + 1) * 500)).size;
      const { runtime, recorder } = world.runtime();
      const now = start + (batch + 1) * 5000;
      await respondAndAggregate(
        runtime,
        logsEvent(chunk, { logStream: world.instanceId, batch: 10 + batch, at: now }),
        now,
        `request-${batch}`,
      );
      const requests = totalRequests(recorder.dynamoRequests);
      perBatch.push(`${requests}/${distinct}`);
      expect(requests, `batch ${batch}: ${requests} requests for ${distinct} addresses`).toBeLessThanOrEqual(
        distinct,
      );
      // Every address that crossed maxretry so far is blocked by the end of the batch, in every NACL.
      const due = ips.filter((ip) => (crossing.get(ip) ?? 99) <= batch);
      for (const naclId of world.naclIds) {
        expect(
          due.filter((ip) => !blockedBy(naclId, ip)),
          `batch ${batch}, ${naclId}: crossed, not blocked`,
        ).toEqual([]);
        expect(world.model.countEntries(naclId, false, "ipv4")).toBeLessThanOrEqual(20);
      }
    }
    console.log(`requests / distinct addresses, batch by batch: ${perBatch.join(", ")}`);
    for (const naclId of world.naclIds) {
      expect(ips.filter((ip) => !blockedBy(naclId, ip))).toEqual([]);
      expect(world.model.countEntries(naclId, false, "ipv4")).toBeLessThanOrEqual(20);
    }
    userEntriesUnchanged();
  }, 120_000);

  it("records each ban once when two containers place the same batch at the same time", async () => {
    world = await aggregatingWorld();
    const ips = attackers(60, 3);
    const event = logsEvent(attackLines(ips, 5), { logStream: world.instanceId });
    const containers = [world.runtime(), world.runtime()];
    const summaries = await Promise.all(
      containers.map(({ runtime }) => respondAndAggregate(runtime, event, T0)),
    );
    expect(summaries.flatMap((summary) => summary.bans).sort()).toEqual([...ips].sort());
    // Each attacker's five failures count in the container that banned it and are reported in the other.
    expect(summaries.reduce((sum, summary) => sum + summary.reported, 0)).toBe(5 * ips.length);
    const { runtime } = world.runtime();
    const covered = await coveredBans(runtime);
    expect([...covered.keys()].sort()).toEqual([...ips].sort());
    for (const ip of ips) expect((await runtime.store.getRecord(ip))?.banCount).toBe(1);
    const notices = containers.flatMap(({ recorder }) =>
      recorder.notices.filter((notice) => notice.action === "ban"),
    );
    expect(notices.map((notice) => notice.ip).sort()).toEqual([...ips].sort());
    for (const naclId of world.naclIds) {
      expect(ips.filter((ip) => !blockedBy(naclId, ip))).toEqual([]);
    }
  });

  it("fails the batch when its first records cannot be written, and Lambda's retry records and covers them", async () => {
    world = await aggregatingWorld();
    const ips = attackers(60, 3);
    const event = logsEvent(attackLines(ips, 5), { logStream: world.instanceId });
    const { runtime, dynamodb } = world.runtime();
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "BatchWriteItemCommand")
          throw new Error("simulated: DynamoDB refuses the batch");
        return next(args);
      },
      { step: "initialize", name: "refuseBatchWrites" },
    );
    await expect(respondAndAggregate(runtime, event, T0, "request-1")).rejects.toThrow(/not recorded/);
    expect(await runtime.store.getRecord(ips[0] as string)).toBeUndefined();
    expect((await runtime.store.getWindowBlock(ips[0] as string))?.marks[ips[0] as string]).toMatchObject({
      by: "request-1",
    });
    // Another delivery of the batch meanwhile (another request id) bans nobody twice: the bans are in flight.
    const { runtime: other } = world.runtime();
    expect((await respondAndAggregate(other, event, T0 + 10_000, "request-2")).bans).toEqual([]);
    // Lambda's retry keeps the request id: it owns the marks and records every ban, covered.
    const { runtime: retry } = world.runtime();
    const summary = await respondAndAggregate(retry, event, T0 + 60_000, "request-1");
    expect([...summary.bans].sort()).toEqual([...ips].sort());
    expect([...(await coveredBans(retry)).keys()].sort()).toEqual([...ips].sort());
    for (const naclId of world.naclIds) expect(ips.filter((ip) => !blockedBy(naclId, ip))).toEqual([]);
  });

  it("lets a newly banned address inside a cover join it without an entry of its own", async () => {
    world = await aggregatingWorld();
    const { runtime } = world.runtime();
    const first = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
    await respondAndAggregate(runtime, logsEvent(attackLines(first, 5), { logStream: world.instanceId }), T0);
    expect(ownedEntries(world.naclIds[0]).map((entry) => entry.CidrBlock)).toEqual(["203.0.113.0/24"]);
    const later = T0 + 10 * 60_000;
    await respondAndAggregate(
      runtime,
      logsEvent(attackLines(["203.0.113.99"], 5, later), { logStream: world.instanceId, batch: 2 }),
      later,
    );
    expect(ownedEntries(world.naclIds[0]).map((entry) => entry.CidrBlock)).toEqual(["203.0.113.0/24"]);
    const covered = await coveredBans(runtime);
    expect(covered.get("203.0.113.99")?.ban?.coveredBy).toBe("203.0.113.0/24");
    const cover = (await activeBans(runtime)).get("203.0.113.0/24");
    expect(cover?.ban?.endsAt, "the cover lives until its last member's end").toBe(
      Math.floor(later / 1000) + 3600,
    );
  });

  it("never covers an ignoreip address: the block narrows around it", async () => {
    world = await aggregatingWorld({}, ["203.0.113.200"]);
    const { runtime } = world.runtime();
    const ips = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
    await respondAndAggregate(runtime, logsEvent(attackLines(ips, 5), { logStream: world.instanceId }), T0);
    for (const naclId of world.naclIds) {
      expect(ips.every((ip) => blockedBy(naclId, ip))).toBe(true);
      expect(blockedBy(naclId, "203.0.113.200")).toBe(false);
    }
  });

  it("keeps covers clear of the VPC's own block found in EC2 when protectedCidrs does not list it", async () => {
    world = await createWorld(db, { quota: 20, nacl: { aggregation: DEFAULT_AGGREGATION } });
    expect(world.config.nacl.protectedCidrs).toBeUndefined();
    const vpcBlock = parseCidr("10.0.0.0/16");
    // Three per /24 reach the threshold: without the VPC's block, each /24 (and wider merges) would be covered.
    const inside = [1, 2, 3, 4].flatMap((third) => [50, 51, 52].map((last) => `10.0.${third}.${last}`));
    const outside = attackers(30, 10);
    const { runtime } = world.runtime();
    const lines = attackLines([...inside, ...outside], 5);
    await respondAndAggregate(runtime, logsEvent(lines, { logStream: world.instanceId }), T0);

    for (const naclId of world.naclIds) {
      const covers = ownedEntries(naclId)
        .map((entry) => entry.CidrBlock ?? entry.Ipv6CidrBlock ?? "")
        .filter((cidr) => !cidr.endsWith("/32"));
      expect(
        covers.filter((cidr) => cidrsOverlap(parseCidr(cidr), vpcBlock)),
        `${naclId}: no cover overlaps the VPC`,
      ).toEqual([]);
      expect(
        inside.filter((ip) => !blockedBy(naclId, ip)),
        `${naclId}: each inside attacker has an entry of its own`,
      ).toEqual([]);
      expect(
        outside.filter((ip) => !covers.some((cidr) => cidrContains(parseCidr(cidr), ip))),
        `${naclId}: outside attackers covered`,
      ).toEqual([]);
      expect(blockedBy(naclId, "10.0.1.10"), "the instance's address stays reachable").toBe(false);
    }
  });

  it("does not aggregate without the VPC's blocks when EC2 cannot say what they are", async () => {
    world = await createWorld(db, { quota: 20, nacl: { aggregation: DEFAULT_AGGREGATION } });
    const { runtime, recorder } = world.runtime();
    world.model.throttleNext(8, ["DescribeVpcs"]);
    const ips = ["10.0.7.1", "10.0.7.2", "10.0.7.3"];
    await respondAndAggregate(runtime, logsEvent(attackLines(ips, 5), { logStream: world.instanceId }), T0);
    expectEntriesOfTheirOwn(ips);
    expect(
      recorder.logsWith(
        "aggregation failed; the batch's bans get entries of their own, the unbanner consolidates later",
      ),
    ).toHaveLength(1);
  });

  it("lifts covered bans and then their cover when the last member's ban ends", async () => {
    world = await aggregatingWorld();
    const { runtime, recorder } = world.runtime();
    const ips = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
    await respondAndAggregate(runtime, logsEvent(attackLines(ips, 5), { logStream: world.instanceId }), T0);
    await unbanAndAggregate(runtime, T0 + 30 * 60_000);
    expect(ownedEntries(world.naclIds[0])).toHaveLength(1);
    await unbanAndAggregate(runtime, T0 + HOUR + 1000);
    for (const naclId of world.naclIds) expect(ownedEntries(naclId)).toEqual([]);
    expect((await coveredBans(runtime)).size).toBe(0);
    expect((await activeBans(runtime)).size).toBe(0);
    expect(world.model.entriesOf(world.naclIds[0]).length).toBeGreaterThan(0);
    expect(
      recorder.notices
        .filter((notice) => notice.action === "unban")
        .map((notice) => notice.ip)
        .sort(),
    ).toEqual(["203.0.113.0/24", ...ips].sort());
    for (const naclId of world.naclIds) expect((await runtime.leases.list(naclId)).length).toBe(0);
  });

  it("gives the batch's bans entries of their own when the consolidation fails", async () => {
    world = await aggregatingWorld();
    const { runtime, recorder } = world.runtime();
    vi.spyOn(runtime.enforcer, "readManyEntries").mockRejectedValueOnce(new Error("EC2 unavailable"));
    const ips = ["203.0.113.1", "203.0.113.2", "203.0.113.3"];
    await respondAndAggregate(runtime, logsEvent(attackLines(ips, 5), { logStream: world.instanceId }), T0);
    expectEntriesOfTheirOwn(ips);
    expect(recorder.logs.some((log) => log.level === "error" && /aggregation failed/.test(log.message))).toBe(
      true,
    );
  });

  it("evicts the bans that end soonest, with the Evictions metric, when no allowed block holds them all", async () => {
    world = await aggregatingWorld({ ipv4WidestPrefix: 24, threshold: 1000 });
    const { runtime, recorder } = world.runtime();
    const ips = Array.from({ length: 19 }, (_, index) => `${20 + index}.0.0.1`);
    await respondAndAggregate(runtime, logsEvent(attackLines(ips, 5), { logStream: world.instanceId }), T0);
    const late = T0 + 5 * 60_000;
    await respondAndAggregate(
      runtime,
      logsEvent(attackLines(["99.0.0.1"], 5, late), { logStream: world.instanceId, batch: 2 }),
      late,
    );
    expect(blockedBy(world.naclIds[0], "99.0.0.1"), "the newest ban is in").toBe(true);
    expect(recorder.metricSum(METRIC.evictions)).toBeGreaterThanOrEqual(1);
    const bans = await activeBans(runtime);
    const evicted = [...bans.values()].filter((record) => record.ban?.state === "pending");
    expect(evicted.length).toBeGreaterThanOrEqual(1);
    expect(evicted.every((record) => /evicted/.test(Object.values(record.ban?.pending ?? {})[0] ?? ""))).toBe(
      true,
    );
    expect(world.model.countEntries(world.naclIds[0], false, "ipv4")).toBeLessThanOrEqual(20);
  });
});

describe("an evicted cover", () => {
  it("goes pending as one record, its members stay covered, and it is placed again when room frees", async () => {
    world = await aggregatingWorld({ ipv4WidestPrefix: 24, threshold: 2 });
    const { runtime, recorder } = world.runtime();
    const early = Array.from({ length: 18 }, (_, block) =>
      [1, 2, 3].map((host) => `${30 + block}.1.1.${host}`),
    ).flat();
    await respondAndAggregate(runtime, logsEvent(attackLines(early, 5), { logStream: world.instanceId }), T0);
    expect((await activeBans(runtime)).size).toBe(18);

    const later = T0 + 5 * 60_000;
    const writesBefore = recorder.dynamoRequests.get("PutItemCommand") ?? 0;
    await respondAndAggregate(
      runtime,
      logsEvent(attackLines(["99.1.1.1", "99.1.1.2", "99.1.1.3"], 5, later), {
        logStream: world.instanceId,
        batch: 2,
      }),
      later,
    );
    const covers = [...(await activeBans(runtime)).values()];
    const evicted = covers.filter((record) => record.ban?.state === "pending");
    expect(evicted.map((record) => record.ip)).toHaveLength(1);
    const [cover] = evicted;
    const members = [...(await coveredBans(runtime)).values()].filter(
      (record) => record.ban?.coveredBy === cover?.ip,
    );
    expect(members, "the evicted cover's members stay covered by it").toHaveLength(3);
    // 3 new records, the new cover (record, lease, entries), the evicted cover (pending, lease freed): no write per member.
    expect((recorder.dynamoRequests.get("PutItemCommand") ?? 0) - writesBefore).toBeLessThanOrEqual(10);
    expect(blockedBy(world.naclIds[0], "99.1.1.1")).toBe(true);

    const other = covers.find((record) => record.ban?.state === "enforced" && record.ip !== "99.1.1.0/24");
    await runtime.bans.lift(other?.ip ?? "", other?.ban?.banId ?? "", later + 1000);
    await unbanAndAggregate(runtime, later + 60_000);
    const placedAgain = (await activeBans(runtime)).get(cover?.ip ?? "");
    expect(placedAgain?.ban?.state).toBe("enforced");
    for (const naclId of world.naclIds) expect(blockedBy(naclId, members[0]?.ip ?? "")).toBe(true);
    expect(
      [...(await coveredBans(runtime)).values()].filter((record) => record.ban?.coveredBy === cover?.ip),
    ).toHaveLength(3);
  });
});

describe("proposed bans without aggregation configured", () => {
  it("are recorded and enforced one by one, so that no ban is lost", async () => {
    world = await createWorld(db, { quota: 20 });
    const { runtime } = world.runtime();
    const ips = ["203.0.113.1", "203.0.113.2"];
    const summary = await respond(
      runtime,
      logsEvent(attackLines(ips, 5), { logStream: world.instanceId }),
      T0,
      (claims, proposals) => aggregate(runtime, T0, false, claims, proposals).then(() => undefined),
    );
    expect([...summary.bans].sort()).toEqual(ips);
    for (const naclId of world.naclIds) expect(ips.every((ip) => blockedBy(naclId, ip))).toBe(true);
  });
});
