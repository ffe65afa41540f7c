import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerBan } from "../../bin/cli/ban";
import { registerUnban } from "../../bin/cli/unban";
import { CloudjailStore, createDocumentClient } from "../../lambda/aws/store";
import type { CloudjailConfig } from "../../lambda/core/types";
import { type OperatorWorld, runCommand, startOperatorWorld } from "./support/operator-harness";
import { seedConfig } from "./support/stack-config";

const now = Date.UTC(2026, 10, 25, 12, 0, 0);
let world: OperatorWorld;
let vpcId: string;
let naclId: string;
let tableCount = 0;
let tableName: string;
let config: CloudjailConfig;

beforeAll(async () => {
  world = await startOperatorWorld();
});
afterAll(() => world.stop());
beforeEach(async () => {
  vpcId = world.model.addVpc({ cidrBlock: "10.0.0.0/16", ipv6CidrBlock: "2001:db8:1::/56" });
  naclId =
    world.model
      .naclIds()
      .find(
        (id) => world.model.describeNetworkAcls({ NetworkAclIds: [id] }).NetworkAcls?.[0]?.VpcId === vpcId,
      ) ?? "";
  tableName = `ban-${++tableCount}`;
  await world.db.createTable(tableName);
  config = seedConfig({ vpcIds: [vpcId] });
});

const run = (args: string[], at = now, stackConfig = config) =>
  runCommand(world, [registerBan, registerUnban], { tableName, config: stackConfig }, args, at);

function denyEntries() {
  return world.model
    .entriesOf(naclId)
    .filter((entry) => entry.RuleAction === "deny" && !entry.Egress && (entry.RuleNumber ?? 0) < 32767)
    .map((entry) => [entry.RuleNumber, entry.CidrBlock ?? entry.Ipv6CidrBlock]);
}

async function record(ip: string) {
  return new CloudjailStore(createDocumentClient(world.db.client), tableName).getRecord(ip);
}

