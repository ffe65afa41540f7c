import { splitCover } from "../core/cover-split";
import { cidrContains, cidrsOverlap, cidrText, parseCidr } from "../core/ip";
import { type AllowEntry, type Allowlist, allowEntry } from "./allowlist";
import type { BanService, LiftResult } from "./ban-service";
import { asCovered, coverRecord, withoutCover } from "./cover-records";
import type { SlotAllocator } from "./slot-allocator";
import type { CloudjailStore } from "./store";
import { allCoveredShards, type IpRecord } from "./store-items";

/** What became of one covering entry that overlapped the range. */
export interface CoverChange {
  /** The cover's CIDR. */
  readonly cover: string;
  /** The ranges cut out of it (the range unbanned, or the lifted addresses with `--jail`). */
  readonly cut: readonly string[];
  /** Entries now holding its other members (narrower covers and host entries); empty when nothing is left. */
  readonly replacedBy: readonly string[];
  /** Members left without an entry for want of room: pending, placed by the unbanner when a slot frees. */
  readonly pending: readonly string[];
  /** Members whose bans were lifted with it (inside the range). */
  readonly lifted: readonly string[];
}

/** What one range unban did. */
export interface RangeUnbanReport {
  /** Bans lifted (host bans and covered members), with the entries removed. */
  readonly lifted: readonly LiftResult[];
  readonly covers: readonly CoverChange[];
  /** Bans inside the range held by another jail than the one asked for: left as they are. */
  readonly otherJails: readonly { readonly ip: string; readonly jail: string }[];
  /** Entries that keep covers off the range from now on (aggregation on). */
  readonly uncovered: readonly AllowEntry[];
}

/** What the range unban needs of the runtime. */
export interface RangeUnbanDeps {
  readonly store: CloudjailStore;
  readonly bans: BanService;
  readonly allowlist: Allowlist;
  readonly newAllocator: () => SlotAllocator;
  /** Aggregation is on: covers exist, and an unbanned range is kept out of later covers. */
  readonly aggregation: boolean;
}

/**
 * Lifts every ban inside an address or CIDR (issue 15 §3) and leaves the range reachable: host bans are lifted; a
 * covering entry inside the range goes with its members; a cover the range only cuts into is split around it
 * (lambda/core/cover-split.ts): its entry removed, narrower covers and host entries written for its other members
 * within the free slots, the members that do not fit left pending (never the range blocked for them). With
 * aggregation on, an `uncovered` allowlist entry then keeps later consolidations from covering the range again
 * until the bans around it end. Every step goes through the ban path (records first, lease-checked entries).
 */
export class RangeUnban {
  constructor(private readonly deps: RangeUnbanDeps) {}

  /** Lifts the bans inside `range` (address or CIDR) at `now` (epoch ms); with `jail`, only that jail's. */
  async unban(range: string, now: number, jail?: string): Promise<RangeUnbanReport> {
    const { store, bans } = this.deps;
    const target = parseCidr(range);
    const active: IpRecord[] = [];
    for await (const record of store.activeBans()) if (record.ban !== undefined) active.push(record);
    const covered: IpRecord[] = [];
    for await (const record of store.bansInShards(allCoveredShards())) {
      if (record.ban !== undefined) covered.push(record);
    }
    const hosts = [...active, ...covered].filter(
      (record) => !record.ip.includes("/") && cidrContains(target, record.ip),
    );
    const otherJails = hosts
      .filter((record) => jail !== undefined && record.ban?.jail !== jail)
      .map((record) => ({ ip: record.ip, jail: record.ban?.jail ?? "" }));
    const mine = hosts.filter((record) => jail === undefined || record.ban?.jail === jail);
    const cut = jail === undefined ? [cidrText(target)] : mine.map((record) => record.cidr);
    const lifted: LiftResult[] = [];
    const changes: CoverChange[] = [];
    const allocator = this.deps.newAllocator();
    const covers = active.filter(
      (record) => record.ip.includes("/") && cidrsOverlap(parseCidr(record.ip), target),
    );
    for (const cover of covers) {
      const members = covered.filter((record) => record.ban?.coveredBy === cover.ip);
      const inside = cut.some((each) => cidrsOverlap(parseCidr(each), parseCidr(cover.ip)));
      if (!inside) continue;
      changes.push(await this.split(cover, members, cut, allocator, now, lifted));
    }
    const done = new Set(lifted.map((each) => each.ip));
    for (const record of mine) {
      if (done.has(record.ip) || record.ban === undefined) continue;
      const result = await bans.lift(record.ip, record.ban.banId, now);
      if (result !== undefined) lifted.push(result);
    }
    const uncovered = this.deps.aggregation ? await this.keepUncovered(cut, [...covers, ...mine], now) : [];
    return { lifted, covers: changes, otherJails, uncovered };
  }

