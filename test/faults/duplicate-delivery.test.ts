import { afterEach, describe, expect, it } from "vitest";
import { respond } from "../../lambda/handlers/respond";
import { unban } from "../../lambda/handlers/unban";
import { useDynalite } from "../support/dynalite";
import { expectTableAndNaclsAgree } from "../support/invariants";
import { sshdJail } from "../support/jails";
import { activeBans, attackLines, createWorld, logsEvent, T0, type World } from "../support/runtime-world";

const db = useDynalite();
let world: World;
afterEach(() => world?.restore());

const BANNED = ["203.0.113.9", "203.0.113.10"];
const COUNTED = ["198.51.100.7"];

function batch() {
  return logsEvent([...attackLines(BANNED, 6), ...attackLines(COUNTED, 3)], { logStream: world.instanceId });
}

describe("the same batch delivered three times", () => {
  it("changes nothing after the first delivery, one after the other", async () => {
    world = await createWorld(db);
    const { runtime, recorder } = world.runtime();
    const first = await respond(runtime, batch(), T0);
    expect(first).toMatchObject({ failures: 15, bans: BANNED });
    const windowBefore = await runtime.store.getWindow("sshd", COUNTED[0] as string);
    const entriesBefore = world.naclIds.map((naclId) => world.model.entriesOf(naclId));

    for (const delay of [1_000, 30_000]) {
      const again = await respond(runtime, batch(), T0 + delay);
      expect(again).toMatchObject({ failures: 0, bans: [], reported: 12 });
    }
    expect(await runtime.store.getWindow("sshd", COUNTED[0] as string)).toEqual(windowBefore);
    expect(world.naclIds.map((naclId) => world.model.entriesOf(naclId))).toEqual(entriesBefore);
    for (const ip of BANNED) expect((await runtime.store.getRecord(ip))?.banCount).toBe(1);
    expect(recorder.notices.filter((notice) => notice.action === "ban")).toHaveLength(2);
    await expectTableAndNaclsAgree(world, runtime, BANNED);
  });

  it("bans once when the three deliveries run at the same time in three containers", async () => {
    world = await createWorld(db);
    const containers = [world.runtime(), world.runtime(), world.runtime()];
    const results = await Promise.all(containers.map(({ runtime }) => respond(runtime, batch(), T0)));
    expect(results.flatMap((result) => result.bans).sort()).toEqual([...BANNED].sort());
    const { runtime } = world.runtime();
    const window = await runtime.store.getWindow("sshd", COUNTED[0] as string);
    expect(window?.failureTimes).toHaveLength(3);
    expect(window?.totalFailures).toBe(3);
    for (const ip of BANNED) expect((await runtime.store.getRecord(ip))?.banCount).toBe(1);
    await expectTableAndNaclsAgree(world, runtime, BANNED);
  });
});

describe("a batch delivered again after its ban ended and was lifted", () => {
  it("bans nobody again: the record keeps the banned failures out of every later count", async () => {
    world = await createWorld(db, { jails: [sshdJail({ bantime: 60 })] });
    const { runtime } = world.runtime();
    expect(await respond(runtime, batch(), T0)).toMatchObject({ bans: BANNED });
    const afterBan = T0 + 120_000;
    expect([...(await unban(runtime, afterBan)).unbanned].sort()).toEqual([...BANNED].sort());

    const again = await respond(runtime, batch(), afterBan + 1_000);
    expect(again.bans).toEqual([]);
    // Four new failures after the redelivery: a ban only if the redelivered six had been counted again.
    const later = afterBan + 60_000;
    const fresh = await respond(
      runtime,
      logsEvent(attackLines(BANNED, 4, later), { logStream: world.instanceId, batch: 2 }),
      later,
    );
    expect(fresh).toMatchObject({ bans: [], failures: 8 });
    expect(await activeBans(runtime)).toHaveProperty("size", 0);
    for (const ip of BANNED) expect((await runtime.store.getRecord(ip))?.banCount).toBe(1);
    await expectTableAndNaclsAgree(world, runtime);
  });
});
