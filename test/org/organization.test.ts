import { afterEach, describe, expect, it } from "vitest";
import { activeOrgBan } from "../../lambda/core/org-ban-state";
import { ORG_METRIC } from "../../lambda/core/org-telemetry";
import { catchUpOrganization } from "../../lambda/handlers/org-apply";
import { respond } from "../../lambda/handlers/respond";
import { unban } from "../../lambda/handlers/unban";
import { useDynalite } from "../support/dynalite";
import { attackLines, logsEvent, T0 } from "../support/runtime-world";
import { orgEvent } from "./org-event-fixtures";
import { type OrgAccount, OrgWorld } from "./support/org-world";

const db = useDynalite();
let world: OrgWorld;
afterEach(() => world?.close());

const ATTACKER = "203.0.113.9";
const HOUR = 3600_000;

/** Three accounts in three regions of one organization. */
async function threeAccounts(): Promise<[OrgAccount, OrgAccount, OrgAccount]> {
  world = await OrgWorld.create(db, T0);
  return [
    await world.addAccount({ account: "111111111111", region: "eu-west-1" }),
    await world.addAccount({ account: "222222222222", region: "us-east-1" }),
    await world.addAccount({ account: "333333333333", region: "ap-southeast-2" }),
  ];
}

async function attack(account: OrgAccount, ips: readonly string[] = [ATTACKER], batch = 1) {
  return respond(
    account.runtime,
    logsEvent(attackLines(ips, 5, world.now), { logStream: account.instanceId, batch, at: world.now }),
    world.now,
  );
}

