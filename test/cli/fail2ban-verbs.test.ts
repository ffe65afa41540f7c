import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerBan } from "../../bin/cli/ban";
import {
  APP_DEFAULT_CONFIG,
  CONFIG_CONTEXT,
  STACK_NAME_CONTEXT,
  TARGET_CONTEXTS,
} from "../../bin/cli/cdk-context";
import { registerGet } from "../../bin/cli/get";
import { deployPlan, registerReload } from "../../bin/cli/reload";
import { registerSet } from "../../bin/cli/set";
import { registerVersion } from "../../bin/cli/version";
import { CloudjailStore, createDocumentClient } from "../../lambda/aws/store";
import type { CloudjailConfig } from "../../lambda/core/types";
import { CONTEXT, DEFAULT_CONFIG_PATH } from "../../lib/app-context";
import { type OperatorWorld, runCommand, startOperatorWorld } from "./support/operator-harness";
import { repoConfig } from "./support/stack-config";

/**
 * fail2ban-client's verbs (`get`, `set ... banip|unbanip`, `version`, `reload`) run as the CLI runs them, against
 * dynalite and the local EC2 endpoint.
 */
const now = Date.UTC(2026, 11, 7, 12, 0, 0);
let world: OperatorWorld;
let naclId: string;
let tableName: string;
let tables = 0;
let config: CloudjailConfig;

beforeAll(async () => {
  world = await startOperatorWorld();
});
afterAll(() => world.stop());
beforeEach(async () => {
  const vpcId = world.model.addVpc({ cidrBlock: "10.0.0.0/16" });
  naclId = world.model.defaultNaclOf(vpcId);
  tableName = `verbs-${++tables}`;
  await world.db.createTable(tableName);
  const base = repoConfig({ vpcIds: [vpcId] });
  const sshd = base.jails[0];
  if (sshd === undefined) throw new Error("the repo's config has an sshd jail");
  config = { ...base, jails: [sshd, { ...sshd, name: "dropbear", bantime: -1, ignoreip: [] }] };
});

const REGISTRATIONS = [registerGet, registerSet, registerVersion, registerReload];
const run = (args: string[], registrations = REGISTRATIONS) =>
  runCommand(world, registrations, { tableName, config }, args, now);

function denyEntries() {
  return world.model
    .entriesOf(naclId)
    .filter((entry) => entry.RuleAction === "deny" && !entry.Egress && (entry.RuleNumber ?? 0) < 32767)
    .map((entry) => entry.CidrBlock ?? entry.Ipv6CidrBlock);
}

async function banOf(ip: string) {
  return (await new CloudjailStore(createDocumentClient(world.db.client), tableName).getRecord(ip))?.ban;
}

