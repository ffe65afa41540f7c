import { afterEach, describe, expect, it } from "vitest";
import { respond } from "../../lambda/handlers/respond";
import { useDynalite } from "../support/dynalite";
import { expectTableAndNaclsAgree } from "../support/invariants";
import { createWorld, failedPassword, logsEvent, T0, type World } from "../support/runtime-world";

const db = useDynalite();
let world: World;
afterEach(() => world?.restore());

const TARGET = "203.0.113.77";
const SLOW = "198.51.100.77";

/** Batch k of 12: one failure of TARGET and one of SLOW (which stays under maxretry in total: 4 of its lines). */
function batch(k: number) {
  const lines = [failedPassword(TARGET, T0 - 20_000 + k * 1000, 5000 + k)];
  if (k < 4) lines.push(failedPassword(SLOW, T0 - 20_000 + k * 1000, 6000 + k));
  return logsEvent(lines, { logStream: world.instanceId, batch: 100 + k });
}

describe("DynamoDB conditional-check failures (concurrent writers on one IP)", () => {
  it("loses no failure and bans exactly once when twelve containers count the same IPs at once", async () => {
    world = await createWorld(db);
    const containers = Array.from({ length: 12 }, () => world.runtime());
    const failedChecks = { count: 0 };
    for (const { dynamodb } of containers) {
      dynamodb.middlewareStack.add(
        (next) => async (args) => {
          try {
            return await next(args);
          } catch (error) {
            if ((error as Error).name === "ConditionalCheckFailedException") failedChecks.count++;
            throw error;
          }
        },
        { step: "initialize", name: "countConditionFailures" },
      );
    }
    const results = await Promise.all(containers.map(({ runtime }, k) => respond(runtime, batch(k), T0)));
    expect(failedChecks.count).toBeGreaterThan(0);
    expect(results.flatMap((result) => result.bans)).toEqual([TARGET]);

    const { runtime } = world.runtime();
    const slow = await runtime.store.getWindow("sshd", SLOW);
    expect(slow?.failureTimes).toHaveLength(4);
    expect(slow?.totalFailures).toBe(4);
    const record = await runtime.store.getRecord(TARGET);
    expect(record?.banCount).toBe(1);
    // Every TARGET failure was either counted into its window or reported against its ban; none vanished.
    const counted = results.reduce((sum, result) => sum + result.failures + result.reported, 0);
    expect(counted).toBe(12 + 4);
    await expectTableAndNaclsAgree(world, runtime, [TARGET]);
  });

  it("bans each of 60 addresses once when ten instances' batches hit their two /24s at the same time", async () => {
    world = await createWorld(db);
    // 60 addresses in two /24s share 8 window blocks: every container writes each of them.
    const ips = Array.from({ length: 60 }, (_, index) => `198.18.${index % 2}.${10 + index}`);
    const containers = Array.from({ length: 10 }, () => world.runtime());
    const batches = containers.map((_, k) =>
      logsEvent(
        ips.map((ip, index) => failedPassword(ip, T0 - 20_000 + k * 1000, 7000 + k * 100 + index)),
        { logStream: world.instanceId, batch: 200 + k },
      ),
    );
    const results = await Promise.all(
      containers.map(({ runtime }, k) => respond(runtime, batches[k], T0, undefined, `request-${k}`)),
    );
    const bans = results.flatMap((result) => result.bans).sort();
    expect(bans).toEqual([...ips].sort());
    // Each failure counted into a window or reported against a ban in flight or recorded: none lost, none twice.
    expect(results.reduce((sum, result) => sum + result.failures + result.reported, 0)).toBe(600);
    const { runtime } = world.runtime();
    for (const ip of ips) expect((await runtime.store.getRecord(ip))?.banCount).toBe(1);
    await expectTableAndNaclsAgree(world, runtime, ips);
  });
});
