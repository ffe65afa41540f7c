import { IpSet } from "./ip";

/** A range the runtime allowlist exempts from bans: for one jail, or for all (`jail` absent). */
export interface AllowRange {
  readonly cidr: string;
  readonly jail?: string;
}

/**
 * Answers "does the runtime allowlist exempt this address in this jail?" (issue 15 §2), as a jail's `ignoreip` does
 * for the configured list. Built once per allowlist read; pure.
 */
export class AllowMatcher {
  private readonly everyJail: IpSet;
  private readonly byJail = new Map<string, IpSet>();

  constructor(ranges: readonly AllowRange[]) {
    this.everyJail = new IpSet(ranges.filter((range) => range.jail === undefined).map((range) => range.cidr));
    const jails = new Set(ranges.flatMap((range) => (range.jail === undefined ? [] : [range.jail])));
    for (const jail of jails) {
      this.byJail.set(
        jail,
        new IpSet(ranges.filter((range) => range.jail === jail).map((range) => range.cidr)),
      );
    }
  }

  /** True when `ip` (canonical) is exempt in `jail`. */
  allows(jail: string, ip: string): boolean {
    return this.everyJail.has(ip) || (this.byJail.get(jail)?.has(ip) ?? false);
  }

  /** True when `ip` is exempt in any jail (a cover or overflow entry blocks every jail). */
  allowsAnywhere(ip: string): boolean {
    if (this.everyJail.has(ip)) return true;
    for (const set of this.byJail.values()) if (set.has(ip)) return true;
    return false;
  }
}
