import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { afterEach, describe, expect, it } from "vitest";
import { FamilyOverflow } from "../../lambda/aws/family-overflow";
import type { BanNotice } from "../../lambda/aws/notifier";
import { type IpRecord, isEnforced } from "../../lambda/aws/store-items";
import { WafIpSet } from "../../lambda/aws/waf-ip-set";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";
import { METRIC } from "../../lambda/core/telemetry";
import type { JailConfig } from "../../lambda/core/types";
import { respondAndAggregate, unbanAndAggregate } from "../../lambda/handlers/aggregate";
import { respond } from "../../lambda/handlers/respond";
import type { Runtime } from "../../lambda/handlers/runtime";
import { unban } from "../../lambda/handlers/unban";
import { useDynalite } from "../support/dynalite";
import { sshdJail } from "../support/jails";
import { activeBans, attackLines, createWorld, logsEvent, T0, type World } from "../support/runtime-world";
import { mockWafIpSets, WafIpSetModel } from "../support/waf-ip-set-model";

const db = useDynalite();
let world: World;
let restoreTarget: () => void = () => {};
afterEach(() => {
  world?.restore();
  restoreTarget();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** `count` attackers in 203.0.113.0/24: more than a 20-rule NACL holds, so that enforcing leaves some pending. */
const attackers = (count: number) => Array.from({ length: count }, (_, index) => `203.0.113.${index + 1}`);

/** cloudjail's entries (the reserved range) in every NACL of the world. */
function ownedEntries(): string[] {
  const { first, last } = world.config.nacl.reservedRuleRange;
  return world.naclIds.flatMap((naclId) =>
    world.model
      .entriesOf(naclId)
      .filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) >= first && (entry.RuleNumber ?? 0) <= last)
      .map((entry) => `${naclId} ${entry.RuleNumber} ${entry.CidrBlock ?? entry.Ipv6CidrBlock}`),
  );
}

async function leaseCount(runtime: Runtime): Promise<number> {
  const lists = await Promise.all(world.naclIds.map((naclId) => runtime.leases.list(naclId)));
  return lists.flat().length;
}

/** What a ban decided: everything but where it was written. */
function decided(record: IpRecord | undefined) {
  const ban = record?.ban;
  if (ban === undefined) return undefined;
  const { targets, entries, pending, state, claimedAt, enforced, coveredBy, ...rest } = ban;
  return { ...rest, banCount: record?.banCount, recentBans: record?.recentBans };
}

function noticeWithoutPlacement({ nacls, pending, enforced, ...rest }: BanNotice) {
  return rest;
}

/** A world whose one jail is sshd with bantime.increment, enforcing or detect-only. */
async function jailWorld(enforce: boolean, extra: Partial<Parameters<typeof createWorld>[1]> = {}) {
  const jail: JailConfig = sshdJail({
    increment: { enabled: true, factor: 1, overalljails: false },
    ...(enforce ? {} : { enforce: false }),
  });
  return createWorld(db, { quota: 20, jails: [jail], ...extra });
}

/** Two attacks on a world: 25 addresses banned at T0, then again after their first bans ended. */
async function attackTwice(runtime: Runtime) {
  const ips = attackers(25);
  const first = await respond(runtime, logsEvent(attackLines(ips, 6), { logStream: world.instanceId }), T0);
  const firstRecords = await activeBans(runtime);
  await unban(runtime, T0 + HOUR + 1000);
  const againAt = T0 + 2 * HOUR;
  const second = await respond(
    runtime,
    logsEvent(attackLines(ips.slice(0, 3), 5, againAt), { logStream: world.instanceId, batch: 2 }),
    againAt,
  );
  return { ips, first, second, firstRecords, secondRecords: await activeBans(runtime) };
}

