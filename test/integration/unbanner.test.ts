import { afterEach, describe, expect, it } from "vitest";
import { METRIC } from "../../lambda/core/telemetry";
import { respond } from "../../lambda/handlers/respond";
import { unban } from "../../lambda/handlers/unban";
import { useDynalite } from "../support/dynalite";
import { expectTableAndNaclsAgree } from "../support/invariants";
import { sshdJail } from "../support/jails";
import { activeBans, attackLines, createWorld, logsEvent, T0, type World } from "../support/runtime-world";

const db = useDynalite();
let world: World;
afterEach(() => world?.restore());

const ATTACKER = "203.0.113.9";
const HOUR = 3_600_000;

async function banAt(ip: string, at: number, batch: number) {
  const { runtime } = world.runtime();
  return respond(runtime, logsEvent(attackLines([ip], 5, at), { logStream: world.instanceId, batch }), at);
}

function cloudjailEntries(naclId: string) {
  const { first, last } = world.config.nacl.reservedRuleRange;
  return world.model
    .entriesOf(naclId)
    .filter((entry) => !entry.Egress && (entry.RuleNumber ?? 0) >= first && (entry.RuleNumber ?? 0) <= last);
}

describe("the unbanner", () => {
  it("lifts a ban once its end has passed: entries and leases gone, history kept", async () => {
    world = await createWorld(db);
    await banAt(ATTACKER, T0, 1);
    const { runtime, recorder } = world.runtime();
    expect((await unban(runtime, T0 + HOUR - 1000)).unbanned).toEqual([]);
    expect(cloudjailEntries(world.naclIds[0])).toHaveLength(1);

    const summary = await unban(runtime, T0 + HOUR);
    expect(summary.unbanned).toEqual([ATTACKER]);
    for (const naclId of world.naclIds) {
      expect(cloudjailEntries(naclId)).toEqual([]);
      expect(await runtime.leases.list(naclId)).toEqual([]);
    }
    const record = await runtime.store.getRecord(ATTACKER);
    expect(record?.ban).toBeUndefined();
    expect(record?.banShard).toBeUndefined();
    expect(record).toMatchObject({ banCount: 1, recentBans: [{ jail: "sshd", banNumber: 1 }] });
    expect(record?.expiresAt).toBeGreaterThan(T0 / 1000 + 30 * 86_400);
    expect(recorder.metricSum(METRIC.unbans)).toBe(1);
    expect(recorder.notices).toEqual([
      expect.objectContaining({
        action: "unban",
        ip: ATTACKER,
        jail: "sshd",
        until: "2026-11-25T13:00:00.000Z",
      }),
    ]);
    await expectTableAndNaclsAgree(world, runtime);
  });

  it("never lifts a permanent ban", async () => {
    world = await createWorld(db, { jails: [sshdJail({ bantime: -1 })] });
    await banAt(ATTACKER, T0, 1);
    const { runtime } = world.runtime();
    await unban(runtime, T0 + 365 * 24 * HOUR);
    expect((await runtime.store.getRecord(ATTACKER))?.ban?.endsAt).toBeNull();
    expect(cloudjailEntries(world.naclIds[0])).toHaveLength(1);
    await expectTableAndNaclsAgree(world, runtime, [ATTACKER]);
  });

  it("doubles the next ban of a returning IP with bantime.increment, from the history it kept", async () => {
    world = await createWorld(db, {
      jails: [sshdJail({ increment: { enabled: true, factor: 1, overalljails: false } })],
    });
    await banAt(ATTACKER, T0, 1);
    const { runtime } = world.runtime();
    await unban(runtime, T0 + HOUR);
    await banAt(ATTACKER, T0 + 2 * HOUR, 2);
    const record = await runtime.store.getRecord(ATTACKER);
    expect(record?.ban).toMatchObject({ banNumber: 2, seconds: 7200 });
    expect(record?.banCount).toBe(2);
  });

  it("removes an entry in the reserved range that no ban accounts for, and leaves the user's rules alone", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    world.model.createNetworkAclEntry({
      NetworkAclId: world.naclIds[0],
      RuleNumber: 42,
      Egress: false,
      RuleAction: "deny",
      Protocol: "-1",
      CidrBlock: "192.0.2.55/32",
    });
    const summary = await unban(runtime, T0);
    expect(summary.reconcile.removedEntries).toBe(1);
    expect(cloudjailEntries(world.naclIds[0])).toEqual([]);
    expect(recorder.metricSum(METRIC.reconciled)).toBe(1);
    await expectTableAndNaclsAgree(world, runtime);
  });

  it("applies an active ban again when its entry disappeared behind cloudjail's back", async () => {
    world = await createWorld(db);
    await banAt(ATTACKER, T0, 1);
    world.model.deleteNetworkAclEntry({ NetworkAclId: world.naclIds[1], RuleNumber: 1, Egress: false });
    const { runtime } = world.runtime();
    const summary = await unban(runtime, T0 + 60_000);
    expect(summary.reconcile.reapplied).toEqual([ATTACKER]);
    expect(cloudjailEntries(world.naclIds[1]).map((entry) => entry.CidrBlock)).toEqual([`${ATTACKER}/32`]);
    await expectTableAndNaclsAgree(world, runtime, [ATTACKER]);
  });

  it("applies pending bans, oldest first, as soon as expired bans free their slots", async () => {
    // Quota 4: the default NACL holds rule 100 and the * deny (2 of 4), the custom one 200 and * (2 of 4 IPv4).
    world = await createWorld(db, { quota: 4 });
    const first = ["198.51.100.1", "198.51.100.2"];
    const late = ["198.51.100.3", "198.51.100.4"];
    const { runtime } = world.runtime();
    await respond(runtime, logsEvent(attackLines(first, 5), { logStream: world.instanceId, batch: 1 }), T0);
    const second = await respond(
      runtime,
      logsEvent(attackLines(late, 5, T0 + 600_000), { logStream: world.instanceId, batch: 2 }),
      T0 + 600_000,
    );
    expect([...second.pending].sort()).toEqual(late);
    const pendingRecord = await runtime.store.getRecord("198.51.100.3");
    expect(pendingRecord?.ban?.state).toBe("pending");
    expect(Object.values(pendingRecord?.ban?.pending ?? {})[0]).toMatch(/quota of 4 ipv4 entries/);
    await expectTableAndNaclsAgree(world, runtime, [...first, ...late]);

    const { runtime: unbanner, recorder } = world.runtime();
    const summary = await unban(unbanner, T0 + HOUR);
    expect([...summary.unbanned].sort()).toEqual(first);
    expect([...summary.reconcile.reapplied].sort()).toEqual(late);
    expect(summary.reconcile.pending).toEqual([]);
    expect(recorder.metricSum(METRIC.pendingBans)).toBe(0);
    expect((await activeBans(unbanner)).size).toBe(2);
    await expectTableAndNaclsAgree(world, unbanner, late);
  });

  it("reports slots free in the tightest NACL", async () => {
    world = await createWorld(db);
    await banAt(ATTACKER, T0, 1);
    const { runtime, recorder } = world.runtime();
    await unban(runtime, T0);
    // Quota 20; the default NACL holds 100 allow, * deny and the ban: 17 IPv4 slots left (IPv6: 101, *).
    expect(recorder.metrics.get(METRIC.naclSlotsFree)).toEqual([17]);
    expect(recorder.metricSum(METRIC.activeBans)).toBe(1);
  });
});
