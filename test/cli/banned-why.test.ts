import { Logger } from "@aws-lambda-powertools/logger";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerBanned } from "../../bin/cli/banned";
import { registerUnban } from "../../bin/cli/unban";
import type { CloudjailConfig } from "../../lambda/core/types";
import { respond } from "../../lambda/handlers/respond";
import { createRuntime } from "../../lambda/handlers/runtime";
import { attackLines, logsEvent } from "../support/runtime-world";
import { type OperatorWorld, runCommand, startOperatorWorld } from "./support/operator-harness";
import { seedConfig } from "./support/stack-config";

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const ATTACKER = "203.0.113.9";
const INSTANCE = "i-0123456789abcdef0";
let world: OperatorWorld;
let tableCount = 0;
let tableName: string;
let config: CloudjailConfig;

beforeAll(async () => {
  world = await startOperatorWorld();
});
afterAll(() => world.stop());
beforeEach(async () => {
  const vpcId = world.model.addVpc({ cidrBlock: "10.0.0.0/16" });
  tableName = `why-${++tableCount}`;
  await world.db.createTable(tableName);
  const seed = seedConfig({ vpcIds: [vpcId] });
  // bantime.increment with a factor of 2: the second ban is bantime x 2^1 x 2.
  config = {
    ...seed,
    jails: seed.jails.map((jail) => ({
      ...jail,
      increment: { ...jail.increment, enabled: true, factor: 2 },
    })),
  };
});

/** The responder, as the Lambda runs it, on the operator world's table and NACLs: three failed passwords. */
async function attack(at: number): Promise<void> {
  const clients = world.clients();
  try {
    const runtime = createRuntime(
      { tableName, config },
      { dynamodb: clients.dynamoDb, ec2: clients.ec2 },
      { clock: () => at, random: () => 0, logger: new Logger({ logLevel: "SILENT" }) },
    );
    const summary = await respond(
      runtime,
      logsEvent(attackLines([ATTACKER], 3, at), { logStream: INSTANCE, batch: at, at }),
      at,
    );
    expect(summary.bans).toEqual([ATTACKER]);
  } finally {
    clients.destroy();
  }
}

const run = (args: string[], at: number) =>
  runCommand(world, [registerBanned, registerUnban], { tableName, config }, args, at);

describe("cloudjail banned --why", () => {
  it("shows the jail, the failures with their times, the instance, the stored lines and the length rule", async () => {
    await attack(T0);
    const result = await run(["banned", ATTACKER, "--why"], T0 + 60_000);
    expect(result.exitCode).toBe(0);
    const text = result.output;
    expect(text).toMatch(/^203\.0\.113\.9\n/);
    expect(text).toMatch(/ {2}Jail: +sshd\n/);
    expect(text).toMatch(/ {2}Reason: +3 failures within 5m \(maxretry 3\)/);
    expect(text).toMatch(/ {2}Ban: +#1 \(0 earlier bans counted for bantime.increment\)\n/);
    expect(text).toMatch(/ {2}Length: +1h: bantime 1h \(first ban\) = 1h\n/);
    expect(text).toMatch(
      / {2}Failures: +3: 2026-11-25 11:59:58Z, 2026-11-25 11:59:59Z, 2026-11-25 12:00:00Z\n/,
    );
    expect(text).toMatch(new RegExp(` {2}Instances: +${INSTANCE}\\n`));
    expect(text).toContain("  Lines (3 stored, as sshd wrote them, capped):\n");
    expect(text).toContain(
      "    Nov 25 11:59:58 web-1 sshd[1000]: Failed password for root from 203.0.113.9 port 41000 ssh2\n",
    );
  });

  it("explains an escalated second ban: its number and bantime x 2^1 x the increment factor", async () => {
    await attack(T0);
    expect((await run(["unban", ATTACKER], T0 + 60_000)).exitCode).toBe(0);
    await attack(T0 + 10 * 60_000);
    const json = JSON.parse((await run(["banned", ATTACKER, "--json"], T0 + 11 * 60_000)).output);
    expect(json.bans[0]).toMatchObject({
      ip: ATTACKER,
      jail: "sshd",
      banNumber: 2,
      why: {
        seconds: 4 * 3600,
        lengthRule: "bantime 1h x 2^1 (1 earlier ban) x factor 2 = 4h",
        failureTimes: ["2026-11-25T12:09:58.000Z", "2026-11-25T12:09:59.000Z", "2026-11-25T12:10:00.000Z"],
        instanceIds: [INSTANCE],
      },
    });
    expect(json.bans[0].why.lines).toHaveLength(3);
    const text = (await run(["banned", ATTACKER, "--why"], T0 + 11 * 60_000)).output;
    expect(text).toMatch(/ {2}Length: +4h: bantime 1h x 2\^1 \(1 earlier ban\) x factor 2 = 4h\n/);
  });

  it("says which of the addresses asked about are not banned", async () => {
    const result = await run(["banned", "192.0.2.1", "--why"], T0);
    expect(result.output).toBe("192.0.2.1 is not banned\n");
  });
});