  /** Splits `cover` around `cut`, lifting the members inside it (pushed to `lifted`). */
  private async split(
    cover: IpRecord,
    members: readonly IpRecord[],
    cut: readonly string[],
    allocator: SlotAllocator,
    now: number,
    lifted: LiftResult[],
  ): Promise<CoverChange> {
    const { store, bans } = this.deps;
    const ban = cover.ban;
    if (ban === undefined) return { cover: cover.ip, cut, replacedBy: [], pending: [], lifted: [] };
    const slots = await Promise.all(
      ban.targets.map(
        async (naclId) =>
          (await allocator.freeSlots(naclId, cover.family)) + (ban.entries[naclId] === undefined ? 0 : 1),
      ),
    );
    const capacity = slots.length === 0 ? 0 : Math.min(...slots);
    const plan = splitCover(
      cover.ip,
      members.map((record) => ({ ip: record.ip, endsAt: record.ban?.endsAt ?? null })),
      cut,
      capacity,
    );
    // The cover's entry goes first: its slot is the room the pieces are written into.
    await bans.lift(cover.ip, ban.banId, now);
    for (const naclId of ban.targets) allocator.forget(naclId);
    const byIp = new Map(members.map((record) => [record.ip, record]));
    for (const member of plan.lifted) {
      const record = byIp.get(member.ip);
      if (record?.ban === undefined) continue;
      const result = await bans.lift(record.ip, record.ban.banId, now);
      if (result !== undefined) lifted.push(result);
    }
    const pending = [...plan.pending.map((member) => member.ip)];
    const replacedBy: string[] = [];
    const reason = `waits for a slot: the covering entry ${cover.ip} was split around ${cut.join(", ")}`;
    for (const entry of plan.entries) {
      const records = entry.members.flatMap((ip) => byIp.get(ip) ?? []);
      if (entry.cover) {
        let wrote = false;
        const written = await store.modifyRecord(entry.cidr, (current) => {
          wrote = current?.ban === undefined;
          return wrote
            ? coverRecord(current, entry.cidr, entry.endsAt, entry.members, ban.targets, now)
            : undefined;
        });
        const placed =
          wrote && written !== undefined ? await bans.enforce(written, allocator, now) : undefined;
        const held =
          placed?.ban !== undefined &&
          placed.ban.targets.length > 0 &&
          placed.ban.targets.every((naclId) => placed.ban?.entries[naclId] !== undefined);
        if (held) {
          replacedBy.push(entry.cidr);
          for (const record of records) await this.moveTo(record, entry.cidr, now);
          continue;
        }
      } else {
        const record = records[0];
        if (record === undefined) continue;
        const claimed = await this.uncover(record, now);
        const placed = claimed === undefined ? undefined : await bans.enforce(claimed, allocator, now);
        if (placed?.ban?.state === "enforced") {
          replacedBy.push(entry.cidr);
          continue;
        }
      }
      pending.push(...entry.members);
    }
    for (const ip of pending) {
      const record = byIp.get(ip);
      if (record !== undefined) await this.uncover(record, now, reason);
    }
    return {
      cover: cover.ip,
      cut,
      replacedBy,
      pending: pending.sort(),
      lifted: plan.lifted.map((member) => member.ip),
    };
  }

  /** A member out of its cover, `enforcing` (to be placed now) or pending for `reason`. */
  private uncover(record: IpRecord, now: number, reason?: string): Promise<IpRecord | undefined> {
    const banId = record.ban?.banId;
    return this.deps.store.modifyRecord(record.ip, (current) =>
      current?.ban?.banId !== banId || current === undefined ? undefined : withoutCover(current, now, reason),
    );
  }

  /** A member now held by the narrower cover `cidr`. */
  private async moveTo(record: IpRecord, cidr: string, now: number): Promise<void> {
    const banId = record.ban?.banId;
    await this.deps.store.modifyRecord(record.ip, (current) =>
      current?.ban?.banId !== banId || current === undefined ? undefined : asCovered(current, cidr, now),
    );
  }

  /** `uncovered` entries for the cut ranges, lasting as long as the latest ban that was around them. */
  private async keepUncovered(
    cut: readonly string[],
    around: readonly IpRecord[],
    now: number,
  ): Promise<AllowEntry[]> {
    const ends = around.map((record) => record.ban?.endsAt ?? null);
    if (ends.length === 0) return [];
    const until = ends.includes(null) ? null : Math.max(...(ends as number[]));
    const entries: AllowEntry[] = [];
    for (const range of cut) {
      entries.push(
        await this.deps.allowlist.put(
          allowEntry("uncovered", range, { until, reason: `unbanned ${range} (cloudjail unban)` }, now),
        ),
      );
    }
    return entries;
  }
}
