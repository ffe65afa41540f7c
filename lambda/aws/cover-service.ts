import { type IpFamily, ipFamily, parseCidr } from "../core/ip";
import {
  type AggregationPlan,
  type BannedAddress,
  type PlannedEntry,
  planAggregation,
} from "../core/nacl-aggregate";
import { ownedEntryCapacity } from "../core/nacl-capacity";
import type { NaclRule } from "../core/nacl-plan";
import type { CloudjailConfig } from "../core/types";
import { type BanService, hasEnded } from "./ban-service";
import { asCovered, asPending, coverRecord, withEnd } from "./cover-records";
import { ProposedBans } from "./proposed-bans";
import type { SlotAllocator } from "./slot-allocator";
import type { CloudjailStore } from "./store";
import { type ActiveBan, allCoveredShards, type IpRecord, isEnforced } from "./store-items";

/** What one consolidation did. */
export interface CoverReport {
  /** Covering entries written (CIDRs). */
  readonly created: readonly string[];
  /** Covering entries removed because a wider one replaced them, or evicted. */
  readonly removed: readonly string[];
  /** Bans now held by a covering entry instead of an entry of their own. */
  readonly covered: number;
  /** Bans (addresses or covers) left without an entry for want of room: soonest-ending first. */
  readonly evicted: readonly string[];
  /** Covered bans whose end passed, lifted. */
  readonly lifted: readonly IpRecord[];
  /** Plans per family, for logs and tests. */
  readonly plans: ReadonlyMap<IpFamily, AggregationPlan>;
  /** Proposed bans recorded, by address, as written. */
  readonly recorded: ReadonlyMap<string, IpRecord>;
  /** Proposed bans whose address another writer banned first. */
  readonly lost: ReadonlySet<string>;
}

/** What one family's plan is applied with. */
interface Pass {
  readonly records: Map<string, IpRecord>;
  readonly naclIds: readonly string[];
  readonly allocator: SlotAllocator;
  readonly now: number;
  readonly report: { created: string[]; removed: string[]; covered: number; evicted: string[] };
  readonly claims: ReadonlySet<string>;
  readonly proposals: ProposedBans;
}

const EVICTED = "evicted: the NACL is full and this ban ends soonest";

/** What the cover service needs of the runtime. */
export interface CoverDeps {
  readonly config: CloudjailConfig;
  readonly store: CloudjailStore;
  readonly bans: BanService;
  readonly enforcer: { readManyEntries(naclIds: readonly string[]): Promise<Map<string, NaclRule[]>> };
  readonly managedNacls: () => Promise<readonly string[]>;
  /** CIDR blocks of the protected VPCs, found in EC2 (NaclResolver.vpcCidrs): no cover may overlap them. */
  readonly vpcCidrs: () => Promise<readonly string[]>;
  readonly newAllocator: () => SlotAllocator;
  readonly claimGraceSeconds: number;
  /**
   * Ranges no cover may span besides the configured ones: the runtime allowlist and the ranges `unban` left
   * reachable (lambda/aws/allowlist.ts), in force at the consolidation's time (epoch seconds). @default none
   */
  readonly reachable?: (nowSeconds: number) => Promise<readonly string[]>;
  /**
   * Keep a block the plan evicts whole, as a pending cover, instead of leaving its addresses pending one by one: an
   * overflow target then holds one CIDR for the block, which also stops its addresses not banned yet. Set when the
   * stack has an overflow target. @default false
   */
  readonly coverEvicted?: boolean;
}

/**
 * Applies aggregation plans (lambda/core/nacl-aggregate.ts) to the NACLs and the table. A covering entry is an
 * ordinary ban record keyed by its CIDR (jail `cover`, end = its last member's end), so leases, the unbanner's
 * expiry and the reconciler treat it like any ban. Its members keep their own records and ends, marked
 * `coveredBy` and moved to the `COVERED#n` index partitions, where this service lifts them when they end.
 * Order: evicted entries go first, then each new cover is placed (freeing its members' host entries when there is
 * no room), then members are marked covered, then replaced covers are lifted, then host entries still missing are
 * placed. Every step is a compare-and-swap on the records or a lease-checked NACL change, so a crash midway leaves
 * state that the next consolidation or the reconciler completes.
 */
