import type { IpFamily } from "../core/ip";
import { inRange, type NaclRule, planSlots, sameDeny } from "../core/nacl-plan";
import type { NaclSettings } from "../core/types";
import type { BanService } from "./ban-service";
import type { NaclEnforcer } from "./nacl-enforcer";
import type { SlotAllocator } from "./slot-allocator";
import type { SlotLeases } from "./slot-leases";
import type { CloudjailStore } from "./store";
import { type IpRecord, isEnforced, type SlotLease } from "./store-items";

/** What a reconcile pass found and changed. */
export interface ReconcileReport {
  /** Entries in the reserved range that no active ban accounts for, removed. */
  readonly removedEntries: number;
  /** Leases of bans that are gone, or of entries never written by a writer that died, released. */
  readonly releasedLeases: number;
  /** Entries a writer wrote but never recorded (crash between NACL and DynamoDB), now recorded. */
  readonly adoptedEntries: number;
  /** IPs whose missing or pending entries were placed again. */
  readonly reapplied: readonly string[];
  /** IPs still waiting for room in some NACL. */
  readonly pending: readonly string[];
  /** Active bans after the pass. */
  readonly activeBans: number;
  /** Free slots per NACL and address family after the pass. */
  readonly slotsFree: ReadonlyMap<string, Readonly<Record<IpFamily, number>>>;
  /** ALLOW rules found inside the reserved range: never touched, reported. */
  readonly foreignRules: readonly string[];
}

/** Dependencies of the reconciler. */
export interface ReconcilerDeps {
  readonly store: CloudjailStore;
  readonly leases: SlotLeases;
  readonly enforcer: NaclEnforcer;
  readonly bans: BanService;
  readonly settings: Pick<NaclSettings, "reservedRuleRange" | "quota">;
  /** Seconds after which a claim or an entry-less lease is taken to belong to a writer that died. */
  readonly graceSeconds: number;
}

/**
 * Makes the NACLs and the table agree, both ways. Reads NACL entries first, then leases, then bans (so that an
 * entry written concurrently is always seen together with the ban record written before it), and confirms with a
 * strongly consistent read before removing anything:
 * - an entry in the reserved range with no lease, or whose lease names a ban that is no longer active: removed;
 * - an entry whose lease names an active ban that does not list it: recorded (the crash between the NACL write
 *   and the DynamoDB write);
 * - a lease without entry: released when its ban is gone, or when its writer is older than the grace period;
 * - an active ban missing an entry in a target NACL (lost, or pending for want of room): placed again.
 * Only DENY entries inside the range are ever removed.
 */
