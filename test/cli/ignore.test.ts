import { Logger } from "@aws-lambda-powertools/logger";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerBan } from "../../bin/cli/ban";
import { registerGet } from "../../bin/cli/get";
import { registerIgnore } from "../../bin/cli/ignore";
import { registerSet } from "../../bin/cli/set";
import { ALLOWLIST_CACHE_MS } from "../../lambda/aws/allowlist-cache";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";
import type { CloudjailConfig } from "../../lambda/core/types";
import { respondAndAggregate } from "../../lambda/handlers/aggregate";
import { createRuntime, type Runtime } from "../../lambda/handlers/runtime";
import { attackLines, logsEvent } from "../support/runtime-world";
import { type OperatorWorld, runCommand, startOperatorWorld } from "./support/operator-harness";
import { seedConfig } from "./support/stack-config";

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const MINUTE = 60_000;
const OFFICE = "198.51.100.77";
let world: OperatorWorld;
let tableCount = 0;
let tableName: string;
let naclId: string;
let config: CloudjailConfig;
let batch = 0;

beforeAll(async () => {
  world = await startOperatorWorld();
});
afterAll(() => world.stop());
beforeEach(async () => {
  const vpcId = world.model.addVpc({ cidrBlock: "10.0.0.0/16" });
  naclId = world.model.defaultNaclOf(vpcId);
  tableName = `ignore-${++tableCount}`;
  await world.db.createTable(tableName);
  config = seedConfig({ vpcIds: [vpcId], protectedCidrs: ["10.0.0.0/16"] });
});

/** A Lambda container's runtime on the operator world (its allowlist cache lives as long as it does). */
function container(at: number, stackConfig = config): { runtime: Runtime; close: () => void } {
  const clients = world.clients();
  const runtime = createRuntime(
    { tableName, config: stackConfig },
    { dynamodb: clients.dynamoDb, ec2: clients.ec2 },
    { clock: () => at, random: () => 0, logger: new Logger({ logLevel: "SILENT" }) },
  );
  return { runtime, close: () => clients.destroy() };
}

/** Three failed passwords from each of `ips` through the responder; returns the addresses it banned. */
async function attack(runtime: Runtime, ips: readonly string[], at: number): Promise<string[]> {
  const event = logsEvent(attackLines(ips, 3, at), { logStream: "i-0123456789abcdef0", batch: ++batch, at });
  return [...(await respondAndAggregate(runtime, event, at)).bans].sort();
}

function denied(): string[] {
  return world.model
    .entriesOf(naclId)
    .filter((entry) => entry.RuleAction === "deny" && !entry.Egress && (entry.RuleNumber ?? 0) < 32767)
    .map((entry) => entry.CidrBlock ?? entry.Ipv6CidrBlock ?? "")
    .sort();
}

const run = (args: string[], at: number, stackConfig = config) =>
  runCommand(
    world,
    [registerIgnore, registerBan, registerGet, registerSet],
    { tableName, config: stackConfig },
    args,
    at,
  );

