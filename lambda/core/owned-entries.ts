import { cidrText, parseCidr } from "./ip";
import { inRange, type NaclRule, type RuleRange } from "./nacl-plan";

/** A rule number cloudjail holds a slot lease on in one NACL, and the CIDR it leased the number for. */
export interface LeasedRule {
  readonly ruleNumber: number;
  readonly cidr: string;
}

/**
 * The entries of one NACL that are cloudjail's, so that an uninstall may delete them: an ingress DENY inside the
 * reserved range, at a number cloudjail holds a lease on, for the very CIDR of that lease. A writer leases a number
 * before it writes the entry (lambda/aws/slot-leases.ts), so every entry cloudjail wrote has its lease. Anything else
 * is someone else's and stays: every rule outside the range, an ALLOW, an egress rule, and a deny inside the range
 * with no lease or with another CIDR than its lease names (a user's rule, or drift only the unbanner may judge).
 */
export function ownedEntries(
  rules: readonly NaclRule[],
  leases: readonly LeasedRule[],
  range: RuleRange,
): NaclRule[] {
  const leasedCidr = new Map(leases.map((lease) => [lease.ruleNumber, canonical(lease.cidr)]));
  return rules.filter((rule) => {
    if (rule.egress || rule.action !== "deny" || !inRange(range, rule.ruleNumber)) return false;
    const cidr = leasedCidr.get(rule.ruleNumber);
    return cidr !== undefined && cidr === canonical(rule.cidr);
  });
}

/** The canonical text of a CIDR, or undefined when it is none (such an entry is never taken for cloudjail's). */
function canonical(text: string): string | undefined {
  try {
    return cidrText(parseCidr(text));
  } catch {
    return undefined;
  }
}