export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  async run(
    managedNacls: readonly string[],
    allocator: SlotAllocator,
    now: number,
  ): Promise<ReconcileReport> {
    const { store, leases, enforcer, bans, settings } = this.deps;
    const active = new Map<string, IpRecord>();
    const naclIds = new Set(managedNacls);
    const rulesByNacl = await this.readRules([...naclIds]);
    const leasesByNacl = new Map<string, SlotLease[]>();
    await Promise.all(
      [...naclIds].map(async (naclId) => leasesByNacl.set(naclId, await leases.list(naclId))),
    );
    for await (const record of store.activeBans()) active.set(record.ip, record);
    // NACLs that only bans still name (e.g. a NACL removed from the configuration) are cleaned up too.
    const extra = [...active.values()]
      .flatMap((record) => record.ban?.targets ?? [])
      .filter((id) => !naclIds.has(id));
    if (extra.length > 0) {
      for (const [naclId, rules] of await this.readRules([...new Set(extra)])) rulesByNacl.set(naclId, rules);
      for (const naclId of new Set(extra)) {
        naclIds.add(naclId);
        leasesByNacl.set(naclId, await leases.list(naclId));
      }
    }

    const counts = { removedEntries: 0, releasedLeases: 0, adoptedEntries: 0 };
    const foreignRules: string[] = [];
    /** NACL -> rule number -> banId of each entry confirmed to belong to an active ban. */
    const verified = new Map<string, Map<number, string>>();
    const nowSeconds = Math.floor(now / 1000);
    const young = (lease: SlotLease) =>
      nowSeconds - Math.floor(lease.leasedAt / 1000) < this.deps.graceSeconds;

    for (const naclId of naclIds) {
      const rules = rulesByNacl.get(naclId);
      if (rules === undefined) continue;
      const owned = new Map<number, string>();
      verified.set(naclId, owned);
      const leaseAt = new Map((leasesByNacl.get(naclId) ?? []).map((lease) => [lease.ruleNumber, lease]));
      for (const rule of rules) {
        if (rule.egress || !inRange(settings.reservedRuleRange, rule.ruleNumber)) continue;
        if (rule.action !== "deny") {
          foreignRules.push(`${naclId} rule ${rule.ruleNumber} (${rule.action} ${rule.cidr})`);
          continue;
        }
        const lease = leaseAt.get(rule.ruleNumber);
        leaseAt.delete(rule.ruleNumber);
        const record = lease && (await this.currentRecord(active, lease));
        const ban = record?.ban;
        // A detect-only ban owns no entry: one its lease names (written before its jail stopped enforcing) goes.
        if (
          lease &&
          ban &&
          isEnforced(ban) &&
          ban.banId === lease.banId &&
          sameDeny(rule, { ...lease, portRange: ban.portRange })
        ) {
          owned.set(rule.ruleNumber, ban.banId);
          if (ban.entries[naclId] !== rule.ruleNumber) {
            if (await bans.adoptEntry(lease.ip, lease.banId, naclId, rule.ruleNumber, now))
              counts.adoptedEntries++;
            const refreshed = await store.getRecord(lease.ip);
            if (refreshed?.ban) active.set(lease.ip, refreshed);
          }
          continue;
        }
        await enforcer.removeEntry(naclId, rule.ruleNumber);
        counts.removedEntries++;
        if (lease && (await leases.release(naclId, rule.ruleNumber, lease.banId))) counts.releasedLeases++;
      }
      // Leases whose number holds no entry.
      for (const lease of leaseAt.values()) {
        const record = await this.currentRecord(active, lease);
        const ban = record?.ban;
        // A young lease of an active ban that does not list it yet is a placement in flight: leave it. A lease
        // the ban lists lost its entry: free it, the ban is placed again below.
        if (
          ban?.banId === lease.banId &&
          isEnforced(ban) &&
          ban.entries[naclId] !== lease.ruleNumber &&
          young(lease)
        )
          continue;
        if (await leases.release(naclId, lease.ruleNumber, lease.banId)) counts.releasedLeases++;
      }
    }

    const reapplied: string[] = [];
    const pending: string[] = [];
    const ordered = [...active.values()].sort((a, b) => (a.ban?.bannedAt ?? 0) - (b.ban?.bannedAt ?? 0));
    for (const record of ordered) {
      const ban = record.ban;
      if (ban === undefined || !isEnforced(ban)) continue;
      const holds = (naclId: string) => {
        const ruleNumber = ban.entries[naclId];
        return ruleNumber !== undefined && verified.get(naclId)?.get(ruleNumber) === ban.banId;
      };
      // A ban recorded while no NACL was known goes into every managed NACL.
      const targets = ban.targets.length > 0 ? ban.targets : managedNacls;
      const lost = Object.keys(ban.entries).filter((naclId) => rulesByNacl.has(naclId) && !holds(naclId));
      const missing = targets.filter((naclId) => rulesByNacl.has(naclId) && !holds(naclId));
      if (missing.length === 0 && lost.length === 0) continue;
      // A pending ban waits while none of its NACLs has room: no writes every minute for nothing.
      if (lost.length === 0 && ban.state === "pending") {
        const room = await Promise.all(missing.map((naclId) => allocator.freeSlots(naclId, record.family)));
        if (room.every((free) => free === 0)) continue;
      }
      const retarget = ban.targets.length > 0 ? undefined : managedNacls;
      const claimed = await bans.claim(record, now, this.deps.graceSeconds, lost, retarget);
      if (claimed === undefined) continue;
      const enforced = await bans.enforce(claimed, allocator, now);
      if (enforced?.ban === undefined) continue;
      if (Object.keys(enforced.ban.pending).length > 0) pending.push(record.ip);
      if (missing.some((naclId) => enforced.ban?.entries[naclId] !== undefined)) reapplied.push(record.ip);
      active.set(record.ip, enforced);
    }
    for (const record of active.values()) {
      if (record.ban?.state === "pending" && !pending.includes(record.ip)) pending.push(record.ip);
    }

    const slotsFree = new Map<string, Record<IpFamily, number>>();
    for (const [naclId, rules] of await this.readRules([...naclIds])) {
      slotsFree.set(naclId, {
        ipv4: planSlots(rules, settings.reservedRuleRange, settings.quota, "ipv4").freeSlots,
        ipv6: planSlots(rules, settings.reservedRuleRange, settings.quota, "ipv6").freeSlots,
      });
    }
    return { ...counts, reapplied, pending, activeBans: active.size, slotsFree, foreignRules };
  }

  /** The record a lease names: from the index listing, else a strongly consistent read (the index lags). */
  private async currentRecord(
    active: Map<string, IpRecord>,
    lease: SlotLease,
  ): Promise<IpRecord | undefined> {
    const listed = active.get(lease.ip);
    if (listed?.ban?.banId === lease.banId) return listed;
    const record = await this.deps.store.getRecord(lease.ip);
    if (record?.ban !== undefined) active.set(record.ip, record);
    return record;
  }

  /** Ingress rules of NACLs; a NACL EC2 no longer knows is skipped rather than failing the whole pass. */
  private async readRules(naclIds: readonly string[]): Promise<Map<string, NaclRule[]>> {
    if (naclIds.length === 0) return new Map();
    try {
      return await this.deps.enforcer.readManyEntries(naclIds);
    } catch (error) {
      if ((error as Error).name !== "InvalidNetworkAclID.NotFound") throw error;
      const rules = new Map<string, NaclRule[]>();
      for (const naclId of naclIds) {
        try {
          rules.set(naclId, await this.deps.enforcer.readEntries(naclId));
        } catch (inner) {
          if ((inner as Error).name !== "InvalidNetworkAclID.NotFound") throw inner;
        }
      }
      return rules;
    }
  }
}
