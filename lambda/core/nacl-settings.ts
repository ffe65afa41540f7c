import { cidrText, parseCidr } from "./ip";
import type { AggregationSettings, NaclSettings } from "./types";

/**
 * cloudjail's own settings (no fail2ban equivalent): where bans are written. Read from the `[cloudjail]` section of
 * jail.local or the `nacl` key of the JSON form; the defaults live here and nowhere else.
 */

/** Whole VPCs, rule numbers 1-99, AWS's default 20 rules per NACL, deny entries for all traffic. */
export const DEFAULT_NACL_SETTINGS: NaclSettings = {
  scope: "vpc",
  vpcIds: [],
  reservedRuleRange: { first: 1, last: 99 },
  quota: 20,
  restrictToJailPorts: false,
};

/** AWS: network ACL rule numbers run from 1 to 32766. */
export const RULE_NUMBER_MAX = 32_766;
/** AWS: at most 40 rules per NACL, direction and address family (quota L-2AEEBF1A). */
export const NACL_QUOTA_MAX = 40;

const VPC_ID = /^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const NACL_ID = /^acl-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
/** An SNS topic ARN in any partition. */
export const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;

/** `vpc` or `subnet`. */
export function parseScope(text: string): NaclSettings["scope"] {
  const value = text.trim().toLowerCase();
  if (value === "vpc" || value === "subnet") return value;
  const share =
    value === "organization" || value === "local" ? `; to share bans, set share = ${value} in the jail` : "";
  throw new Error(
    `"${text}" is not a scope: use vpc (every NACL of the VPCs) or subnet (the attacked subnet's NACL)${share}`,
  );
}

/** VPC ids such as vpc-0abc12345def67890. */
export function parseVpcIds(ids: readonly string[]): string[] {
  for (const id of ids) {
    if (!VPC_ID.test(id)) throw new Error(`"${id}" is not a VPC id: write vpc- and 8 or 17 hex digits`);
  }
  return [...ids];
}

/** NACL ids such as acl-0abc12345def67890. */
export function parseNaclIds(ids: readonly string[]): string[] {
  for (const id of ids) {
    if (!NACL_ID.test(id))
      throw new Error(`"${id}" is not a network ACL id: write acl- and 8 or 17 hex digits`);
  }
  return [...ids];
}

/** `1-99` (or `1:99`, or `{ first, last }`): rule numbers cloudjail owns, inside 1-32766. */
export function parseRuleRange(
  value: string | { first: number; last: number },
): NaclSettings["reservedRuleRange"] {
  let first: number;
  let last: number;
  if (typeof value === "string") {
    const match = /^\s*(\d+)\s*[-:]\s*(\d+)\s*$/.exec(value);
    if (!match) throw new Error(`"${value}" is not a rule-number range: write first-last, such as 1-99`);
    first = Number(match[1]);
    last = Number(match[2]);
  } else {
    ({ first, last } = value);
  }
  if (
    !Number.isInteger(first) ||
    !Number.isInteger(last) ||
    first < 1 ||
    last > RULE_NUMBER_MAX ||
    first > last
  ) {
    throw new Error(
      `rule range ${first}-${last} is not valid: AWS rule numbers are whole numbers 1-${RULE_NUMBER_MAX}, first <= last`,
    );
  }
  return { first, last };
}

/** Inbound rules per NACL and family: 1-40. */
export function parseQuota(value: string | number): number {
  const quota = Number(value);
  if (!Number.isInteger(quota) || quota < 1 || quota > NACL_QUOTA_MAX) {
    throw new Error(
      `"${value}" is not a NACL rule quota: AWS allows 20 by default and at most ${NACL_QUOTA_MAX}`,
    );
  }
  return quota;
}

/** An SNS topic ARN. */
export function parseTopicArn(text: string): string {
  const value = text.trim();
  if (!TOPIC_ARN.test(value))
    throw new Error(`"${text}" is not an SNS topic ARN: arn:aws:sns:<region>:<account>:<name>`);
  return value;
}

