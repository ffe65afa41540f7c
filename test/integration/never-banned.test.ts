import { Logger } from "@aws-lambda-powertools/logger";
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerBan } from "../../bin/cli/ban";
import { allowEntry } from "../../lambda/aws/allowlist";
import { FamilyOverflow } from "../../lambda/aws/family-overflow";
import { allCoveredShards } from "../../lambda/aws/store-items";
import { WafIpSet } from "../../lambda/aws/waf-ip-set";
import { cidrContains, cidrsOverlap, parseCidr } from "../../lambda/core/ip";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";
import type { CloudjailConfig } from "../../lambda/core/types";
import { respondAndAggregate, unbanAndAggregate } from "../../lambda/handlers/aggregate";
import { createRuntime, type Runtime } from "../../lambda/handlers/runtime";
import { type OperatorWorld, runCommand, startOperatorWorld } from "../cli/support/operator-harness";
import { seedConfig } from "../cli/support/stack-config";
import { attackLines, logsEvent } from "../support/runtime-world";
import { mockWafIpSets, WafIpSetModel } from "../support/waf-ip-set-model";

/*
 * Issue 15 §2: configured ignoreip and the runtime allowlist are never banned by any path. For random attacks, lists
 * and NACL sizes, every path runs in turn (the responder with or without aggregation, manual bans, the unbanner's
 * consolidation and reconcile, the WAF overflow target for what the NACL cannot hold) on dynalite and the NACL model;
 * afterwards no NACL entry, no IP set address and no ban record touches an exempt range.
 */

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
const MINUTE = 60_000;
let world: OperatorWorld;
let tables = 0;

beforeAll(async () => {
  world = await startOperatorWorld();
});
afterAll(() => world.stop());

interface Scenario {
  readonly attackers: readonly string[];
  /** Runtime allowlist entries (addresses or CIDRs), for every jail. */
  readonly allowed: readonly string[];
  /** Configured ignoreip additions. */
  readonly ignored: readonly string[];
  readonly aggregation: boolean;
  readonly quota: number;
}

const host = fc.integer({ min: 1, max: 40 }).map((x) => `198.51.100.${x}`);
const scenario: fc.Arbitrary<Scenario> = fc.record({
  attackers: fc.uniqueArray(
    fc.oneof(
      host,
      fc.integer({ min: 1, max: 9 }).map((x) => `203.0.113.${x}`),
    ),
    {
      minLength: 3,
      maxLength: 14,
    },
  ),
  allowed: fc.array(
    fc.oneof(
      host,
      fc.integer({ min: 0, max: 2 }).map((x) => `198.51.100.${x * 16}/28`),
    ),
    {
      minLength: 1,
      maxLength: 3,
    },
  ),
  ignored: fc.array(host, { maxLength: 2 }),
  aggregation: fc.boolean(),
  quota: fc.integer({ min: 4, max: 12 }),
});