describe("cloudjail ban", () => {
  it("writes a DENY entry into the protected VPC's NACL and records the ban with the jail's bantime", async () => {
    const result = await run(["ban", "sshd", "203.0.113.5"]);
    expect(result.exitCode).toBe(0);
    expect(denyEntries()).toEqual([[1, "203.0.113.5/32"]]);
    const stored = await record("203.0.113.5");
    expect(stored?.ban).toMatchObject({
      jail: "sshd",
      state: "enforced",
      entries: { [naclId]: 1 },
      seconds: 3600,
    });
    expect(result.output).toContain("203.0.113.5");
    expect(result.output).toContain(`${naclId}#1`);
    expect(result.output).toContain("2026-11-25 13:00:00Z");
  });

  it("bans an IPv6 address with a /128 entry", async () => {
    expect((await run(["ban", "sshd", "2001:DB8:4::77"])).exitCode).toBe(0);
    expect(denyEntries()).toEqual([[1, "2001:db8:4::77/128"]]);
  });

  it("refuses an address in the jail's ignoreip unless --force", async () => {
    const refused = await run(["ban", "sshd", "103.1.2.3"]);
    expect(refused.exitCode).toBe(2);
    expect(refused.error?.message).toMatch(/103\.1\.2\.3 is in the sshd jail's ignoreip .*pass --force/);
    expect(denyEntries()).toEqual([]);
    expect((await run(["ban", "sshd", "103.1.2.3", "--force"])).exitCode).toBe(0);
    expect(denyEntries()).toEqual([[1, "103.1.2.3/32"]]);
    expect((await record("103.1.2.3"))?.ban?.reason).toBe("manual ban (cloudjail ban --force)");
  });

  it("leaves an address that is already banned as it is", async () => {
    await run(["ban", "sshd", "203.0.113.5"]);
    const again = await run(["ban", "sshd", "203.0.113.5"], now + 60_000);
    expect(again.exitCode).toBe(0);
    expect(again.output).toMatch(/^203\.0\.113\.5 is already banned/);
    expect(denyEntries()).toEqual([[1, "203.0.113.5/32"]]);
    expect((await record("203.0.113.5"))?.banCount).toBe(1);
  });

  it("ends with exit code 1 when the NACL has no room, keeping the ban pending for the unbanner", async () => {
    // The default NACL holds the allow-all rule 100 and the `*` deny: a quota of 3 leaves room for one ban.
    const tight = seedConfig({ vpcIds: [vpcId], quota: 3 });
    expect((await run(["ban", "sshd", "203.0.113.5"], now, tight)).exitCode).toBe(0);
    const full = await run(["ban", "sshd", "203.0.113.6"], now, tight);
    expect(full.exitCode).toBe(1);
    expect(full.error?.message).toMatch(
      /203\.0\.113\.6 is banned but not yet in every NACL .*unbanner retries/,
    );
    expect((await record("203.0.113.6"))?.ban?.state).toBe("pending");
    expect(denyEntries()).toEqual([[1, "203.0.113.5/32"]]);
  });

  it("refuses a malformed address, an unknown jail and an unknown stack with exit code 2", async () => {
    const malformed = await run(["ban", "sshd", "203.0.113.500"]);
    expect([malformed.exitCode, malformed.error?.message]).toEqual([
      2,
      '"203.0.113.500" is not an IPv4 or IPv6 address',
    ]);
    const jail = await run(["ban", "postfix", "203.0.113.5"]);
    expect([jail.exitCode, jail.error?.message]).toEqual([2, 'unknown jail "postfix": the stack has sshd']);
    const stack = await run(["ban", "sshd", "203.0.113.5", "--stack", "Elsewhere"]);
    expect([stack.exitCode, stack.error?.message]).toEqual([2, 'no stack "Elsewhere" in us-east-1']);
    expect(denyEntries()).toEqual([]);
  });
});

describe("cloudjail unban", () => {
  it("removes the NACL entry and the ban now, keeping the address's history", async () => {
    await run(["ban", "sshd", "203.0.113.5"]);
    await run(["ban", "sshd", "198.51.100.23"]);
    const result = await run(["unban", "203.0.113.5"], now + 60_000);
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(new RegExp(`203\\.0\\.113\\.5\\s+sshd\\s+${naclId}#1`));
    expect(denyEntries()).toEqual([[2, "198.51.100.23/32"]]);
    const stored = await record("203.0.113.5");
    expect(stored?.ban).toBeUndefined();
    expect(stored?.banCount).toBe(1);
  });

  it("lifts every ban with --all", async () => {
    for (const ip of ["203.0.113.5", "198.51.100.23", "2001:db8:4::77"]) await run(["ban", "sshd", ip]);
    const result = await run(["unban", "--all", "--json"]);
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.output) as { unbanned: { ip: string }[]; notBanned: string[] };
    expect(json.unbanned.map((each) => each.ip).sort()).toEqual([
      "198.51.100.23",
      "2001:db8:4::77",
      "203.0.113.5",
    ]);
    expect(denyEntries()).toEqual([]);
  });

  it("says which addresses were not banned", async () => {
    const result = await run(["unban", "192.0.2.1"]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toBe("nothing was unbanned\n192.0.2.1 is not banned\n");
  });

  it("lifts only the named jail's bans with --jail, leaving another jail's ban as it is", async () => {
    const sshd = config.jails[0];
    if (sshd === undefined) throw new Error("the seed config has an sshd jail");
    const twoJails = { ...config, jails: [sshd, { ...sshd, name: "dropbear" }] };
    await run(["ban", "sshd", "203.0.113.5"], now, twoJails);
    await run(["ban", "dropbear", "198.51.100.23"], now, twoJails);
    await run(["ban", "dropbear", "198.51.100.24"], now, twoJails);
    const named = await run(["unban", "--jail", "sshd", "203.0.113.5", "198.51.100.23"], now, twoJails);
    expect(named.exitCode).toBe(0);
    expect(named.output).toMatch(new RegExp(`^203\\.0\\.113\\.5\\s+sshd\\s+${naclId}#1`, "m"));
    expect(named.output).toContain("198.51.100.23 is banned by the dropbear jail, not sshd: left as it is\n");
    expect((await record("198.51.100.23"))?.ban?.jail).toBe("dropbear");
    const all = await run(["unban", "--all", "--jail", "dropbear", "--json"], now, twoJails);
    expect(JSON.parse(all.output)).toMatchObject({ notBanned: [], otherJails: [] });
    expect(denyEntries()).toEqual([]);
    const unknown = await run(["unban", "--jail", "postfix", "203.0.113.5"], now, twoJails);
    expect([unknown.exitCode, unknown.error?.message]).toEqual([
      2,
      'unknown jail "postfix": the stack has sshd, dropbear',
    ]);
  });

  it("needs addresses or --all, not both, and refuses a malformed address", async () => {
    expect((await run(["unban"])).error?.message).toBe("give the addresses to unban, or --all");
    expect((await run(["unban", "192.0.2.1", "--all"])).exitCode).toBe(2);
    expect((await run(["unban", "not-an-ip"])).exitCode).toBe(2);
  });
});
