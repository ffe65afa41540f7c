import { Logger } from "@aws-lambda-powertools/logger";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerBanned } from "../../bin/cli/banned";
import { registerStatus } from "../../bin/cli/status";
import { registerUnban } from "../../bin/cli/unban";
import { cidrContains, parseCidr } from "../../lambda/core/ip";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";
import type { CloudjailConfig } from "../../lambda/core/types";
import { respondAndAggregate } from "../../lambda/handlers/aggregate";
import { createRuntime } from "../../lambda/handlers/runtime";
import { attackLines, logsEvent } from "../support/runtime-world";
import { type OperatorWorld, runCommand, startOperatorWorld } from "./support/operator-harness";
import { seedConfig } from "./support/stack-config";

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const OFFICE = "198.51.100.77";
const NEIGHBOURS = ["198.51.100.10", "198.51.100.20", "198.51.100.200"];
let world: OperatorWorld;
let tableCount = 0;
let tableName: string;
let naclId: string;
let vpcId: string;

beforeAll(async () => {
  world = await startOperatorWorld();
});
afterAll(() => world.stop());
beforeEach(async () => {
  vpcId = world.model.addVpc({ cidrBlock: "10.0.0.0/16" });
  naclId = world.model.defaultNaclOf(vpcId);
  tableName = `cover-${++tableCount}`;
  await world.db.createTable(tableName);
});

function configWith(aggregation: boolean, quota = 20): CloudjailConfig {
  return seedConfig({
    vpcIds: [vpcId],
    quota,
    protectedCidrs: ["10.0.0.0/16"],
    ...(aggregation ? { aggregation: DEFAULT_AGGREGATION } : {}),
  });
}

/** The responder (with aggregation when configured), as the Lambda runs it: three failed passwords from each. */
async function attack(config: CloudjailConfig, ips: readonly string[], at: number): Promise<void> {
  const clients = world.clients();
  try {
    const runtime = createRuntime(
      { tableName, config },
      { dynamodb: clients.dynamoDb, ec2: clients.ec2 },
      { clock: () => at, random: () => 0, logger: new Logger({ logLevel: "SILENT" }) },
    );
    const summary = await respondAndAggregate(
      runtime,
      logsEvent(attackLines(ips, 3, at), { logStream: "i-0123456789abcdef0", batch: at, at }),
      at,
    );
    expect([...summary.bans].sort()).toEqual([...ips].sort());
  } finally {
    clients.destroy();
  }
}

/** cloudjail's deny entries in the VPC's NACL, as CIDRs. */
function denied(): string[] {
  return world.model
    .entriesOf(naclId)
    .filter((entry) => entry.RuleAction === "deny" && !entry.Egress && (entry.RuleNumber ?? 0) < 32767)
    .map((entry) => entry.CidrBlock ?? entry.Ipv6CidrBlock ?? "")
    .sort();
}

function blocked(ip: string): boolean {
  return denied().some((cidr) => cidrContains(parseCidr(cidr), ip));
}

const run = (config: CloudjailConfig, args: string[], at = T0 + 60_000) =>
  runCommand(world, [registerUnban, registerBanned, registerStatus], { tableName, config }, args, at);

/** `status sshd --json`'s banned list and `banned --json`'s sshd bans name the same addresses. */
async function expectStatusAndBannedAgree(config: CloudjailConfig, at = T0 + 60_000): Promise<string[]> {
  const status = JSON.parse((await run(config, ["status", "sshd", "--json"], at)).output);
  const banned = JSON.parse((await run(config, ["banned", "--json"], at)).output);
  const fromBanned = (banned.bans as { ip: string; jail: string }[])
    .filter((ban) => ban.jail === "sshd")
    .map((ban) => ban.ip)
    .sort();
  expect([...status.jails[0].bannedIps].sort()).toEqual(fromBanned);
  return fromBanned;
}

