import { expect } from "vitest";
import type { IpRecord } from "../../lambda/aws/store-items";
import { cidrText, parseCidr } from "../../lambda/core/ip";
import type { Runtime } from "../../lambda/handlers/runtime";
import { activeBans, type World } from "./runtime-world";

/** What the table and the NACLs hold once they were found to agree. */
export interface AgreedState {
  readonly bans: Map<string, IpRecord>;
  /** NACL id -> CIDRs of cloudjail's entries. */
  readonly entries: Map<string, string[]>;
}

function normal(cidr: string | undefined): string {
  return cidrText(parseCidr(cidr ?? ""));
}

/**
 * The end of every fault test: no lost ban (each of `banned` has an active ban, enforced or pending with a reason),
 * no duplicate entry, no entry outside the reserved range changed, never more entries than the quota, and the
 * table and the NACLs agree both ways (entries <-> bans <-> leases).
 */
export async function expectTableAndNaclsAgree(
  world: World,
  runtime: Runtime,
  banned: readonly string[] = [],
): Promise<AgreedState> {
  const { first, last } = world.config.nacl.reservedRuleRange;
  const bans = await activeBans(runtime);
  const entries = new Map<string, string[]>();
  for (const ip of banned) {
    const ban = bans.get(ip)?.ban;
    expect(ban, `no lost ban: ${ip} is banned`).toBeDefined();
    for (const target of ban?.targets ?? []) {
      if (ban?.entries[target] === undefined) {
        expect(ban?.pending[target], `${ip} lacks an entry in ${target} and says why`).toMatch(/./);
      }
    }
  }
  for (const naclId of world.naclIds) {
    const all = world.model.entriesOf(naclId).filter((entry) => !entry.Egress);
    const outside = all.filter((entry) => (entry.RuleNumber ?? 0) < first || (entry.RuleNumber ?? 0) > last);
    expect(outside, `${naclId}: rules outside the reserved range are untouched`).toEqual(
      world.userEntries.get(naclId),
    );
    for (const family of ["ipv4", "ipv6"] as const) {
      expect(
        world.model.countEntries(naclId, false, family),
        `${naclId}: ${family} entries within quota`,
      ).toBeLessThanOrEqual(world.config.nacl.quota);
    }
    const owned = all.filter((entry) => (entry.RuleNumber ?? 0) >= first && (entry.RuleNumber ?? 0) <= last);
    const cidrs = owned.map((entry) => normal(entry.CidrBlock ?? entry.Ipv6CidrBlock));
    expect(new Set(cidrs).size, `${naclId}: no duplicate entry`).toBe(cidrs.length);
    expect(owned.every((entry) => entry.RuleAction === "deny")).toBe(true);
    entries.set(naclId, cidrs);

    const leases = await runtime.leases.list(naclId);
    const recorded = [...bans.values()].flatMap((record) =>
      record.ban?.entries[naclId] === undefined
        ? []
        : [{ record, ruleNumber: record.ban.entries[naclId] as number }],
    );
    // Table -> NACL: every recorded entry is there, with the banned address.
    for (const { record, ruleNumber } of recorded) {
      const entry = owned.find((candidate) => candidate.RuleNumber === ruleNumber);
      expect(entry && normal(entry.CidrBlock ?? entry.Ipv6CidrBlock), `${naclId} rule ${ruleNumber}`).toBe(
        record.cidr,
      );
      const lease = leases.find((candidate) => candidate.ruleNumber === ruleNumber);
      expect(lease?.banId, `${naclId} rule ${ruleNumber} is leased to its ban`).toBe(record.ban?.banId);
    }
    // NACL -> table: every entry of cloudjail's is some active ban's, and every lease has its entry.
    expect(owned.map((entry) => entry.RuleNumber).sort()).toEqual(
      recorded.map((item) => item.ruleNumber).sort(),
    );
    expect(leases.map((lease) => lease.ruleNumber).sort()).toEqual(
      recorded.map((item) => item.ruleNumber).sort(),
    );
  }
  for (const record of bans.values()) {
    const ban = record.ban;
    if (ban === undefined) continue;
    const complete = ban.targets.every((target) => ban.entries[target] !== undefined);
    expect(ban.state, `${record.ip}: state matches its entries`).toBe(complete ? "enforced" : "pending");
  }
  return { bans, entries };
}