describe("a detect-only jail (enforce = false)", () => {
  it("records the same bans as an enforcing jail, and writes no NACL entry and no lease", async () => {
    world = await jailWorld(true);
    const enforcing = world.runtime();
    const enforced = await attackTwice(enforcing.runtime);
    expect(enforced.first.pending.length).toBeGreaterThan(0);
    expect(ownedEntries().length).toBeGreaterThan(0);

    world = await jailWorld(false);
    const observing = world.runtime();
    const observed = await attackTwice(observing.runtime);

    // Counting and deciding are the same: the same addresses, reasons, lines, times, ban numbers and lengths.
    expect(observed.first).toMatchObject({
      failures: enforced.first.failures,
      reported: enforced.first.reported,
      bans: enforced.first.bans,
      pending: [],
      observed: enforced.first.bans,
    });
    for (const ip of observed.ips) {
      expect(decided(observed.firstRecords.get(ip)), ip).toEqual(decided(enforced.firstRecords.get(ip)));
    }
    expect(observed.second.bans).toEqual(enforced.second.bans);
    for (const ip of observed.second.bans) {
      expect(observed.secondRecords.get(ip)?.ban?.banNumber).toBe(2);
      expect(decided(observed.secondRecords.get(ip))).toEqual(decided(enforced.secondRecords.get(ip)));
    }
    // ... and nothing reaches a NACL.
    expect(ownedEntries()).toEqual([]);
    expect(await leaseCount(observing.runtime)).toBe(0);
    for (const record of observed.secondRecords.values()) {
      expect(record.ban).toMatchObject({ enforced: false, state: "observed", targets: [], entries: {} });
      expect(isEnforced(record)).toBe(false);
    }
    for (const record of enforced.secondRecords.values()) expect(isEnforced(record)).toBe(true);
  });

  it("publishes the same notices with enforced: false, and counts its bans as observed", async () => {
    world = await jailWorld(true);
    const enforcing = world.runtime();
    await respond(
      enforcing.runtime,
      logsEvent(attackLines(attackers(3), 5), { logStream: world.instanceId }),
      T0,
    );
    world = await jailWorld(false);
    const observing = world.runtime();
    await respond(
      observing.runtime,
      logsEvent(attackLines(attackers(3), 5), { logStream: world.instanceId }),
      T0,
    );

    expect(observing.recorder.notices.map(noticeWithoutPlacement)).toEqual(
      enforcing.recorder.notices.map(noticeWithoutPlacement),
    );
    expect(
      observing.recorder.notices.map((notice) => [notice.enforced, notice.nacls, notice.pending]),
    ).toEqual(attackers(3).map(() => [false, {}, {}]));
    expect(enforcing.recorder.notices.every((notice) => notice.enforced === true)).toBe(true);
    for (const [recorder, enforced, observed] of [
      [enforcing.recorder, 3, 0],
      [observing.recorder, 0, 3],
    ] as const) {
      expect(recorder.metricSum(METRIC.bans)).toBe(3);
      expect(recorder.metricSum(`${METRIC.bans}|Enforcement=enforced`)).toBe(enforced);
      expect(recorder.metricSum(`${METRIC.bans}|Enforcement=observed`)).toBe(observed);
    }
  });

  it("is never placed by the unbanner's reconcile, and its bans end and are lifted as any other", async () => {
    world = await jailWorld(false);
    const { runtime, recorder } = world.runtime();
    await respond(runtime, logsEvent(attackLines(attackers(4), 5), { logStream: world.instanceId }), T0);
    // Past the claim grace period: an enforcing ban still `enforcing` would be claimed and placed now.
    const report = await unban(runtime, T0 + 10 * MINUTE);
    expect(report.reconcile).toMatchObject({ reapplied: [], pending: [], activeBans: 4 });
    expect(ownedEntries()).toEqual([]);

    const ended = await unban(runtime, T0 + HOUR + 1000);
    expect([...ended.unbanned].sort()).toEqual(attackers(4).sort());
    expect((await activeBans(runtime)).size).toBe(0);
    expect((await runtime.store.getRecord(attackers(1)[0] ?? ""))?.banCount).toBe(1);
    expect(recorder.notices.filter((notice) => notice.action === "unban")).toHaveLength(4);
  });

  it("with aggregation and an overflow target: no covering entry, no entry, nothing in the overflow target", async () => {
    world = await jailWorld(false, {
      nacl: {
        aggregation: { ...DEFAULT_AGGREGATION },
        protectedCidrs: ["10.0.0.0/16", "2001:db8:1000::/56"],
      },
    });
    let clock = 0;
    const ipv4 = new WafIpSetModel("cloudjail-v4", "v4-id", "IPV4", () => clock);
    const ipv6 = new WafIpSetModel("cloudjail-v6", "v6-id", "IPV6", () => clock);
    const stub = mockWafIpSets([ipv4, ipv6]);
    restoreTarget = () => stub.restore();
    const client = new WAFV2Client({ region: "us-east-1" });
    const options = {
      now: () => clock,
      sleep: async (ms: number) => {
        clock += ms;
      },
      baseDelayMs: 1,
    };
    const overflow = new FamilyOverflow({
      ipv4: new WafIpSet(client, { name: "cloudjail-v4", id: "v4-id", scope: "REGIONAL" }, options),
      ipv6: new WafIpSet(client, { name: "cloudjail-v6", id: "v6-id", scope: "REGIONAL" }, options),
    });
    const { runtime } = world.runtime({ overflow });
    const summary = await respondAndAggregate(
      runtime,
      logsEvent(attackLines(attackers(40), 5), { logStream: world.instanceId }),
      T0,
    );
    expect(summary.bans).toHaveLength(40);
    expect(summary.observed).toHaveLength(40);
    await unbanAndAggregate(runtime, T0 + 10 * MINUTE);
    expect(ownedEntries()).toEqual([]);
    expect(ipv4.addresses).toEqual([]);
    const bans = await activeBans(runtime);
    expect(bans.size).toBe(40);
    expect(
      [...bans.values()].every((record) => record.ban?.coveredBy === undefined && !isEnforced(record)),
    ).toBe(true);
  });
});