export class CoverService {
  constructor(private readonly deps: CoverDeps) {}

  /**
   * Plans every family over the active bans and applies the plans; `liftEnded` also lifts covered bans that ended.
   * `ownClaims`: addresses whose bans the caller recorded and still holds in state `enforcing` (the responder's
   * batch): they are placed here, read strongly consistently when the index does not list them yet.
   * `proposals`: bans the caller decided but left to this service to record, each in one write; every one is
   * recorded by the time this returns, or found lost to another writer.
   */
  async consolidate(
    now: number,
    liftEnded: boolean,
    ownClaims: readonly string[] = [],
    proposals: ProposedBans = new ProposedBans(this.deps.bans, this.deps.store, [], now),
  ): Promise<CoverReport> {
    const { config } = this.deps;
    const aggregation = config.nacl.aggregation;
    const report = {
      created: [] as string[],
      removed: [] as string[],
      covered: 0,
      evicted: [] as string[],
      lifted: [] as IpRecord[],
      plans: new Map<IpFamily, AggregationPlan>(),
      recorded: proposals.recorded,
      lost: proposals.lost,
    };
    if (aggregation === undefined) return report;
    const allocator = this.deps.newAllocator();
    await this.planAndApply(now, liftEnded, ownClaims, proposals, allocator, report);
    // Proposals no plan placed (no NACL known, or their cover did not hold): an entry of their own, if room.
    await this.recordAndEnforce(proposals.waiting(), proposals, allocator, now);
    await proposals.flush();
    return report;
  }

  private async planAndApply(
    now: number,
    liftEnded: boolean,
    ownClaims: readonly string[],
    proposals: ProposedBans,
    allocator: SlotAllocator,
    report: Pass["report"] & { lifted: IpRecord[]; plans: Map<IpFamily, AggregationPlan> },
  ): Promise<void> {
    const { config, store, bans } = this.deps;
    const aggregation = config.nacl.aggregation;
    if (aggregation === undefined) return;
    const nowSeconds = Math.floor(now / 1000);
    if (liftEnded) {
      for await (const record of store.bansInShards(allCoveredShards(), nowSeconds)) {
        if (record.ban === undefined) continue;
        const lifted = await bans.lift(record.ip, record.ban.banId, now, nowSeconds);
        if (lifted !== undefined) report.lifted.push(record);
      }
    }
    const records = new Map<string, IpRecord>();
    // Detect-only bans are never planned: no cover holds them, no entry makes room for them (issue 15 §1).
    const planned = (record: IpRecord | undefined): record is IpRecord =>
      record?.ban !== undefined && isEnforced(record) && !hasEnded(record.ban, nowSeconds);
    for await (const record of store.activeBans()) {
      if (planned(record)) records.set(record.ip, record);
    }
    for (const ip of ownClaims) {
      if (records.has(ip)) continue;
      const record = await store.getRecord(ip);
      if (planned(record)) records.set(ip, record);
    }
    for (const record of proposals.records()) records.set(record.ip, record);
    const claims = new Set(ownClaims);
    const naclIds = [
      ...new Set([
        ...(await this.deps.managedNacls()),
        ...[...records.values()].flatMap((record) => record.ban?.targets ?? []),
      ]),
    ].sort();
    if (naclIds.length === 0) return;
    const rules = await this.deps.enforcer.readManyEntries(naclIds);
    // The VPCs' own blocks are found, not only configured: a forgotten protectedCidrs must not let a cover deny a
    // VPC its own traffic. A failed look-up throws: planning with fewer protections is never the answer (the
    // caller falls back to an entry per ban).
    const protectedBlocks = [
      ...(config.nacl.protectedCidrs ?? []),
      ...config.jails.flatMap((jail) => jail.ignoreip).filter(isCidr),
      ...(await this.deps.vpcCidrs()),
      ...((await this.deps.reachable?.(nowSeconds)) ?? []),
    ];
    for (const family of ["ipv4", "ipv6"] as const) {
      const ofFamily = [...records.values()].filter((record) => record.family === family);
      if (ofFamily.length === 0) continue;
      const plan = planAggregation(
        ofFamily.map(
          (record) => ({ ip: record.ip, endsAt: record.ban?.endsAt ?? null }) satisfies BannedAddress,
        ),
        {
          family,
          capacity: Math.min(
            ...[...rules.values()].map((list) => ownedEntryCapacity(list, family, config.nacl)),
          ),
          prefix: family === "ipv4" ? aggregation.ipv4Prefix : aggregation.ipv6Prefix,
          widestPrefix: family === "ipv4" ? aggregation.ipv4WidestPrefix : aggregation.ipv6WidestPrefix,
          threshold: aggregation.threshold,
          protectedBlocks,
        },
      );
      report.plans.set(family, plan);
      await this.apply(plan, { records, naclIds, allocator, now, report, claims, proposals });
    }
  }

