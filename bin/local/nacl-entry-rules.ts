import type { NetworkAclEntry } from "@aws-sdk/client-ec2";
import { cidrText, type IpFamily, parseCidr } from "../../lambda/core/ip";
import { Ec2ApiError } from "./ec2-api-error";

/** Protocol names EC2 also accepts, mapped to the numbers it stores. */
const PROTOCOL_NAMES: Record<string, string> = { all: "-1", tcp: "6", udp: "17", icmp: "1", icmpv6: "58" };

/**
 * Checks the fields of a Create/ReplaceNetworkAclEntry request as EC2 does and returns the entry as
 * DescribeNetworkAcls would show it (protocol as a number, CIDR as its network address). Rule number and NACL id
 * are checked by the model. Throws `Ec2ApiError` with EC2's codes.
 */
export function normalizeEntry(input: NetworkAclEntry): NetworkAclEntry {
  if (input.Egress === undefined) missing("egress");
  if (input.Protocol === undefined) missing("protocol");
  if (input.RuleAction === undefined) missing("ruleAction");
  const protocol = PROTOCOL_NAMES[input.Protocol.toLowerCase()] ?? input.Protocol;
  if (protocol !== "-1" && !(/^\d{1,3}$/.test(protocol) && Number(protocol) <= 255)) {
    invalid(`Invalid value '${input.Protocol}' for protocol.`);
  }
  if (input.RuleAction !== "allow" && input.RuleAction !== "deny") {
    invalid(`Invalid value '${input.RuleAction}' for ruleAction. Valid values: allow, deny.`);
  }
  const stored: NetworkAclEntry = {
    RuleNumber: input.RuleNumber,
    Egress: input.Egress,
    Protocol: protocol,
    RuleAction: input.RuleAction,
    ...cidrField(input),
  };
  if (protocol === "6" || protocol === "17") {
    const range = input.PortRange;
    if (range?.From === undefined || range.To === undefined) missing("portRange");
    if (!validPort(range.From) || !validPort(range.To) || range.From > range.To) {
      invalid(`Invalid port range ${range.From}-${range.To}.`);
    }
    stored.PortRange = { From: range.From, To: range.To };
  }
  if ((protocol === "1" || protocol === "58") && input.IcmpTypeCode) {
    stored.IcmpTypeCode = { Code: input.IcmpTypeCode.Code, Type: input.IcmpTypeCode.Type };
  }
  return stored;
}

function cidrField(input: NetworkAclEntry): { CidrBlock: string } | { Ipv6CidrBlock: string } {
  if (input.CidrBlock !== undefined && input.Ipv6CidrBlock !== undefined) {
    throw new Ec2ApiError(
      "InvalidParameterCombination",
      "Only one of cidrBlock and ipv6CidrBlock may be given.",
    );
  }
  const text = input.CidrBlock ?? input.Ipv6CidrBlock;
  if (text === undefined) missing("cidrBlock or ipv6CidrBlock");
  const wantedFamily = input.CidrBlock !== undefined ? "ipv4" : "ipv6";
  let normalized: string;
  try {
    const cidr = parseCidr(text);
    // EC2 wants the prefix written out and the family to match the field.
    if (!text.includes("/") || cidr.family !== wantedFamily) throw new Error("wrong form");
    normalized = cidrText(cidr);
  } catch {
    return invalid(
      `Value (${text}) for parameter ${wantedFamily === "ipv4" ? "cidrBlock" : "ipv6CidrBlock"} is invalid.`,
    );
  }
  return wantedFamily === "ipv4" ? { CidrBlock: normalized } : { Ipv6CidrBlock: normalized };
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

function missing(parameter: string): never {
  throw new Ec2ApiError("MissingParameter", `The request must contain the parameter ${parameter}`);
}

function invalid(message: string): never {
  throw new Ec2ApiError("InvalidParameterValue", message);
}

/** Entries of one NACL keyed by `entryKey(egress, ruleNumber)`. */
export type EntryMap = Map<string, NetworkAclEntry>;

/** The key that makes (rule number, direction) unique in a NACL, across both address families. */
export function entryKey(egress: boolean, ruleNumber: number): string {
  return `${egress ? "egress" : "ingress"}:${ruleNumber}`;
}

/** Address family of an entry. */
export function entryFamily(stored: NetworkAclEntry): IpFamily {
  return stored.Ipv6CidrBlock !== undefined ? "ipv6" : "ipv4";
}

/** An entry of all traffic, as AWS creates its default rules. */
export function entry(
  ruleNumber: number,
  egress: boolean,
  action: "allow" | "deny",
  block: { CidrBlock: string } | { Ipv6CidrBlock: string },
): NetworkAclEntry {
  return { RuleNumber: ruleNumber, Egress: egress, Protocol: "-1", RuleAction: action, ...block };
}

/** EC2's error for a missing entry. */
export function entryNotFound(naclId: string, egress: boolean, ruleNumber: number): Ec2ApiError {
  return new Ec2ApiError(
    "InvalidNetworkAclEntry.NotFound",
    `No ${egress ? "egress" : "ingress"} entry with rule number ${ruleNumber} exists for network ACL '${naclId}'.`,
  );
}

/** Entries of one direction and address family: what the quota counts. */
export function countFamily(entries: EntryMap, egress: boolean, family: IpFamily): number {
  let count = 0;
  for (const stored of entries.values()) {
    if ((stored.Egress ?? false) === egress && entryFamily(stored) === family) count += 1;
  }
  return count;
}

/** Copies of the entries, sorted as DescribeNetworkAcls lists them: ingress first, then by rule number. */
export function sortedEntries(entries: EntryMap): NetworkAclEntry[] {
  return [...entries.values()]
    .map((stored) => structuredClone(stored))
    .sort((a, b) => Number(a.Egress) - Number(b.Egress) || (a.RuleNumber ?? 0) - (b.RuleNumber ?? 0));
}