describe("cloudjail get <jail> ...", () => {
  it("prints bantime, findtime and maxretry in seconds, as fail2ban-client does (-1: permanent)", async () => {
    const answers = [];
    for (const key of ["bantime", "findtime", "maxretry"])
      answers.push((await run(["get", "sshd", key])).output);
    expect(answers).toEqual(["3600\n", "300\n", "3\n"]);
    expect((await run(["get", "dropbear", "bantime"])).output).toBe("-1\n");
    expect(JSON.parse((await run(["get", "sshd", "findtime", "--json"])).output)).toEqual({
      jail: "sshd",
      findtime: 300,
    });
  });

  it("lists ignoreip in fail2ban-client's layout", async () => {
    expect((await run(["get", "sshd", "ignoreip"])).output).toBe(
      ["These IP addresses/networks are ignored:", "|- 127.0.0.1/8", "|- ::1", "`- 192.0.2.0/24", ""].join(
        "\n",
      ),
    );
    expect((await run(["get", "dropbear", "ignoreip"])).output).toBe("No IP address/network is ignored\n");
  });

  it("lists the jail's banned addresses, and answers 1 or 0 for given addresses", async () => {
    for (const [jail, ip] of [
      ["sshd", "203.0.113.5"],
      ["sshd", "2001:db8:4::77"],
      ["dropbear", "198.51.100.23"],
    ] as const) {
      expect((await run(["set", jail, "banip", ip])).exitCode).toBe(0);
    }
    // Earliest end first, as fail2ban-client's banip getter orders them (equal ends: by address).
    expect((await run(["get", "sshd", "banned"])).output).toBe("2001:db8:4::77 203.0.113.5\n");
    expect((await run(["get", "dropbear", "banned"])).output).toBe("198.51.100.23\n");
    const some = await run(["get", "sshd", "banned", "2001:DB8:4::77", "198.51.100.23", "192.0.2.1"]);
    expect(some.output).toBe("1\n0\n0\n");
    expect(JSON.parse((await run(["get", "sshd", "banned", "203.0.113.5", "--json"])).output)).toEqual({
      jail: "sshd",
      addresses: [{ ip: "203.0.113.5", banned: true }],
    });
  });

  it("refuses an unknown key with a did-you-mean, an address after a setting, and an unknown jail (exit 2)", async () => {
    const misspelled = await run(["get", "sshd", "maxretries"]);
    expect([misspelled.exitCode, misspelled.error?.message]).toEqual([
      2,
      'cannot get "maxretries" of a jail: one of banned, bantime, findtime, maxretry, ignoreip; did you mean "maxretry"?',
    ]);
    expect((await run(["get", "sshd", "bantime", "203.0.113.5"])).error?.message).toBe(
      'get <jail> bantime takes no address (only "banned" does)',
    );
    const unknown = await run(["get", "postfix", "bantime"]);
    expect([unknown.exitCode, unknown.error?.message]).toEqual([
      2,
      'unknown jail "postfix": the stack has sshd, dropbear',
    ]);
  });
});