describe("an organization ban travels to every member account and region", () => {
  it("a ban in one account denies the address in the others, through duplicates and shuffled delivery", async () => {
    const [a, b, c] = await threeAccounts();
    expect((await attack(a)).bans).toEqual([ATTACKER]);
    expect(b.denied()).toEqual([]);
    await world.bus.deliver({ duplicateRate: 0.9 });
    for (const account of [a, b, c]) expect(account.denied()).toEqual([`${ATTACKER}/32`]);
    const record = await b.runtime.store.getRecord(ATTACKER);
    expect(record?.ban).toMatchObject({ jail: "org:sshd", state: "enforced", endsAt: T0 / 1000 + 3600 });
    expect(record?.ban?.reason).toMatch(/^organization: banned by 111111111111\/eu-west-1 \(sshd, ban #1\)/);
    // The origin's own enforcer took its own event back and left its local ban alone.
    expect((await a.runtime.store.getRecord(ATTACKER))?.ban?.jail).toBe("sshd");
    expect(activeOrgBan(await world.central.get(ATTACKER), T0 / 1000 + 1)?.origins).toEqual([
      "111111111111/eu-west-1",
    ]);
    // Each member's lease names its own ban: the slot is leased in its own table.
    const [entry] = b.model.entriesOf(b.naclId).filter((each) => each.CidrBlock === `${ATTACKER}/32`);
    const lease = await b.runtime.leases.get(b.naclId, entry?.RuleNumber ?? 0);
    expect(lease?.banId).toBe(record?.ban?.banId);
    expect(b.metrics.get(ORG_METRIC.ignored)?.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
  });

  it("an expiry travels too, and an unban delivered before its ban leaves nothing behind", async () => {
    const [a, b, c] = await threeAccounts();
    await attack(a);
    await world.bus.deliver();
    expect(c.denied()).toHaveLength(1);
    world.now = T0 + HOUR + 60_000;
    // The origin lifts the ban at its end and publishes the expiry; c's unbanner has not run yet.
    expect((await unban(a.runtime, world.now)).unbanned).toEqual([ATTACKER]);
    await world.bus.deliver();
    expect(c.denied()).toEqual([]);
    expect(b.denied()).toEqual([]);

    // Second round, the other way about: the unban overtakes its ban on the way.
    world.now = T0 + 2 * HOUR;
    await attack(a, [ATTACKER], 2);
    const record = await a.runtime.store.getRecord(ATTACKER);
    const ban = record?.ban;
    if (ban === undefined) throw new Error("a did not ban");
    await a.runtime.bans.lift(ATTACKER, ban.banId, world.now);
    await a.runtime.notifier.notify({
      action: "unban",
      jail: "sshd",
      ip: ATTACKER,
      failures: ban.failures,
      until: ban.endsAtIso,
      nacls: {},
      banNumber: ban.banNumber,
      bannedAt: ban.bannedAtIso,
    });
    await world.bus.deliver({ duplicateRate: 0.5 });
    expect(b.denied()).toEqual([]);
    expect(c.denied()).toEqual([]);
    expect(activeOrgBan(await b.member.ledger.get(ATTACKER), world.now / 1000)).toBeUndefined();
  });

  it("ignores a stale unban: an unban older than the ban it would lift", async () => {
    const [a, b] = await threeAccounts();
    const at = T0 / 1000;
    const put = world.bus.sinkFor({ account: a.origin.account, orgId: "o-a1b2c3d4e5" }, a.origin.region);
    await put.put([
      orgEvent("increment", { origin: a.origin, bannedAt: at, banNumber: 2, endsAt: at + 7200 }),
      orgEvent("unban", {
        origin: a.origin,
        bannedAt: at - 7200,
        banNumber: 1,
        endsAt: at - 3600,
        at: at - 3700,
      }),
    ]);
    await world.bus.deliver();
    expect(b.denied()).toEqual([`${ATTACKER}/32`]);
    expect((await b.runtime.store.getRecord(ATTACKER))?.ban?.endsAt).toBe(at + 7200);
  });

  it("a member never bans what its ignoreip or allowlist protects", async () => {
    world = await OrgWorld.create(db, T0);
    const a = await world.addAccount({ account: "111111111111", region: "eu-west-1" });
    const ignoring = await world.addAccount({
      account: "222222222222",
      region: "us-east-1",
      jail: { ignoreip: ["203.0.113.0/24"] },
    });
    const allowing = await world.addAccount({
      account: "333333333333",
      region: "us-east-1",
      allowlist: [ATTACKER],
    });
    await attack(a);
    await world.bus.deliver();
    expect(ignoring.denied()).toEqual([]);
    expect(allowing.denied()).toEqual([]);
    expect(await ignoring.runtime.store.getRecord(ATTACKER)).toBeUndefined();
    expect(ignoring.logs.map((log) => log.fields.why)).toContain("protected here: ignoreip of jail sshd");
    expect(allowing.metrics.get(ORG_METRIC.refused)?.some((value) => value > 0)).toBe(true);
    // They still know of the ban: if their protection goes, their catch-up applies it.
    expect(activeOrgBan(await allowing.member.ledger.get(ATTACKER), T0 / 1000)).toBeDefined();
  });

  it("the bus admits only the organization, and a member can speak only for its own account", async () => {
    const [, b] = await threeAccounts();
    const outsider = await world.addAccount({ account: "999999999999", region: "eu-west-1", orgId: null });
    await attack(outsider);
    expect(outsider.publishFailures).toHaveLength(1);
    expect(world.bus.refused).toBe(1);
    // A member puts an event claiming another account's origin: EventBridge stamps the real sender.
    const forged = orgEvent("ban", {
      origin: { account: "111111111111", region: "eu-west-1" },
      bannedAt: T0 / 1000,
    });
    world.bus.putRaw({
      version: "0",
      id: "forged",
      "detail-type": "cloudjail ban",
      source: "cloudjail",
      account: "333333333333",
      time: new Date(T0).toISOString(),
      region: "eu-west-1",
      resources: [],
      detail: forged,
    });
    await world.bus.deliver();
    expect(b.denied()).toEqual([]);
    expect(world.bus.dropped.get("member 222222222222/us-east-1")?.map((e) => e.id)).toEqual(["forged"]);
    expect(await world.central.get(ATTACKER)).toBeUndefined();
  });
});

describe("faults across accounts", () => {
  it("parallel bans of one address in every account leave one entry and one lease per member", async () => {
    const accounts = await threeAccounts();
    const results = await Promise.all(accounts.map((account) => attack(account)));
    expect(results.map((result) => result.bans)).toEqual([[ATTACKER], [ATTACKER], [ATTACKER]]);
    await world.bus.deliver({ duplicateRate: 1 });
    for (const account of accounts) {
      expect(account.denied()).toEqual([`${ATTACKER}/32`]);
      expect(await account.runtime.leases.list(account.naclId)).toHaveLength(1);
      // Its own jail banned it: the organization's copies change nothing here.
      expect((await account.runtime.store.getRecord(ATTACKER))?.ban?.jail).toBe("sshd");
    }
    expect(activeOrgBan(await world.central.get(ATTACKER), T0 / 1000)?.origins).toHaveLength(3);
  });

  it("a crash between publish and enforce: the redelivery completes the member's half-done work", async () => {
    const [a, b] = await threeAccounts();
    await attack(a);
    // b's enforcer folded the event into its ledger and died before the NACL write.
    const [event] = a.notices;
    expect(event).toBeDefined();
    const published = orgEvent("ban", {
      origin: a.origin,
      bannedAt: Math.floor(Date.parse(event?.bannedAt ?? "") / 1000),
      endsAt: Math.floor(Date.parse(event?.until ?? "") / 1000),
      reason: event?.reason,
    });
    await b.member.ledger.fold(published, world.now);
    expect(b.denied()).toEqual([]);
    await world.bus.deliver();
    expect(b.denied()).toEqual([`${ATTACKER}/32`]);
  });

  it("a crash between the origin's ban and its publish: the origin's next unbanner run publishes it again", async () => {
    const [a, b, c] = await threeAccounts();
    a.cannotPublish = true;
    await attack(a);
    expect(a.publishFailures).toHaveLength(1);
    await world.bus.deliver();
    expect(b.denied()).toEqual([]);
    a.cannotPublish = false;
    world.now += 60_000;
    const caughtUp = await catchUpOrganization(a.runtime, a.member, world.now);
    expect(caughtUp.republished).toEqual([ATTACKER]);
    await world.bus.deliver();
    expect(b.denied()).toEqual([`${ATTACKER}/32`]);
    expect(c.denied()).toEqual([`${ATTACKER}/32`]);
  });

  it("a member offline while bans and unbans travel agrees with the organization after one unbanner run", async () => {
    const [a, b] = await threeAccounts();
    b.offline = true;
    await attack(a, ["203.0.113.9", "198.51.100.7"]);
    await world.bus.deliver();
    const dropped = world.bus.dropped.get("member 222222222222/us-east-1") ?? [];
    expect(new Set(dropped.map((envelope) => envelope.id)).size).toBe(2);
    expect(b.denied()).toEqual([]);
    b.offline = false;
    world.now += 60_000;
    const first = await catchUpOrganization(b.runtime, b.member, world.now);
    expect([...first.imposed].sort()).toEqual(["198.51.100.7", "203.0.113.9"]);
    expect(b.denied()).toEqual(["198.51.100.7/32", "203.0.113.9/32"]);

    // Offline again while the origin lifts one ban early (an operator's unban): b lifts it at its next run.
    b.offline = true;
    const record = await a.runtime.store.getRecord("198.51.100.7");
    const ban = record?.ban;
    if (ban === undefined) throw new Error("a did not ban");
    await a.runtime.bans.lift("198.51.100.7", ban.banId, world.now);
    await a.runtime.notifier.notify({
      action: "unban",
      jail: "sshd",
      ip: "198.51.100.7",
      failures: ban.failures,
      until: ban.endsAtIso,
      nacls: {},
      banNumber: ban.banNumber,
      bannedAt: ban.bannedAtIso,
    });
    await world.bus.deliver();
    expect(b.denied()).toEqual(["198.51.100.7/32", "203.0.113.9/32"]);
    b.offline = false;
    const second = await catchUpOrganization(b.runtime, b.member, world.now + 60_000);
    expect(second.lifted).toEqual(["198.51.100.7"]);
    expect(b.denied()).toEqual(["203.0.113.9/32"]);
    // A third run has nothing left to do.
    const third = await catchUpOrganization(b.runtime, b.member, world.now + 120_000);
    expect([...third.imposed, ...third.lifted, ...third.rescheduled]).toEqual([]);
  });
});
