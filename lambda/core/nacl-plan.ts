import { cidrText, type IpFamily, ipFamily, parseCidr } from "./ip";
import type { NaclSettings, PortRange } from "./types";

/**
 * Pure planning over network ACL entries: is the reserved rule range safe, which rule numbers are free, which owned
 * entries are stale or missing. No SDK types: the enforcer (`lambda/aws/nacl-enforcer.ts`) translates.
 */

/** The inclusive rule-number range cloudjail owns in every managed NACL. */
export type RuleRange = NaclSettings["reservedRuleRange"];

/** The lowest and highest rule numbers EC2 accepts. */
export const RULE_NUMBER_LIMITS = { first: 1, last: 32766 } as const;

/** One NACL entry as cloudjail reasons about it. */
export interface NaclRule {
  readonly ruleNumber: number;
  readonly egress: boolean;
  readonly action: "allow" | "deny";
  /** CIDR text as EC2 returns it, IPv4 or IPv6. */
  readonly cidr: string;
  /** `-1` (all traffic) or an IP protocol number such as `6` (TCP). */
  readonly protocol: string;
  /** Present for TCP and UDP entries. */
  readonly portRange?: PortRange;
}

/** An entry cloudjail wants in a NACL: an ingress DENY, all traffic unless `portRange` narrows it to TCP. */
export interface DesiredDeny {
  readonly ruleNumber: number;
  readonly cidr: string;
  /** TCP ports; undefined means all traffic (protocol -1). */
  readonly portRange?: PortRange;
}

/** The reserved range is unusable in a NACL: a rule cloudjail does not own lies inside or below it. */
export class ReservedRangeConflictError extends Error {
  override readonly name = "ReservedRangeConflictError";
}

/** True when `ruleNumber` lies in `range`. */
export function inRange(range: RuleRange, ruleNumber: number): boolean {
  return ruleNumber >= range.first && ruleNumber <= range.last;
}

/** Throws when a range is not a valid inclusive range of EC2 rule numbers. */
export function checkRuleRange(range: RuleRange): void {
  const valid =
    Number.isInteger(range.first) &&
    Number.isInteger(range.last) &&
    range.first >= RULE_NUMBER_LIMITS.first &&
    range.last <= RULE_NUMBER_LIMITS.last &&
    range.first <= range.last;
  if (!valid) {
    throw new ReservedRangeConflictError(
      `reserved rule range ${range.first}-${range.last} is not a range of rule numbers within 1-32766`,
    );
  }
}

/**
 * Checks that `range` lies below every ingress rule of `naclId` that cloudjail does not own, so that its denies are
 * evaluated first and removing them never changes a user's rule. An ingress rule numbered below the range, or an
 * ALLOW inside it (cloudjail only writes DENY entries), is a conflict. Egress rules are another number space.
 */
export function checkReservedRange(naclId: string, rules: readonly NaclRule[], range: RuleRange): void {
  checkRuleRange(range);
  for (const rule of rules) {
    if (rule.egress) continue;
    const below = rule.ruleNumber < range.first;
    const foreignInside = inRange(range, rule.ruleNumber) && rule.action !== "deny";
    if (below || foreignInside) {
      throw new ReservedRangeConflictError(
        `${naclId}: inbound rule ${rule.ruleNumber} (${rule.action} ${rule.cidr}) lies ${below ? "below" : "inside"} ` +
          `the reserved range ${range.first}-${range.last}; choose a range below every rule cloudjail does not own`,
      );
    }
  }
}

/** Room left for cloudjail's entries of one address family in one NACL. */
export interface SlotReport {
  /** Unused ingress rule numbers in the range, lowest first (any family may take them). */
  readonly freeNumbers: readonly number[];
  /** Ingress entries of the family now in the NACL, default `*` rule included: what the quota counts. */
  readonly entriesOfFamily: number;
  /** How many more entries of the family fit: min(free numbers, quota - entries of the family). */
  readonly freeSlots: number;
}

