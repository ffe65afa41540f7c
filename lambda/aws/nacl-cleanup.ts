import { inRange, type RuleRange } from "../core/nacl-plan";
import { type LeasedRule, ownedEntries } from "../core/owned-entries";
import type { NaclEnforcer } from "./nacl-enforcer";
import type { SlotLeases } from "./slot-leases";

/** What an uninstall pass did. */
export interface CleanupReport {
  /** `naclId rule N (cidr)` of each entry removed (or already gone when the delete came). */
  readonly removed: readonly string[];
  /** Entries inside the reserved range left because no lease makes them cloudjail's. */
  readonly keptInRange: readonly string[];
  /** NACLs the leases name that EC2 no longer knows. */
  readonly missingNacls: readonly string[];
  /** True when the table itself is gone: there is nothing to tell cloudjail's entries by, so none is touched. */
  readonly tableMissing: boolean;
}

/** What {@link removeOwnedEntries} works with. */
export interface CleanupDeps {
  /** The table's slot leases: which numbers cloudjail holds in which NACL, for which CIDR. */
  readonly leases: Pick<SlotLeases, "listAll">;
  /** Removes entries in the reserved range only (Ec2NaclEnforcer refuses any other number). */
  readonly enforcer: NaclEnforcer;
  readonly reservedRuleRange: RuleRange;
}

/**
 * Removes every NACL entry cloudjail owns, for `cdk destroy` (issue 17 §9): the NACLs are the ones the table's slot
 * leases name, and an entry goes only if {@link ownedEntries} calls it cloudjail's. Idempotent (an entry already gone
 * counts as removed) and tolerant of a missing table or NACL. The table is left as it is: bans and history are
 * retained with it, and a stack that adopts it again places the active bans anew.
 */
export async function removeOwnedEntries(deps: CleanupDeps): Promise<CleanupReport> {
  const leasesByNacl = await readLeases(deps.leases);
  if (leasesByNacl === undefined) {
    return { removed: [], keptInRange: [], missingNacls: [], tableMissing: true };
  }
  const removed: string[] = [];
  const keptInRange: string[] = [];
  const missingNacls: string[] = [];
  for (const [naclId, leases] of leasesByNacl) {
    const rules = await readRules(deps.enforcer, naclId);
    if (rules === undefined) {
      missingNacls.push(naclId);
      continue;
    }
    const owned = new Set(ownedEntries(rules, leases, deps.reservedRuleRange));
    for (const rule of rules) {
      const name = `${naclId} rule ${rule.ruleNumber} (${rule.action} ${rule.cidr})`;
      if (!owned.has(rule)) {
        if (inRange(deps.reservedRuleRange, rule.ruleNumber)) keptInRange.push(name);
        continue;
      }
      if (!(await removeEntry(deps.enforcer, naclId, rule.ruleNumber))) {
        missingNacls.push(naclId);
        break;
      }
      removed.push(name);
    }
  }
  return { removed, keptInRange, missingNacls, tableMissing: false };
}

/** Every slot lease of the table by NACL; undefined when the table is gone. */
async function readLeases(leases: CleanupDeps["leases"]): Promise<Map<string, LeasedRule[]> | undefined> {
  let all: Awaited<ReturnType<CleanupDeps["leases"]["listAll"]>>;
  try {
    all = await leases.listAll();
  } catch (error) {
    if (errorName(error) === "ResourceNotFoundException") return undefined;
    throw error;
  }
  const byNacl = new Map<string, LeasedRule[]>();
  for (const lease of all) byNacl.set(lease.naclId, [...(byNacl.get(lease.naclId) ?? []), lease]);
  return byNacl;
}

/** Ingress entries of a NACL, or undefined when EC2 no longer knows it. */
async function readRules(enforcer: NaclEnforcer, naclId: string) {
  try {
    return await enforcer.readEntries(naclId);
  } catch (error) {
    if (errorName(error) === "InvalidNetworkAclID.NotFound") return undefined;
    throw error;
  }
}

/** Deletes one entry; false when the NACL itself has gone meanwhile. */
async function removeEntry(enforcer: NaclEnforcer, naclId: string, ruleNumber: number): Promise<boolean> {
  try {
    await enforcer.removeEntry(naclId, ruleNumber);
    return true;
  } catch (error) {
    if (errorName(error) === "InvalidNetworkAclID.NotFound") return false;
    throw error;
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