describe("unban with aggregation on", () => {
  it("splits the cover around the unbanned address: it is reachable, its neighbours stay blocked", async () => {
    const config = configWith(true);
    await attack(config, [...NEIGHBOURS, OFFICE], T0);
    expect(denied()).toEqual(["198.51.100.0/24"]);
    const result = await run(config, ["unban", OFFICE]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(new RegExp(`^${OFFICE.replaceAll(".", "\\.")} +sshd +-$`, "m"));
    expect(result.output).toContain(
      "covering entry 198.51.100.0/24 split around 198.51.100.77/32: now 198.51.100.0/27, 198.51.100.200/32\n",
    );
    expect(denied()).toEqual(["198.51.100.0/27", "198.51.100.200/32"]);
    expect(blocked(OFFICE)).toBe(false);
    for (const ip of NEIGHBOURS) expect(blocked(ip), ip).toBe(true);
    expect(await expectStatusAndBannedAgree(config)).toEqual(NEIGHBOURS);
  });

  it("keeps later consolidations from covering the unbanned address again", async () => {
    const config = configWith(true);
    await attack(config, [...NEIGHBOURS, OFFICE], T0);
    await run(config, ["unban", OFFICE]);
    // Two more attackers in the /24: the aggregation threshold is reached again.
    await attack(config, ["198.51.100.100", "198.51.100.150"], T0 + 2 * 60_000);
    expect(blocked(OFFICE)).toBe(false);
    for (const ip of [...NEIGHBOURS, "198.51.100.100", "198.51.100.150"]) expect(blocked(ip), ip).toBe(true);
  });

  it("leaves neighbours pending rather than the address blocked when the quota has no room for the pieces", async () => {
    // The default NACL holds rule 100 and the `*` deny: a quota of 3 leaves one entry for cloudjail.
    const config = configWith(true, 3);
    await attack(config, [...NEIGHBOURS, OFFICE], T0);
    expect(denied()).toEqual(["198.51.100.0/24"]);
    const result = await run(config, ["unban", OFFICE, "--json"]);
    const json = JSON.parse(result.output);
    expect(json.covers).toEqual([
      {
        cover: "198.51.100.0/24",
        cut: ["198.51.100.77/32"],
        replacedBy: ["198.51.100.0/27"],
        pending: ["198.51.100.200"],
        lifted: [OFFICE],
      },
    ]);
    expect(denied()).toEqual(["198.51.100.0/27"]);
    expect(blocked(OFFICE)).toBe(false);
    const banned = JSON.parse((await run(config, ["banned", "198.51.100.200", "--json"])).output);
    expect(banned.bans[0]).toMatchObject({ state: "pending" });
    expect(await expectStatusAndBannedAgree(config)).toEqual(NEIGHBOURS);
  });

  it("lifts every ban inside a CIDR and the cover with them", async () => {
    const config = configWith(true);
    await attack(config, [...NEIGHBOURS, OFFICE], T0);
    const result = await run(config, ["unban", "198.51.100.0/24"]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain("covering entry 198.51.100.0/24 split around 198.51.100.0/24: removed\n");
    expect(denied()).toEqual([]);
    expect(await expectStatusAndBannedAgree(config)).toEqual([]);
  });

  it("lifts covered bans too with --all", async () => {
    const config = configWith(true);
    await attack(config, [...NEIGHBOURS, OFFICE], T0);
    expect((await run(config, ["unban", "--all"])).exitCode).toBe(0);
    expect(denied()).toEqual([]);
    expect(await expectStatusAndBannedAgree(config)).toEqual([]);
  });
});

describe("unban with aggregation off", () => {
  it("lifts every ban inside a CIDR and no other", async () => {
    const config = configWith(false);
    await attack(config, ["203.0.113.5", "203.0.113.6", "198.51.100.23"], T0);
    const result = await run(config, ["unban", "203.0.113.0/24"]);
    expect(result.exitCode).toBe(0);
    expect(denied()).toEqual(["198.51.100.23/32"]);
    expect(await expectStatusAndBannedAgree(config)).toEqual(["198.51.100.23"]);
    expect((await run(config, ["unban", "192.0.2.0/24"])).output).toContain("192.0.2.0/24 is not banned\n");
    expect((await run(config, ["unban", "192.0.2.0/33"])).exitCode).toBe(2);
  });
});