  private async apply(plan: AggregationPlan, pass: Pass): Promise<void> {
    const { bans, store } = this.deps;
    const { records, naclIds, allocator, now, report, claims, proposals } = pass;
    // 1. Evicted: their entries make room first. An evicted cover goes pending as one record, like a host ban (its
    // members are not planned one by one: they stay covered by it, no write each); the reconciler places it again
    // when room frees, and an overflow target holds its one CIDR meanwhile. With an overflow target, a block evicted
    // before it had an entry becomes such a pending cover too.
    const heldWhole = this.deps.coverEvicted
      ? plan.evictedEntries.filter(
          (entry) =>
            entry.cover && !records.has(entry.cidr) && entry.members.every((member) => !member.includes("/")),
        )
      : [];
    for (const entry of heldWhole) await this.coverPending(entry, pass);
    const inHeldBlock = new Set(heldWhole.flatMap((entry) => entry.members));
    for (const ban of plan.evicted) {
      const record = records.get(ban.ip);
      if (record?.ban === undefined || inHeldBlock.has(ban.ip)) continue;
      report.evicted.push(ban.ip);
      if (proposals.unwritten(ban.ip)) {
        await proposals.record(ban.ip, (proposal) => asPending(proposal, EVICTED, now));
      } else {
        await this.dropEntries(record, EVICTED, now, allocator);
      }
    }
    // 2. Covers to place: new ones, and kept ones still without their entries (an earlier pass found no room). While
    // a target NACL has no room, entries the plan replaces make it: first those this cover replaces (its members'
    // host entries and the narrower covers it merges), then others (the cover that replaces them comes later in
    // this pass, and the plan fits the quota).
    const covers = plan.entries.filter((entry) => entry.cover);
    const kept = new Set(plan.entries.map((entry) => entry.cidr));
    const placed = new Map<string, IpRecord>();
    const replaceable = covers
      .flatMap((entry) => entry.members.flatMap((ip) => records.get(ip) ?? []))
      .filter((record) => !kept.has(record.ip) && hasEntries(record));
    for (const entry of covers) {
      const existing = records.get(entry.cidr);
      const extended =
        existing?.ban === undefined ? undefined : await this.extend(existing, entry.endsAt, now);
      if (extended?.ban !== undefined && extended.ban.state !== "pending") {
        placed.set(entry.cidr, extended);
        continue;
      }
      const memberRecords = entry.members.flatMap((ip) => records.get(ip) ?? []);
      const memberTargets = [...new Set(memberRecords.flatMap((record) => record.ban?.targets ?? []))].sort();
      const targets = extended?.ban?.targets ?? (memberTargets.length > 0 ? memberTargets : naclIds);
      await this.makeRoom(entry, targets, replaceable, allocator, now);
      if (extended !== undefined) {
        placed.set(entry.cidr, await this.replace(extended, now, allocator));
        continue;
      }
      const cover = await store.modifyRecord(entry.cidr, (current) =>
        current?.ban !== undefined && !hasEnded(current.ban, Math.floor(now / 1000))
          ? undefined
          : coverRecord(current, entry.cidr, entry.endsAt, entry.members, targets, now),
      );
      if (cover?.ban === undefined) continue;
      placed.set(entry.cidr, (await bans.enforce(cover, allocator, now)) ?? cover);
      report.created.push(entry.cidr);
    }
    // 3. Members: marked covered (their host entries removed); replaced covers lifted.
    for (const entry of covers) {
      const cover = placed.get(entry.cidr);
      // Members leave their own entries only once the cover holds every NACL they are banned in.
      const held = cover?.ban?.targets.every((naclId) => cover.ban?.entries[naclId] !== undefined);
      if (cover?.ban === undefined || !held) continue;
      for (const ip of entry.members) {
        const record = records.get(ip);
        if (record?.ban === undefined || ip === entry.cidr) continue;
        if (isCover(record)) {
          await bans.lift(record.ip, record.ban.banId, now);
          report.removed.push(record.ip);
        } else if (await this.hide(record, entry.cidr, pass)) {
          report.covered++;
        }
      }
    }
    // 4. Host entries the plan keeps but that lack an entry (pending, or freed above while a cover failed).
    const hosts = plan.entries
      .filter((planned) => !planned.cover)
      .map((entry) => entry.cidr.split("/")[0] ?? entry.cidr);
    await this.recordAndEnforce(
      hosts.filter((ip) => proposals.unwritten(ip)),
      proposals,
      allocator,
      now,
    );
    for (const ip of hosts) {
      if (proposals.recorded.has(ip) || proposals.lost.has(ip)) continue;
      const record = await store.getRecord(ip);
      const ban = record?.ban;
      if (record === undefined || ban === undefined || ban.coveredBy !== undefined) continue;
      if (ban.targets.every((naclId) => ban.entries[naclId] !== undefined) && ban.targets.length > 0)
        continue;
      const own = claims.has(record.ip) && ban.state === "enforcing";
      const claimed = own ? record : await bans.claim(record, now, this.deps.claimGraceSeconds);
      if (claimed !== undefined) await bans.enforce(claimed, allocator, now);
    }
  }