/** Lists free rule numbers in the range and how many entries of `family` still fit under the quota. */
export function planSlots(
  rules: readonly NaclRule[],
  range: RuleRange,
  quota: number,
  family: IpFamily,
): SlotReport {
  const used = new Set(rules.filter((rule) => !rule.egress).map((rule) => rule.ruleNumber));
  const freeNumbers: number[] = [];
  for (let ruleNumber = range.first; ruleNumber <= range.last; ruleNumber += 1) {
    if (!used.has(ruleNumber)) freeNumbers.push(ruleNumber);
  }
  const entriesOfFamily = rules.filter((rule) => !rule.egress && cidrFamily(rule.cidr) === family).length;
  const freeSlots = Math.max(0, Math.min(freeNumbers.length, quota - entriesOfFamily));
  return { freeNumbers, entriesOfFamily, freeSlots };
}

/** What the unbanner must change so that a NACL's reserved range holds exactly the desired entries. */
export interface ReconcilePlan {
  /** Ingress entries in the range that no desired entry accounts for: remove them. */
  readonly stale: readonly NaclRule[];
  /** Desired entries the NACL does not hold (absent, or their number holds something else): apply them. */
  readonly missing: readonly DesiredDeny[];
  /** Desired entries whose number lies outside the range: never applied, reported so the caller can log them. */
  readonly outOfRange: readonly DesiredDeny[];
}

/**
 * Compares the NACL's ingress entries inside `range` with the desired set (active bans as the table records them).
 * An entry matches when number, CIDR, protocol and ports agree. A number holding a different entry yields both a
 * stale entry (remove first) and a missing one (then apply). Entries outside the range are never touched.
 */
export function planReconcile(
  rules: readonly NaclRule[],
  desired: readonly DesiredDeny[],
  range: RuleRange,
): ReconcilePlan {
  const owned = rules.filter((rule) => !rule.egress && inRange(range, rule.ruleNumber));
  const outOfRange = desired.filter((entry) => !inRange(range, entry.ruleNumber));
  const wanted = desired.filter((entry) => inRange(range, entry.ruleNumber));
  const wantedKeys = new Set(wanted.map(desiredKey));
  const presentKeys = new Set(owned.map(ruleKey));
  return {
    stale: owned.filter((rule) => !wantedKeys.has(ruleKey(rule))),
    missing: wanted.filter((entry) => !presentKeys.has(desiredKey(entry))),
    outOfRange,
  };
}

/** True when an existing rule is exactly the deny cloudjail wanted (used to make a repeated add idempotent). */
export function sameDeny(rule: NaclRule, entry: DesiredDeny): boolean {
  return !rule.egress && ruleKey(rule) === desiredKey(entry);
}

function cidrFamily(cidr: string): IpFamily {
  return ipFamily(cidr.split("/")[0] ?? cidr);
}

function normalCidr(cidr: string): string {
  return cidrText(parseCidr(cidr));
}

function ruleKey(rule: NaclRule): string {
  const ports = rule.portRange ? `${rule.portRange.from}-${rule.portRange.to}` : "";
  return `${rule.ruleNumber}|${rule.action}|${normalCidr(rule.cidr)}|${rule.protocol}|${ports}`;
}

function desiredKey(entry: DesiredDeny): string {
  const ports = entry.portRange ? `${entry.portRange.from}-${entry.portRange.to}` : "";
  return `${entry.ruleNumber}|deny|${normalCidr(entry.cidr)}|${entry.portRange ? "6" : "-1"}|${ports}`;
}

/**
 * The TCP port range a deny entry covers for a jail, or undefined for all traffic. A NACL entry holds one range,
 * so a jail on several ports gets one entry from its lowest to its highest port (which also covers the ports
 * between them). Used by the responder and by `cloudjail ban`, so a manual ban looks like an automatic one.
 */
export function denyPortRange(
  ports: readonly PortRange[] | undefined,
  restrictToJailPorts: boolean,
): PortRange | undefined {
  if (!restrictToJailPorts || ports === undefined || ports.length === 0) return undefined;
  return { from: Math.min(...ports.map((port) => port.from)), to: Math.max(...ports.map((port) => port.to)) };
}