describe("cloudjail set <jail> banip|unbanip", () => {
  it("bans as cloudjail ban does, even when the CLI loaded set alone", async () => {
    const result = await run(["set", "sshd", "banip", "203.0.113.5"], [registerSet]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(new RegExp(`^203\\.0\\.113\\.5 +sshd .* ${naclId}#1 +enforced`, "m"));
    expect(denyEntries()).toEqual(["203.0.113.5/32"]);
    expect(await banOf("203.0.113.5")).toMatchObject({ jail: "sshd", seconds: 3600 });
    const again = await run(["ban", "sshd", "203.0.113.5"], [registerBan]);
    expect(again.output).toMatch(/^203\.0\.113\.5 is already banned\n/);
  });

  it("honours the jail's ignoreip unless --force, as ban does", async () => {
    const refused = await run(["set", "sshd", "banip", "192.0.2.9"]);
    expect(refused.exitCode).toBe(2);
    expect(refused.error?.message).toMatch(/^192\.0\.2\.9 is in the sshd jail's ignoreip .* pass --force/);
    expect(denyEntries()).toEqual([]);
    expect((await run(["set", "sshd", "banip", "192.0.2.9", "--force"])).exitCode).toBe(0);
    expect(denyEntries()).toEqual(["192.0.2.9/32"]);
  });

  it("unbans in the named jail only, as fail2ban-client's unbanip does", async () => {
    await run(["set", "sshd", "banip", "203.0.113.5"]);
    await run(["set", "dropbear", "banip", "198.51.100.23"]);
    const result = await run(["set", "sshd", "unbanip", "203.0.113.5", "198.51.100.23"], [registerSet]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toMatch(new RegExp(`^203\\.0\\.113\\.5 +sshd +${naclId}#1`, "m"));
    expect(result.output).toContain(
      "198.51.100.23 is banned by the dropbear jail, not sshd: left as it is\n",
    );
    expect(denyEntries()).toEqual(["198.51.100.23/32"]);
    expect(await banOf("203.0.113.5")).toBeUndefined();
  });

  it("refuses other keys, pointing at reload, and several addresses for banip (exit 2)", async () => {
    const setting = await run(["set", "sshd", "bantime", "600"]);
    expect([setting.exitCode, setting.error?.message]).toEqual([
      2,
      'cannot set "bantime" here: banip, unbanip, addignoreip and delignoreip only; a jail\'s settings deploy with the stack (see cloudjail reload)',
    ]);
    expect((await run(["set", "sshd", "unbanp", "203.0.113.5"])).error?.message).toMatch(
      /did you mean "unbanip"\?/,
    );
    expect((await run(["set", "sshd", "banip", "203.0.113.5", "203.0.113.6"])).exitCode).toBe(2);
    expect(denyEntries()).toEqual([]);
  });
});

describe("cloudjail version", () => {
  it("prints the package's version alone, as fail2ban-client version does", async () => {
    const { version } = require("../../package.json") as { version: string };
    expect((await run(["version"])).output).toBe(`${version}\n`);
    expect(JSON.parse((await run(["version", "--json"])).output)).toEqual({ version });
  });
});

describe("cloudjail reload", () => {
  it("explains that configuration deploys with cdk deploy, checks the file, and prints the command", async () => {
    const result = await run(["reload"]);
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain("cloudjail has no server to reload");
    expect(result.output).toContain(
      "config/jail.local is valid (jails: sshd). Deploy it (`npx cdk diff` shows the change first):\n\n  npx cdk deploy\n",
    );
    // The repo's cdk.json and config/jail.local name no VPC: the first deploy did, on the command line.
    expect(result.output).toContain(
      "add the\n-c cloudjail:vpcIds=... (or cloudjail:naclIds=...) you deployed with.",
    );
  });

  it("refuses a file the deploy would refuse: a misspelled option, a bantime below a minute (exit 2)", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "cloudjail-reload-"));
    const write = (name: string, text: string) => {
      writeFileSync(path.join(folder, name), text);
      return path.join(folder, name);
    };
    const misspelled = await run([
      "reload",
      "--config",
      write("a.local", "[sshd]\nenabled = true\nignorip = 10.0.0.1\n"),
    ]);
    expect([misspelled.exitCode, misspelled.error?.message]).toEqual([
      2,
      `${folder}/a.local:3 [sshd]: unknown option "ignorip"; did you mean "ignoreip"? (fail2ban would skip it silently)`,
    ]);
    const short = await run([
      "reload",
      "--config",
      write("b.local", "[sshd]\nenabled = true\nbantime = 30\n"),
    ]);
    expect(short.exitCode).toBe(2);
    expect(short.error?.message).toMatch(/bantime 30s is below one minute/);
    expect((await run(["reload", "postfix"])).error?.message).toBe(
      'unknown jail "postfix": config/jail.local has sshd',
    );
  });

  it("names the stack and the file in the command when they are not cdk.json's", () => {
    const folder = mkdtempSync(path.join(tmpdir(), "cloudjail-app-"));
    writeFileSync(
      path.join(folder, "cdk.json"),
      JSON.stringify({ context: { [STACK_NAME_CONTEXT]: "Jail-Prod", [CONFIG_CONTEXT]: "prod/jail.local" } }),
    );
    expect(deployPlan({}, folder)).toEqual({
      configFile: "prod/jail.local",
      command: "npx cdk deploy",
      targetsInCdkJson: false,
    });
    expect(deployPlan({ stack: "Jail-Test", config: "test/jail.local" }, folder).command).toBe(
      "npx cdk deploy -c cloudjail:stackName=Jail-Test -c cloudjail:config=test/jail.local",
    );
    // Elsewhere, the deploy runs from the checkout, which reads its own config/jail.local.
    const elsewhere = mkdtempSync(path.join(tmpdir(), "cloudjail-elsewhere-"));
    const checkout = path.resolve(__dirname, "../..");
    expect(deployPlan({}, elsewhere)).toMatchObject({
      configFile: path.join(checkout, "config/jail.local"),
      command: `cd ${checkout} && npx cdk deploy`,
    });
  });

  it("reads the same cdk.json keys as the CDK app", () => {
    expect([CONFIG_CONTEXT, STACK_NAME_CONTEXT, APP_DEFAULT_CONFIG, TARGET_CONTEXTS]).toEqual([
      CONTEXT.config,
      CONTEXT.stackName,
      DEFAULT_CONFIG_PATH,
      [CONTEXT.vpcIds, CONTEXT.naclIds],
    ]);
  });
});