/** /24 and /64 covers, never wider than /16 and /48, three addresses sharing a block get one entry. */
export const DEFAULT_AGGREGATION: AggregationSettings = {
  ipv4Prefix: 24,
  ipv6Prefix: 64,
  ipv4WidestPrefix: 16,
  ipv6WidestPrefix: 48,
  threshold: 3,
};

/** Aggregation options; omitted fields take DEFAULT_AGGREGATION. A widest prefix must not exceed its prefix. */
export function parseAggregation(
  input: Partial<Record<keyof AggregationSettings, number>>,
): AggregationSettings {
  const settings = { ...DEFAULT_AGGREGATION, ...input };
  const checks: [keyof AggregationSettings, number, number][] = [
    ["ipv4Prefix", 8, 32],
    ["ipv6Prefix", 16, 128],
    ["ipv4WidestPrefix", 8, 32],
    ["ipv6WidestPrefix", 16, 128],
    ["threshold", 1, 1_000_000],
  ];
  for (const [key, low, high] of checks) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < low || value > high) {
      throw new Error(`aggregation ${key} ${value} is not valid: a whole number ${low}-${high}`);
    }
  }
  if (settings.ipv4WidestPrefix > settings.ipv4Prefix || settings.ipv6WidestPrefix > settings.ipv6Prefix) {
    throw new Error(
      "aggregation: the widest prefix may not be narrower than the covering prefix (e.g. ipv4WidestPrefix 16 <= ipv4Prefix 24)",
    );
  }
  return settings;
}

/** CIDRs a covering entry must never touch besides the VPCs' own blocks, each as its network address. */
export function parseProtectedCidrs(cidrs: readonly string[]): string[] {
  return cidrs.map((text) => cidrText(parseCidr(text)));
}

/** Aggregation options of jail.local's `[cloudjail]` section as read so far (validated together at the end). */
export interface AggregationInput {
  readonly enabled?: boolean;
  readonly fields: Partial<Record<keyof AggregationSettings, number>>;
}

const AGGREGATION_KEYS: Readonly<Record<string, keyof AggregationSettings>> = {
  aggregateipv4prefix: "ipv4Prefix",
  aggregateipv6prefix: "ipv6Prefix",
  aggregateipv4widest: "ipv4WidestPrefix",
  aggregateipv6widest: "ipv6WidestPrefix",
  aggregatethreshold: "threshold",
};

/** jail.local option names of aggregation (normalised: no `_`/`-`/`.`), for error messages. */
export const AGGREGATION_OPTION_NAMES =
  "aggregate, aggregate_ipv4_prefix, aggregate_ipv6_prefix, aggregate_ipv4_widest, aggregate_ipv6_widest, aggregate_threshold";

/**
 * Reads one `[cloudjail]` option if it is an aggregation option (`aggregate = true`, `aggregate_ipv4_prefix = 24`,
 * ...): returns the options so far with it, or undefined when `key` (normalised) is not one. Setting a field turns
 * aggregation on unless `aggregate = false` says otherwise.
 */
export function readAggregationOption(
  key: string,
  text: string,
  current: AggregationInput,
  parseBoolean: (text: string) => boolean,
): AggregationInput | undefined {
  if (key === "aggregate" || key === "aggregation") return { ...current, enabled: parseBoolean(text) };
  const field = AGGREGATION_KEYS[key];
  if (field === undefined) return undefined;
  const value = Number(text.trim().replace(/^\//, ""));
  if (!Number.isInteger(value)) throw new Error(`"${text}" is not a whole number`);
  return { ...current, fields: { ...current.fields, [field]: value } };
}

/** The aggregation settings the options describe, or undefined when aggregation stays off. */
export function aggregationFromOptions(options: AggregationInput): AggregationSettings | undefined {
  const enabled = options.enabled ?? Object.keys(options.fields).length > 0;
  return enabled ? parseAggregation(options.fields) : undefined;
}