  /**
   * Frees entries from `replaceable` (the plan replaces them) while a NACL of `targets` has no room for `entry`: its
   * own members first.
   */
  private async makeRoom(
    entry: PlannedEntry,
    targets: readonly string[],
    replaceable: IpRecord[],
    allocator: SlotAllocator,
    now: number,
  ): Promise<void> {
    const family = ipFamily(entry.cidr.split("/")[0] ?? "");
    const own = new Set(entry.members);
    const victims = [
      ...replaceable.filter((record) => own.has(record.ip)),
      ...replaceable.filter((record) => !own.has(record.ip)),
    ];
    for (const naclId of targets) {
      while ((await allocator.freeSlots(naclId, family)) === 0 && victims.length > 0) {
        const victim = victims.shift() as IpRecord;
        replaceable.splice(replaceable.indexOf(victim), 1);
        await this.dropEntries(victim, `being replaced by the covering entry ${entry.cidr}`, now, allocator);
      }
    }
  }

  /** Records proposals that get entries of their own (one flush for all), then writes their entries. */
  private async recordAndEnforce(
    ips: readonly string[],
    proposals: ProposedBans,
    allocator: SlotAllocator,
    now: number,
  ): Promise<void> {
    if (ips.length === 0) return;
    for (const ip of ips) await proposals.record(ip);
    await proposals.flush();
    for (const ip of ips) {
      const recorded = proposals.recorded.get(ip);
      if (recorded !== undefined) await this.deps.bans.enforce(recorded, allocator, now);
    }
  }

