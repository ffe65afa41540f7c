import type { IntakeSettings } from "./intake-settings";
/**
 * Types shared by every part of cloudjail: detection, jail policy, the AWS runtime, the CLI and the CDK app.
 * Everything here is plain data so that it can cross the CDK -> Lambda boundary as JSON (`CLOUDJAIL_CONFIG`).
 */

/** fail2ban's sshd filter modes. `aggressive` is the union of the other three. */
export type SshdMode = "normal" | "ddos" | "extra" | "aggressive";

export const SSHD_MODES: readonly SshdMode[] = ["normal", "ddos", "extra", "aggressive"];

/** One counted failed login attempt, attributed to the address sshd wrote. */
export interface Failure {
  /** Source address in canonical text form (IPv4 dotted quad, IPv6 RFC 5952; IPv4-mapped IPv6 as IPv4). */
  readonly ip: string;
  /** Epoch milliseconds of the line, or of the delivery when the line carries no time. */
  readonly at: number | undefined;
  /** Stable id of the pattern that matched, e.g. `sshd.failed-password` or `custom.0`. */
  readonly patternId: string;
  /** The mode family the pattern belongs to (`custom` for a jail's own failregex). */
  readonly family: SshdMode | "custom";
  /** User name as sshd wrote it, where the message carries one. Client-controlled: display only. */
  readonly user?: string;
  /** Host name from the log-line prefix. */
  readonly host?: string;
  /** sshd process id from the log-line prefix. */
  readonly pid?: number;
  /** 1-based ordinal of the line in its input (file line, or event index in a batch). */
  readonly line: number;
  /** The line itself, cut to a display length. */
  readonly text: string;
}

/** A TCP port or inclusive range a jail protects (`port = ssh,2222,5000:5010`). */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** fail2ban's `bantime.*` options, resolved. Durations in seconds. */
export interface BanIncrement {
  readonly enabled: boolean;
  /** `bantime.factor`, default 1. */
  readonly factor: number;
  /** `bantime.multipliers`; when set it replaces the exponential formula. */
  readonly multipliers?: readonly number[];
  /** `bantime.maxtime`: cap on one ban's length, seconds. */
  readonly maxtime?: number;
  /** `bantime.rndtime`: up to this many random seconds added to each ban. */
  readonly rndtime?: number;
  /** `bantime.overalljails`: count earlier bans of the IP across all jails. */
  readonly overalljails: boolean;
}

/** One jail, resolved from `[DEFAULT]` + its section (or from JSON). Durations in seconds. */
export interface JailConfig {
  readonly name: string;
  readonly enabled: boolean;
  /** `sshd`, `recidive` (counts bans from the other jails) or `custom` (failregex below). */
  readonly filter: "sshd" | "recidive" | "custom";
  /** sshd filter mode; ignored by other filters. */
  readonly mode: SshdMode;
  /** fail2ban-style patterns with a `<HOST>` placeholder. */
  readonly failregex?: readonly string[];
  readonly ignoreregex?: readonly string[];
  readonly maxretry: number;
  readonly findtime: number;
  /** Seconds; -1 is a permanent ban. */
  readonly bantime: number;
  /** Addresses and CIDRs never banned. */
  readonly ignoreip: readonly string[];
  /** Ports the jail protects; undefined means all traffic. */
  readonly port?: readonly PortRange[];
  readonly increment: BanIncrement;
  /**
   * Who a ban of this jail protects (issue 16): absent or `local`, this account's NACLs only; `organization`, the
   * ban is also published to the organization's bus and every member account and region applies it.
   */
  readonly share?: JailShare;
  /**
   * Whether the jail's bans go into the NACLs (issue 15 §1): false is detect-only, bans decided and recorded but
   * not enforced. Absent: the stack's {@link CloudjailConfig.enforce}.
   */
  readonly enforce?: boolean;
}

/** `share = local | organization` (not `scope`, which says vpc or subnet). */
export type JailShare = "local" | "organization";

export const JAIL_SHARES: readonly JailShare[] = ["local", "organization"];

/** The whole resolved configuration the runtime reads from `CLOUDJAIL_CONFIG`. */
export interface CloudjailConfig {
  readonly jails: readonly JailConfig[];
  readonly nacl: NaclSettings;
  /** SNS topic for ban/unban notifications. */
  readonly topicArn?: string;
  /** Where bans also go when the NACLs are not enough (issue 7); absent: the NACLs only. */
  readonly overflow?: OverflowSettings;
  /** How the stack onboards the fleet (deploy-time only, `[cloudjail]` intake options); absent: the defaults. */
  readonly intake?: IntakeSettings;
  /** Whether the stack's jails enforce their bans (`enforce` in `[cloudjail]`); a jail's own `enforce` wins. Absent: true. */
  readonly enforce?: boolean;
}

/** The stack's overflow target: WAFv2 IP sets or a Network Firewall rule group, created by the CDK app. */
export type OverflowSettings = WafOverflowSettings | NetworkFirewallOverflowSettings;

/** WAFv2 IP sets, for services behind ALB or API Gateway (`REGIONAL`) or CloudFront (`CLOUDFRONT`, us-east-1). */
export interface WafOverflowSettings {
  readonly kind: "waf";
  readonly scope: "REGIONAL" | "CLOUDFRONT";
  /** An IPv6 IP set beside the IPv4 one. */
  readonly ipv6: boolean;
}

/** An AWS Network Firewall stateful rule group dropping traffic from one IP set variable. */
export interface NetworkFirewallOverflowSettings {
  readonly kind: "network-firewall";
  /** Rule group capacity, fixed at creation (AWS: at most 30,000). */
  readonly capacity: number;
}

export interface NaclSettings {
  /** `vpc`: every NACL of the protected VPCs; `subnet`: only the NACL of the attacked instance's subnet. */
  readonly scope: "vpc" | "subnet";
  readonly vpcIds: readonly string[];
  /** Explicit NACL ids, in addition to (or instead of) those found in `vpcIds`. */
  readonly naclIds?: readonly string[];
  /** Inclusive rule-number range cloudjail owns in every managed NACL. */
  readonly reservedRuleRange: { readonly first: number; readonly last: number };
  /** Inbound rules allowed per NACL and address family (AWS: 20 by default, 40 at most). */
  readonly quota: number;
  /** Narrow deny entries to TCP on the jail's ports instead of all traffic. */
  readonly restrictToJailPorts: boolean;
  /** Covering entries for banned addresses that share a prefix (issue 7); absent: one entry per address. */
  readonly aggregation?: AggregationSettings;
  /**
   * Blocks a covering entry must never touch, besides every jail's ignoreip and the protected VPCs' own CIDRs (which
   * the runtime finds in EC2): peered VPCs, VPN and on-premises ranges, as the configuration lists them.
   */
  readonly protectedCidrs?: readonly string[];
}

/** How banned addresses are folded into covering entries when they share a prefix or the NACL fills. */
export interface AggregationSettings {
  /** Prefix of the covering block for IPv4, default 24. */
  readonly ipv4Prefix: number;
  /** Prefix of the covering block for IPv6, default 64. */
  readonly ipv6Prefix: number;
  /** Widest IPv4 block cloudjail may write when the NACL is full, default 16 (never wider). */
  readonly ipv4WidestPrefix: number;
  /** Widest IPv6 block cloudjail may write when the NACL is full, default 48. */
  readonly ipv6WidestPrefix: number;
  /** Banned addresses sharing one covering block that get one entry even while the NACL has room, default 3. */
  readonly threshold: number;
}
