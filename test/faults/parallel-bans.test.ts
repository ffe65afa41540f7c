import { afterEach, describe, expect, it } from "vitest";
import { METRIC } from "../../lambda/core/telemetry";
import { respond } from "../../lambda/handlers/respond";
import { unban } from "../../lambda/handlers/unban";
import { useDynalite } from "../support/dynalite";
import { expectTableAndNaclsAgree } from "../support/invariants";
import {
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

const ips = Array.from({ length: 40 }, (_, index) => `198.51.${100 + (index >> 4)}.${index}`);

/** Invocation k: 5 failures each of IPs 2k and 2k+1, and 2 failures of IP 2k+2 (which another invocation bans). */
function invocationLines(k: number): string[] {
  const own = attackLines([ips[2 * k] as string, ips[2 * k + 1] as string], 5);
  const neighbour = ips[(2 * k + 2) % ips.length] as string;
  return [
    ...own,
    failedPassword(neighbour, T0 - 500, 9000 + k),
    failedPassword(neighbour, T0 - 400, 9100 + k),
  ];
}

describe("20 invocations in parallel banning 40 IPs into one NACL with a quota of 20", () => {
  it("never collides, never exceeds the quota, and records the rest as pending with a metric and a log line", async () => {
    // Only the custom NACL is managed (its rules: 200 allow TCP 22, * deny: 18 IPv4 slots left).
    world = await createWorld(db, { quota: 20, onlyCustomNacl: true });
    const naclId = world.naclIds[1];
    const containers = Array.from({ length: 20 }, () => world.runtime());
    const results = await Promise.all(
      containers.map(({ runtime }, k) =>
        respond(runtime, logsEvent(invocationLines(k), { logStream: world.instanceId, batch: k + 1 }), T0),
      ),
    );
    const banned = results.flatMap((result) => result.bans);
    expect([...banned].sort()).toEqual([...ips].sort());
    const pending = results.flatMap((result) => result.pending);
    expect(pending).toHaveLength(40 - 18);
    expect(world.model.countEntries(naclId, false, "ipv4")).toBe(20);

    const pendingMetric = containers.reduce(
      (sum, { recorder }) => sum + recorder.metricSum(METRIC.pendingBans),
      0,
    );
    expect(pendingMetric).toBe(22);
    const pendingLogs = containers.flatMap(({ recorder }) =>
      recorder.logs.filter((log) => log.level === "warn" && log.message.startsWith("ban pending")),
    );
    expect(pendingLogs).toHaveLength(22);

    const { runtime } = world.runtime();
    const state = await expectTableAndNaclsAgree(world, runtime, ips);
    expect([...state.bans.values()].filter((record) => record.ban?.state === "enforced")).toHaveLength(18);
    // One unbanner run with no slot freed: nothing moves, nothing breaks.
    const summary = await unban(runtime, T0 + 60_000);
    expect(summary.reconcile.pending).toHaveLength(22);
    await expectTableAndNaclsAgree(world, runtime, ips);
  });
});
