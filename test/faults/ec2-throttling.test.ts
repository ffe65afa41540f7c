import { afterEach, describe, expect, it } from "vitest";
import { respond } from "../../lambda/handlers/respond";
import { unban } from "../../lambda/handlers/unban";
import { useDynalite } from "../support/dynalite";
import { expectTableAndNaclsAgree } from "../support/invariants";
import { attackLines, createWorld, logsEvent, T0, type World } from "../support/runtime-world";

const db = useDynalite();
let world: World;
afterEach(() => world?.restore());

const ATTACKERS = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"];

describe("EC2 throttling (RequestLimitExceeded)", () => {
  it("bans everyone anyway, retrying with backoff and jitter", async () => {
    world = await createWorld(db);
    world.model.throttleRandomly(0.4);
    const { runtime } = world.runtime();
    const summary = await respond(
      runtime,
      logsEvent(attackLines(ATTACKERS, 5), { logStream: world.instanceId }),
      T0,
    );
    expect([...summary.bans].sort()).toEqual(ATTACKERS);
    expect(summary.pending).toEqual([]);
    expect(world.model.throttledCalls).toBeGreaterThan(0);
    expect(runtime.enforcer.stats.retries).toBeGreaterThan(0);
    world.model.throttleRandomly(0);
    await expectTableAndNaclsAgree(world, runtime, ATTACKERS);
  });

  it("records the ban as pending when EC2 keeps refusing, and the unbanner applies it once EC2 answers", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    // The NACL listing succeeds; every entry write is throttled past the retry budget.
    world.model.throttleNext(1_000, ["CreateNetworkAclEntry"]);
    const summary = await respond(
      runtime,
      logsEvent(attackLines(ATTACKERS.slice(0, 1), 5), { logStream: world.instanceId }),
      T0,
    );
    expect(summary.pending).toEqual([ATTACKERS[0]]);
    const ban = (await runtime.store.getRecord(ATTACKERS[0] as string))?.ban;
    expect(Object.values(ban?.pending ?? {})[0]).toMatch(/RequestLimitExceeded|Request limit exceeded/i);
    expect(recorder.logs.some((log) => log.level === "warn" && log.message.startsWith("ban pending"))).toBe(
      true,
    );
    await expectTableAndNaclsAgree(world, runtime, ATTACKERS.slice(0, 1));

    world.model.throttleNext(0);
    const { runtime: unbanner } = world.runtime();
    expect((await unban(unbanner, T0 + 60_000)).reconcile.reapplied).toEqual([ATTACKERS[0]]);
    await expectTableAndNaclsAgree(world, unbanner, ATTACKERS.slice(0, 1));
  });

  it("fails the invocation when it cannot even list the NACLs, and the retried batch bans", async () => {
    world = await createWorld(db);
    world.model.throttleNext(1_000, ["DescribeNetworkAcls"]);
    const batch = logsEvent(attackLines(ATTACKERS, 5), { logStream: world.instanceId });
    const { runtime, recorder } = world.runtime();
    await expect(respond(runtime, batch, T0, undefined, "request-1")).rejects.toThrow(
      /RequestLimitExceeded|limit/i,
    );
    expect(recorder.logs.filter((log) => log.level === "error").length).toBeGreaterThan(0);
    world.model.throttleNext(0);
    const { runtime: retry } = world.runtime();
    // Lambda's retry (same request id) records the bans its first attempt marked.
    expect([...(await respond(retry, batch, T0 + 60_000, undefined, "request-1")).bans].sort()).toEqual(
      ATTACKERS,
    );
    await expectTableAndNaclsAgree(world, retry, ATTACKERS);
  });
});
