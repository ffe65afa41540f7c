import { type IpFamily, parseCidr } from "../core/ip";
import { type OverflowResult, type OverflowTarget, OverflowTargetBase } from "./overflow-target";

/**
 * One overflow target per address family, as one target: WAFv2 IP sets hold a single address version each. CIDRs
 * of a family without a target cannot be held: a change carrying them reports `full` with limit 0 (the others are
 * still applied).
 */
export class FamilyOverflow extends OverflowTargetBase {
  constructor(private readonly targets: Readonly<Partial<Record<IpFamily, OverflowTarget>>>) {
    super();
  }

  protected async change(add: readonly string[], remove: readonly string[]): Promise<OverflowResult> {
    const results: OverflowResult[] = [];
    for (const family of ["ipv4", "ipv6"] as const) {
      const adding = add.filter((cidr) => familyOf(cidr) === family);
      const removing = remove.filter((cidr) => familyOf(cidr) === family);
      if (adding.length + removing.length === 0) continue;
      const target = this.targets[family];
      if (target === undefined) {
        if (adding.length > 0) results.push({ status: "full", size: 0, limit: 0 });
        continue;
      }
      results.push(await target.update(adding, removing));
    }
    const size = results.reduce((sum, result) => sum + result.size, 0);
    const full = results.find((result) => result.status === "full");
    if (full !== undefined) return { status: "full", size, limit: full.limit };
    return { status: results.some((result) => result.status === "updated") ? "updated" : "unchanged", size };
  }

  async list(): Promise<readonly string[]> {
    const lists = await Promise.all(Object.values(this.targets).map((target) => target.list()));
    return lists.flat();
  }
}

function familyOf(cidr: string): IpFamily {
  return parseCidr(cidr).family;
}
