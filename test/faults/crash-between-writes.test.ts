import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { respond } from "../../lambda/handlers/respond";
import { unban } from "../../lambda/handlers/unban";
import { type LocalDynamo, startDynalite } from "../support/dynalite";
import { expectTableAndNaclsAgree } from "../support/invariants";
import { attackLines, createWorld, logsEvent, T0, type World } from "../support/runtime-world";

let db: LocalDynamo;
let world: World;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.stop());
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
    // Dies on the first record write: nothing recorded at all, so the retry must ban.
    const batch = logsEvent(attackLines([ATTACKER], 5), { logStream: world.instanceId });
    await expect(respond(runtime, batch, T0)).rejects.toThrow(/simulated crash/);
    expect(await runtime.store.getRecord(ATTACKER)).toBeUndefined();
    const { runtime: retry } = world.runtime();
    expect((await respond(retry, batch, T0 + 1000)).bans).toEqual([ATTACKER]);
    await expectTableAndNaclsAgree(world, retry, [ATTACKER]);
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