async function runScenario(s: Scenario): Promise<void> {
  const vpcId = world.model.addVpc({ cidrBlock: "10.0.0.0/16" });
  const naclId = world.model.defaultNaclOf(vpcId);
  const tableName = `never-${++tables}`;
  await world.db.createTable(tableName);
  const seed = seedConfig({
    vpcIds: [vpcId],
    quota: s.quota,
    protectedCidrs: ["10.0.0.0/16"],
    ...(s.aggregation ? { aggregation: DEFAULT_AGGREGATION } : {}),
  });
  const config: CloudjailConfig = {
    ...seed,
    jails: seed.jails.map((jail) => ({ ...jail, ignoreip: [...jail.ignoreip, ...s.ignored] })),
  };
  let clock = 0;
  const waf = new WafIpSetModel("cloudjail-v4", "v4-id", "IPV4", () => clock);
  const waf6 = new WafIpSetModel("cloudjail-v6", "v6-id", "IPV6", () => clock);
  const stub = mockWafIpSets([waf, waf6]);
  const clients = world.clients();
  try {
    const wafClient = new WAFV2Client({ region: "us-east-1" });
    const options = {
      now: () => clock,
      sleep: async (ms: number) => {
        clock += ms;
      },
      baseDelayMs: 1,
    };
    const overflow = new FamilyOverflow({
      ipv4: new WafIpSet(wafClient, { name: "cloudjail-v4", id: "v4-id", scope: "REGIONAL" }, options),
      ipv6: new WafIpSet(wafClient, { name: "cloudjail-v6", id: "v6-id", scope: "REGIONAL" }, options),
    });
    const container = (at: number): Runtime =>
      createRuntime(
        { tableName, config },
        { dynamodb: clients.dynamoDb, ec2: clients.ec2 },
        { clock: () => at, random: () => 0, logger: new Logger({ logLevel: "SILENT" }), overflow },
      );
    const half = Math.ceil(s.attackers.length / 2);
    // Automatic, before the allowlist: some allowed addresses are banned (and covered) when it is written.
    const before = container(T0);
    const attack = (runtime: Runtime, ips: readonly string[], at: number, batch: number) =>
      respondAndAggregate(runtime, logsEvent(attackLines(ips, 3, at), { logStream: "i-0a", batch, at }), at);
    await attack(before, s.attackers.slice(0, half), T0, 1);
    // The allowlist, as `ignore add` writes it (its own lifting is tested in test/cli/ignore.test.ts): here the
    // unbanner's next run must lift what it holds.
    for (const range of s.allowed) {
      await before.allowlist.put(allowEntry("ignore", range, { until: null, reason: "property" }, T0));
    }
    const after = container(T0 + MINUTE);
    await unbanAndAggregate(after, T0 + MINUTE);
    // Automatic after it, every attacker again, and the unbanner's consolidation and reconcile.
    await attack(after, s.attackers, T0 + 2 * MINUTE, 2);
    await unbanAndAggregate(after, T0 + 3 * MINUTE);
    // Manual: `cloudjail ban` of every attacker (refused for the exempt ones).
    for (const ip of s.attackers) {
      await runCommand(world, [registerBan], { tableName, config }, ["ban", "sshd", ip], T0 + 4 * MINUTE);
    }
    await unbanAndAggregate(after, T0 + 5 * MINUTE);

    const exempt = [...s.allowed, ...s.ignored, "103.1.2.3"].map(parseCidr);
    const denies = world.model
      .entriesOf(naclId)
      .filter((entry) => entry.RuleAction === "deny" && !entry.Egress && (entry.RuleNumber ?? 0) < 32767)
      .map((entry) => entry.CidrBlock ?? entry.Ipv6CidrBlock ?? "");
    for (const cidr of [...denies, ...waf.addresses]) {
      for (const range of exempt)
        expect(cidrsOverlap(parseCidr(cidr), range), `${cidr} spans ${range.address}`).toBe(false);
    }
    const records = [];
    for await (const record of after.store.activeBans()) records.push(record);
    for await (const record of after.store.bansInShards(allCoveredShards())) records.push(record);
    for (const record of records) {
      if (record.ban === undefined) continue;
      for (const range of exempt) {
        const touches = record.ip.includes("/")
          ? cidrsOverlap(parseCidr(record.ip), range)
          : cidrContains(range, record.ip);
        expect(touches, `${record.ip} banned inside an exempt range`).toBe(false);
      }
    }
    // Not vacuous: the attackers outside every exempt range are banned.
    const banned = new Set(records.map((record) => record.ip));
    for (const ip of s.attackers) {
      if (!exempt.some((range) => cidrContains(range, ip))) expect(banned.has(ip), `${ip} banned`).toBe(true);
    }
  } finally {
    stub.restore();
    clients.destroy();
  }
}

describe("ignoreip and the runtime allowlist", () => {
  it("are never banned by any path: automatic, manual, aggregation cover, overflow", async () => {
    await fc.assert(fc.asyncProperty(scenario, runScenario), { numRuns: 8, seed: 15 });
  }, 300_000);
});