describe("cloudjail ignore", () => {
  it("lifts the address's ban at once, lists it, and no path bans it while it is listed", async () => {
    const lambda = container(T0);
    expect(await attack(lambda.runtime, [OFFICE, "203.0.113.5"], T0)).toEqual([
      "198.51.100.77",
      "203.0.113.5",
    ]);
    const added = await run(["ignore", "add", OFFICE, "--reason", "office NAT"], T0 + MINUTE);
    expect(added.exitCode).toBe(0);
    expect(added.output).toBe(
      `${OFFICE}/32 is ignored in every jail until removed\nunbanned ${OFFICE} (sshd)\n`,
    );
    expect(denied()).toEqual(["203.0.113.5/32"]);
    const listed = await run(["ignore", "list"], T0 + MINUTE);
    expect(listed.output).toMatch(/^198\.51\.100\.77\/32 +\* +ignored +removed +office NAT$/m);
    expect((await run(["get", "sshd", "ignoreip"], T0 + MINUTE)).output).toBe(
      [
        "These IP addresses/networks are ignored:",
        "|- 127.0.0.1/8",
        "|- ::1",
        "|- 103.1.2.3",
        "`- 198.51.100.77/32 (runtime allowlist)",
        "",
      ].join("\n"),
    );
    // Manual: refused as an ignoreip address is.
    const manual = await run(["ban", "sshd", OFFICE], T0 + MINUTE);
    expect([manual.exitCode, manual.error?.message]).toEqual([
      2,
      `${OFFICE} is on the runtime allowlist (cloudjail ignore list): not banned; pass --force to ban it anyway`,
    ]);
    // Automatic: a fresh container (the cache is read on its first batch) counts its failures as ignored.
    const fresh = container(T0 + 2 * MINUTE);
    expect(await attack(fresh.runtime, [OFFICE], T0 + 2 * MINUTE)).toEqual([]);
    expect(denied()).toEqual(["203.0.113.5/32"]);
    lambda.close();
    fresh.close();
  });

  it("is honoured by a warm container within the cache's minute", async () => {
    expect(ALLOWLIST_CACHE_MS).toBe(60_000);
    const lambda = container(T0);
    expect(await attack(lambda.runtime, ["203.0.113.9"], T0)).toEqual(["203.0.113.9"]);
    await run(["ignore", "add", OFFICE], T0 + 1000);
    // The container read the (empty) allowlist at T0: 61 s later it reads it again.
    expect(await attack(lambda.runtime, [OFFICE], T0 + 61_000)).toEqual([]);
    lambda.close();
  });

  it("ends an entry at --until, and after ignore remove the address is banned again", async () => {
    await run(["ignore", "add", "198.51.100.0/24", "--until", "1h", "--jail", "sshd"], T0);
    const during = container(T0 + 30 * MINUTE);
    expect(await attack(during.runtime, [OFFICE], T0 + 30 * MINUTE)).toEqual([]);
    const after = container(T0 + 61 * MINUTE);
    expect(await attack(after.runtime, [OFFICE], T0 + 61 * MINUTE)).toEqual([OFFICE]);
    await run(["ignore", "add", "203.0.113.0/24"], T0 + 62 * MINUTE);
    const removed = await run(["ignore", "remove", "203.0.113.0/24"], T0 + 62 * MINUTE);
    expect(removed.output).toBe("203.0.113.0/24 is no longer ignored in every jail\n");
    const later = container(T0 + 63 * MINUTE);
    expect(await attack(later.runtime, ["203.0.113.20"], T0 + 63 * MINUTE)).toEqual(["203.0.113.20"]);
    during.close();
    after.close();
    later.close();
  });

  it("answers fail2ban-client's set <jail> addignoreip / delignoreip", async () => {
    const added = await run(["set", "sshd", "addignoreip", "203.0.113.7/24", "--json"], T0);
    expect(added.exitCode).toBe(0);
    expect(JSON.parse(added.output).added).toMatchObject({
      cidr: "203.0.113.0/24",
      jail: "sshd",
      scope: "ignore",
    });
    const listed = JSON.parse((await run(["get", "sshd", "ignoreip", "--json"], T0)).output);
    expect(listed.runtime.map((entry: { cidr: string }) => entry.cidr)).toEqual(["203.0.113.0/24"]);
    expect((await run(["set", "sshd", "delignoreip", "203.0.113.0/24"], T0)).output).toBe(
      "203.0.113.0/24 is no longer ignored in sshd\n",
    );
    expect((await run(["ignore", "list"], T0)).output).toBe("the allowlist is empty\n");
    expect((await run(["ignore", "add", "203.0.113.0/33"], T0)).exitCode).toBe(2);
    expect((await run(["ignore", "add", OFFICE, "--until", "soon"], T0)).exitCode).toBe(2);
  });

  it("splits a covering entry around an allowed address so that its neighbours stay blocked", async () => {
    const aggregating = { ...config, nacl: { ...config.nacl, aggregation: DEFAULT_AGGREGATION } };
    const lambda = container(T0, aggregating);
    await attack(lambda.runtime, ["198.51.100.10", "198.51.100.20", OFFICE], T0);
    expect(denied()).toEqual(["198.51.100.0/24"]);
    const added = await run(["ignore", "add", OFFICE], T0 + MINUTE, aggregating);
    expect(added.output).toContain(
      "covering entry 198.51.100.0/24 split around 198.51.100.77/32: now 198.51.100.0/27\n",
    );
    expect(denied()).toEqual(["198.51.100.0/27"]);
    lambda.close();
  });
});
