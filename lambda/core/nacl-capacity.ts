import { type IpFamily, ipFamily } from "./ip";
import { inRange, type NaclRule } from "./nacl-plan";
import type { NaclSettings } from "./types";

/**
 * How many entries of `family` cloudjail may hold in one NACL whose ingress entries are `rules`: the quota less
 * the user's own entries of that family, and no more than the reserved range has numbers left once cloudjail's
 * entries of the other family are counted (both families share the range's numbers, not the quota).
 */
export function ownedEntryCapacity(
  rules: readonly NaclRule[],
  family: IpFamily,
  nacl: Pick<NaclSettings, "reservedRuleRange" | "quota">,
): number {
  const range = nacl.reservedRuleRange;
  const ingress = rules.filter((rule) => !rule.egress);
  const foreign = ingress.filter(
    (rule) => !inRange(range, rule.ruleNumber) && familyOf(rule.cidr) === family,
  );
  const otherOwned = ingress.filter(
    (rule) => inRange(range, rule.ruleNumber) && familyOf(rule.cidr) !== family,
  );
  const numbers = range.last - range.first + 1;
  return Math.max(0, Math.min(nacl.quota - foreign.length, numbers - otherOwned.length));
}

function familyOf(cidr: string): IpFamily {
  return ipFamily(cidr.split("/")[0] ?? cidr);
}
