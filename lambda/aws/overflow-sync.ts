import { hasEnded } from "./ban-service";
import { canonicalCidr, type OverflowResult, type OverflowTarget } from "./overflow-target";
import { type IpRecord, isEnforced } from "./store-items";

/** What one sync changed. */
export interface OverflowReport {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** CIDRs that needed holding but did not fit (the target was `full`). */
  readonly refused: readonly string[];
  /** The target's answer; `full` when it could not take the additions (the removals were still made). */
  readonly result: OverflowResult;
}

/**
 * Keeps the stack's overflow target (WAFv2 IP sets or a Network Firewall IP set variable, issue 7) holding the bans
 * the NACLs do not: every active ban left `pending` (no room in a NACL, or evicted by aggregation) that no covering
 * entry holds. The unbanner syncs the whole set on every run; the responder and the consolidation add the bans they
 * leave pending at once, so that those are blocked without waiting for it.
 */
export class OverflowSync {
  constructor(private readonly target: OverflowTarget) {}

  /** Adds addresses or CIDRs now (the responder's pending and evicted bans); undefined when there are none. */
  async hold(addresses: readonly string[]): Promise<OverflowResult | undefined> {
    if (addresses.length === 0) return undefined;
    return this.target.add(addresses);
  }

  /** Makes the target hold exactly the bans among `records` (every active ban) that need it at `nowSeconds`. */
  async sync(records: Iterable<IpRecord>, nowSeconds: number): Promise<OverflowReport> {
    const wanted = new Set<string>();
    for (const record of records) if (needsOverflow(record, nowSeconds)) wanted.add(canonicalCidr(record.ip));
    const current = await this.target.list();
    const held = new Set(current);
    const added = [...wanted].filter((cidr) => !held.has(cidr));
    const removed = current.filter((cidr) => !wanted.has(cidr));
    if (added.length + removed.length === 0) {
      return { added, removed, refused: [], result: { status: "unchanged", size: current.length } };
    }
    const result = await this.target.update(added, removed);
    if (result.status !== "full") return { added, removed, refused: [], result };
    // Too many to hold: the lifted ones still leave, so that the target never blocks an address nobody banned.
    const after = removed.length > 0 ? await this.target.remove(removed) : result;
    return {
      added: [],
      removed,
      refused: added,
      result: { status: "full", size: after.size, limit: result.limit },
    };
  }
}

/** An active ban the NACLs do not hold: pending (no room, or evicted) and not inside a covering entry. */
export function needsOverflow(record: IpRecord, nowSeconds: number): boolean {
  const ban = record.ban;
  return (
    ban !== undefined &&
    isEnforced(ban) &&
    !hasEnded(ban, nowSeconds) &&
    ban.state === "pending" &&
    ban.coveredBy === undefined
  );
}
