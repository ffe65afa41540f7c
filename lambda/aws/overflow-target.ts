import { cidrText, parseCidr } from "../core/ip";

/**
 * An overflow target (issue 7): a set of blocked CIDRs outside the NACLs, for fleets that outgrow them. Both
 * adapters (WAFv2 IP set, Network Firewall rule-group IP set) change the whole set in one read-modify-write guarded
 * by the service's own token, so concurrent writers never lose each other's addresses.
 */
export interface OverflowTarget {
  /** Adds CIDRs (`/32`, `/128` or wider); those already present are kept once. */
  add(cidrs: readonly string[]): Promise<OverflowResult>;
  /** Removes CIDRs; absent ones are ignored. */
  remove(cidrs: readonly string[]): Promise<OverflowResult>;
  /** Adds and removes in one change (`remove` wins for a CIDR in both). */
  update(add: readonly string[], remove: readonly string[]): Promise<OverflowResult>;
  /** The CIDRs blocked now. */
  list(): Promise<readonly string[]>;
}

/**
 * What every target shares: CIDRs are made canonical (an address becomes `/32` or `/128`), and adding or removing
 * is an update with nothing on the other side. Subclasses apply one change of canonical CIDRs.
 */
export abstract class OverflowTargetBase implements OverflowTarget {
  add(cidrs: readonly string[]): Promise<OverflowResult> {
    return this.update(cidrs, []);
  }

  remove(cidrs: readonly string[]): Promise<OverflowResult> {
    return this.update([], cidrs);
  }

  update(add: readonly string[], remove: readonly string[]): Promise<OverflowResult> {
    return this.change(add.map(canonicalCidr), remove.map(canonicalCidr));
  }

  abstract list(): Promise<readonly string[]>;

  /** Applies additions and removals of canonical CIDRs in one change. */
  protected abstract change(add: readonly string[], remove: readonly string[]): Promise<OverflowResult>;
}

/** The canonical CIDR of an address or block (`203.0.113.9` -> `203.0.113.9/32`), as targets list them. */
export function canonicalCidr(cidr: string): string {
  return cidrText(parseCidr(cidr));
}

/** What a change did: `full` when the target's limit refused it (nothing was changed then). */
export type OverflowResult =
  | { readonly status: "updated" | "unchanged"; readonly size: number }
  | { readonly status: "full"; readonly size: number; readonly limit: number };

/** Applies additions and removals to a list of CIDRs, keeping order and uniqueness. */
export function changedSet(
  current: readonly string[],
  add: readonly string[],
  remove: readonly string[],
): string[] {
  const removing = new Set(remove);
  const next = current.filter((cidr) => !removing.has(cidr));
  const present = new Set(next);
  for (const cidr of add) {
    if (present.has(cidr) || removing.has(cidr)) continue;
    present.add(cidr);
    next.push(cidr);
  }
  return next;
}
