import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerBan } from "../../bin/cli/ban";
import { registerBanned } from "../../bin/cli/banned";
import { registerStatus } from "../../bin/cli/status";
import { CloudjailStore, createDocumentClient } from "../../lambda/aws/store";
import type { WindowBlock } from "../../lambda/aws/store-items";
import type { CloudjailConfig } from "../../lambda/core/types";
import { blocksOf, windowOf } from "../support/window-blocks";
import { type OperatorWorld, runCommand, startOperatorWorld } from "./support/operator-harness";
import { repoConfig } from "./support/stack-config";

const now = Date.UTC(2026, 10, 25, 12, 0, 0);
const minute = 60_000;
let world: OperatorWorld;
let naclId: string;
let tableCount = 0;
let tableName: string;
let config: CloudjailConfig;

beforeAll(async () => {
  world = await startOperatorWorld();
});
afterAll(() => world.stop());
beforeEach(async () => {
  const vpcId = world.model.addVpc({ cidrBlock: "10.0.0.0/16" });
  naclId =
    world.model
      .naclIds()
      .find(
        (id) => world.model.describeNetworkAcls({ NetworkAclIds: [id] }).NetworkAcls?.[0]?.VpcId === vpcId,
      ) ?? "";
  tableName = `status-${++tableCount}`;
  await world.db.createTable(tableName);
  config = repoConfig({ vpcIds: [vpcId] });
});

const run = (args: string[], at = now) =>
  runCommand(
    world,
    [registerStatus, registerBanned, registerBan],
    { tableName, config, logGroupName: "/cloudjail/Cloudjail/auth" },
    args,
    at,
  );

/** A failure window as the responder stores it: `times` minutes before now. */
async function failures(ip: string, minutesAgo: number[], total = minutesAgo.length): Promise<void> {
  const times = minutesAgo.map((ago) => now - ago * minute).sort((a, b) => a - b);
  const store = new CloudjailStore(createDocumentClient(world.db.client), tableName);
  // Two of the addresses share a /24: the second joins the first's block when they share its shard.
  const existing = await store.getWindowBlock(ip);
  const window = windowOf(ip, times, { total });
  const [block] = blocksOf([...Object.values(existing?.windows ?? {}), window]);
  expect(
    await store.swap<WindowBlock>(block as Omit<WindowBlock, "version">, existing?.version),
  ).toBeDefined();
}

/** Two addresses failing inside findtime (5 min), one whose failures are older, two banned. */
async function arrange(): Promise<void> {
  await failures("192.0.2.44", [1]);
  await failures("198.51.100.51", [2, 3]);
  await failures("198.51.100.99", [30, 31], 4);
  expect((await run(["ban", "sshd", "203.0.113.10"], now - 10 * minute)).exitCode).toBe(0);
  expect((await run(["ban", "sshd", "2001:db8:4::77"], now - 5 * minute)).exitCode).toBe(0);
}

describe("cloudjail status", () => {
  it("prints exactly fail2ban-client's overview when no jail is named, jails sorted by name", async () => {
    const sshd = config.jails[0];
    if (sshd === undefined) throw new Error("the repo's config has an sshd jail");
    config = { ...config, jails: [sshd, { ...sshd, name: "recidive" }, { ...sshd, name: "dropbear" }] };
    const result = await run(["status"]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe(
      ["Status", "|- Number of jail:\t3", "`- Jail list:\tdropbear, recidive, sshd", ""].join("\n"),
    );
  });

  it("adds every jail's block in fail2ban-client's layout with --all", async () => {
    await arrange();
    const result = await run(["status", "--all"]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe(
      [
        "Status",
        "|- Number of jail:\t1",
        "`- Jail list:\tsshd",
        "",
        "Status for the jail: sshd",
        "|- Filter",
        "|  |- Currently failed:\t2",
        "|  |- Total failed:\t7",
        "|  `- Log group:\t/cloudjail/Cloudjail/auth",
        "`- Actions",
        "   |- Currently banned:\t2",
        "   |- Total banned:\t2",
        "   `- Banned IP list:\t203.0.113.10 2001:db8:4::77",
        "",
      ].join("\n"),
    );
  });

  it("adds the jail's bans with their ends and NACL entries when a jail is named", async () => {
    await arrange();
    const result = await run(["status", "sshd"]);
    expect(result.output).toContain("Status for the jail: sshd\n");
    const rows = result.output.split("\n").filter((line) => /^(203|2001)/.test(line));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      new RegExp(
        `^203\\.0\\.113\\.10 +sshd +2026-11-25 11:50:00Z +2026-11-25 12:50:00Z +#1 +${naclId}#1 +enforced +manual ban`,
      ),
    );
    expect(rows[1]).toMatch(
      new RegExp(
        `^2001:db8:4::77 +sshd +2026-11-25 11:55:00Z +2026-11-25 12:55:00Z +#1 +${naclId}#\\d+ +enforced`,
      ),
    );
  });

  it("gives scripts the same numbers as JSON", async () => {
    await arrange();
    const json = JSON.parse((await run(["status", "sshd", "--json"])).output);
    expect(json.jails[0]).toMatchObject({
      jail: "sshd",
      currentlyFailed: 2,
      totalFailed: 7,
      currentlyBanned: 2,
      totalBanned: 2,
      bannedIps: ["203.0.113.10", "2001:db8:4::77"],
    });
    expect(json.jails[0].bans[0]).toMatchObject({ ip: "203.0.113.10", endsAt: "2026-11-25T12:50:00.000Z" });
  });

  it("shows an empty table as zeros", async () => {
    const result = await run(["status", "sshd"]);
    expect(result.output).toContain("|  |- Currently failed:\t0\n");
    expect(result.output).toContain("no address is banned in this jail\n");
  });

  it("refuses an unknown jail with exit code 2", async () => {
    const result = await run(["status", "postfix"]);
    expect([result.exitCode, result.error?.message]).toEqual([
      2,
      'unknown jail "postfix": the stack has sshd',
    ]);
  });
});

describe("cloudjail banned", () => {
  it("lists every active ban, earliest end first", async () => {
    await arrange();
    const result = await run(["banned"]);
    const ips = result.output
      .split("\n")
      .slice(2)
      .filter((line) => line !== "")
      .map((line) => line.split(" ")[0]);
    expect(ips).toEqual(["203.0.113.10", "2001:db8:4::77"]);
    expect(result.output.split("\n")[0]).toMatch(
      /^IP +Jail +Banned at +Ends +Ban +NACL entries +State +Reason$/,
    );
  });

  it("answers for the addresses asked about, in any spelling", async () => {
    await arrange();
    const result = await run(["banned", "2001:DB8:4:0::77", "192.0.2.44"]);
    expect(result.output).toMatch(/^2001:db8:4::77 /m);
    expect(result.output).toContain("192.0.2.44 is not banned\n");
    const json = JSON.parse((await run(["banned", "192.0.2.44", "--json"])).output);
    expect(json).toEqual({ bans: [], notBanned: ["192.0.2.44"] });
  });

  it("refuses a malformed address with exit code 2", async () => {
    const result = await run(["banned", "203.0.113"]);
    expect([result.exitCode, result.error?.message]).toEqual([
      2,
      '"203.0.113" is not an IPv4 or IPv6 address',
    ]);
  });
});
