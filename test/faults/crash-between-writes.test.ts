import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { respond } from "../../lambda/handlers/respond";
import { unban } from "../../lambda/handlers/unban";
import { useDynalite } from "../support/dynalite";
import { expectTableAndNaclsAgree } from "../support/invariants";
import { attackLines, createWorld, logsEvent, T0, type World } from "../support/runtime-world";

const db = useDynalite();
let world: World;
afterEach(() => world?.restore());

const ATTACKER = "203.0.113.9";

/** Makes the Lambda "die" on the first DynamoDB write of an item whose key starts with `prefix`, once `when()`. */
function crashOnWrite(
  dynamodb: DynamoDBClient,
  prefix: string,
  when: () => boolean,
): { crashed: () => boolean } {
  let crashed = false;
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Item?: Record<string, unknown> };
      const pk = input.Item?.pk as string | { S?: string } | undefined;
      const key = typeof pk === "string" ? pk : pk?.S;
      if (!crashed && context.commandName === "PutItemCommand" && key?.startsWith(prefix) && when()) {
        crashed = true;
        throw new Error("simulated crash: the Lambda died here");
      }
      return next(args);
    },
    { step: "initialize", name: "crash", priority: "high" },
  );
  return { crashed: () => crashed };
}

describe("a crash between the NACL write and the DynamoDB write", () => {
  it("is repaired by the next unbanner run: the entries are recorded, nothing is duplicated", async () => {
    world = await createWorld(db);
    const { runtime, dynamodb } = world.runtime();
    const crash = crashOnWrite(dynamodb, "BAN#", () => world.model.calls.CreateNetworkAclEntry >= 2);
    const batch = logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId });
    await expect(respond(runtime, batch, T0)).rejects.toThrow(/simulated crash/);
    expect(crash.crashed()).toBe(true);
    // The entries are in both NACLs, the record still says "enforcing" with no entry: they disagree.
    const before = await runtime.store.getRecord(ATTACKER);
    expect(before?.ban).toMatchObject({ state: "enforcing", entries: {} });

    const { runtime: unbanner } = world.runtime();
    const summary = await unban(unbanner, T0 + 60_000);
    expect(summary.reconcile.adoptedEntries).toBe(2);
    expect(summary.reconcile.removedEntries).toBe(0);
    const after = await unbanner.store.getRecord(ATTACKER);
    expect(after?.ban?.state).toBe("enforced");
    expect(Object.keys(after?.ban?.entries ?? {}).sort()).toEqual([...world.naclIds].sort());
    await expectTableAndNaclsAgree(world, unbanner, [ATTACKER]);

    // Lambda retries the failed invocation: nothing changes.
    const { runtime: retry } = world.runtime();
    expect(await respond(retry, batch, T0 + 120_000)).toMatchObject({ failures: 0, bans: [] });
    await expectTableAndNaclsAgree(world, retry, [ATTACKER]);
  });

  it("loses nothing when the Lambda dies before the ban is recorded: the retry bans", async () => {
    world = await createWorld(db);
    const { runtime, dynamodb } = world.runtime();
    crashOnWrite(dynamodb, "BAN#", () => true);
    // Dies on the first record write, after the window block marked the ban: no record at all.
    const batch = logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId });
    await expect(respond(runtime, batch, T0, undefined, "request-1")).rejects.toThrow(/simulated crash/);
    expect(await runtime.store.getRecord(ATTACKER)).toBeUndefined();
    expect((await runtime.store.getWindowBlock(ATTACKER))?.marks[ATTACKER]).toMatchObject({
      by: "request-1",
    });
    // Lambda's retry keeps the request id: it owns the mark and records the ban its first attempt decided.
    const { runtime: retry } = world.runtime();
    expect((await respond(retry, batch, T0 + 60_000, undefined, "request-1")).bans).toEqual([ATTACKER]);
    await expectTableAndNaclsAgree(world, retry, [ATTACKER]);
    // The record confirms the mark: the next write of the block drops it.
    expect((await retry.store.getRecord(ATTACKER))?.windowResetAt).toBe(T0 + 60_000);
  });

  it("never bans twice while another invocation's ban is in flight, and decides again once its mark is void", async () => {
    world = await createWorld(db);
    const { runtime, dynamodb } = world.runtime();
    crashOnWrite(dynamodb, "BAN#", () => true);
    const batch = logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId });
    await expect(respond(runtime, batch, T0, undefined, "request-1")).rejects.toThrow(/simulated crash/);
    // Another delivery of the same lines, by another invocation, while the first may still be recording: reported.
    const { runtime: other } = world.runtime();
    expect(await respond(other, batch, T0 + 10_000, undefined, "request-2")).toMatchObject({
      bans: [],
      reported: 5,
    });
    const later = logsEvent(attackLines([ATTACKER], 1, T0 + 20_000), {
      logStream: world.instanceId,
      batch: 2,
    });
    expect(await respond(other, later, T0 + 20_000, undefined, "request-3")).toMatchObject({
      bans: [],
      reported: 1,
    });
    expect(await other.store.getRecord(ATTACKER)).toBeUndefined();
    // Its writer never came back (its retries failed too): past the grace period the mark is void, and the
    // address's failures inside findtime ban it.
    const again = logsEvent(attackLines([ATTACKER], 1, T0 + 6 * 60_000), {
      logStream: world.instanceId,
      batch: 3,
    });
    expect((await respond(other, again, T0 + 6 * 60_000, undefined, "request-4")).bans).toEqual([ATTACKER]);
    await expectTableAndNaclsAgree(world, other, [ATTACKER]);
    expect((await other.store.getWindowBlock(ATTACKER))?.marks[ATTACKER]).toMatchObject({ by: "request-4" });
  });

  it("finishes a ban whose writer died between the ban record and the first lease, once the grace period passed", async () => {
    world = await createWorld(db);
    const { runtime, dynamodb } = world.runtime({ claimGraceSeconds: 120 });
    crashOnWrite(dynamodb, "SLOT#", () => true);
    const batch = logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId });
    await expect(respond(runtime, batch, T0)).rejects.toThrow(/simulated crash/);
    expect((await runtime.store.getRecord(ATTACKER))?.ban).toMatchObject({ state: "enforcing", entries: {} });

    // Lambda's retry finds the IP banned: it reports, and leaves the claim to its (dead) owner.
    const { runtime: retry } = world.runtime({ claimGraceSeconds: 120 });
    expect(await respond(retry, batch, T0 + 1000)).toMatchObject({ bans: [], reported: 5 });
    // Within the grace period the unbanner waits: the writer might still be running.
    const { runtime: unbanner } = world.runtime({ claimGraceSeconds: 120 });
    expect((await unban(unbanner, T0 + 60_000)).reconcile.reapplied).toEqual([]);
    // After it, the unbanner takes the claim over and writes the entries.
    expect((await unban(unbanner, T0 + 180_000)).reconcile.reapplied).toEqual([ATTACKER]);
    await expectTableAndNaclsAgree(world, unbanner, [ATTACKER]);
  });
});