  /** Removes a ban's entries and records it pending with `reason` (the reconciler retries when room frees). */
  private async dropEntries(record: IpRecord, reason: string, now: number, allocator: SlotAllocator) {
    const ban = record.ban as ActiveBan;
    const unchanged =
      Object.keys(ban.entries).length === 0 &&
      ban.state === "pending" &&
      ban.targets.every((naclId) => ban.pending[naclId] === reason);
    if (unchanged) return;
    for (const [naclId, ruleNumber] of Object.entries(ban.entries)) {
      await this.deps.bans.removeOwnedEntry(naclId, ruleNumber, ban.banId);
      allocator.forget(naclId);
    }
    await this.deps.store.modifyRecord(record.ip, (current) =>
      current?.ban?.banId !== ban.banId ? undefined : asPending(current, reason, now),
    );
  }

  /** Marks a ban as held by `cidr`: its own entries go, it moves to a `COVERED#n` partition. */
  private async hide(record: IpRecord, cidr: string, pass: Pass): Promise<boolean> {
    const { now, allocator, proposals } = pass;
    if (proposals.unwritten(record.ip)) {
      return (await proposals.record(record.ip, (proposal) => asCovered(proposal, cidr, now))) !== undefined;
    }
    const ban = record.ban as ActiveBan;
    for (const [naclId, ruleNumber] of Object.entries(ban.entries)) {
      await this.deps.bans.removeOwnedEntry(naclId, ruleNumber, ban.banId);
      allocator.forget(naclId);
    }
    let hidden = false;
    await this.deps.store.modifyRecord(
      record.ip,
      (current) => {
        hidden = false;
        if (current?.ban?.banId !== ban.banId) return undefined;
        hidden = true;
        return asCovered(current, cidr, now);
      },
      record,
    );
    return hidden;
  }

  /**
   * Writes a block the plan evicts as a cover that is pending from the start (no NACL entry: the overflow target holds
   * its CIDR) and marks its members covered by it, so that the block stays one record and one CIDR.
   */
  private async coverPending(entry: PlannedEntry, pass: Pass): Promise<void> {
    const { records, naclIds, now, report } = pass;
    const members = entry.members.flatMap((ip) => records.get(ip) ?? []);
    const memberTargets = [...new Set(members.flatMap((record) => record.ban?.targets ?? []))].sort();
    const targets = memberTargets.length > 0 ? memberTargets : naclIds;
    const cover = await this.deps.store.modifyRecord(entry.cidr, (current) =>
      current?.ban !== undefined && !hasEnded(current.ban, Math.floor(now / 1000))
        ? undefined
        : asPending(
            coverRecord(current, entry.cidr, entry.endsAt, entry.members, targets, now),
            EVICTED,
            now,
          ),
    );
    if (cover?.ban?.state !== "pending") return;
    report.evicted.push(entry.cidr);
    for (const record of members) if (await this.hide(record, entry.cidr, pass)) report.covered++;
  }

  /** Places again a cover the plan keeps but that an earlier eviction left pending (entries missing). */
  private async replace(cover: IpRecord, now: number, allocator: SlotAllocator): Promise<IpRecord> {
    const ban = cover.ban;
    if (ban === undefined || ban.state !== "pending") return cover;
    const claimed = await this.deps.bans.claim(cover, now, this.deps.claimGraceSeconds);
    if (claimed === undefined) return cover;
    return (await this.deps.bans.enforce(claimed, allocator, now)) ?? claimed;
  }

  /** A cover lives until its last member's end: moves its end later (never earlier) when new members join. */
  private async extend(cover: IpRecord, endsAt: number | null, now: number): Promise<IpRecord> {
    const current = cover.ban as ActiveBan;
    if (current.endsAt === null || (endsAt !== null && endsAt <= current.endsAt)) return cover;
    const written = await this.deps.store.modifyRecord(cover.ip, (latest) => {
      if (latest?.ban?.banId !== current.banId) return undefined;
      return withEnd(latest, endsAt, now);
    });
    return written ?? cover;
  }
}

function isCover(record: IpRecord): boolean {
  return record.ip.includes("/");
}

function hasEntries(record: IpRecord): boolean {
  return Object.keys(record.ban?.entries ?? {}).length > 0;
}

function isCidr(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}
