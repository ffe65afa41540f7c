/**
 * Names shared by the Lambdas that emit telemetry and the CDK constructs that chart and alarm on it.
 */
export const METRICS_NAMESPACE = "Cloudjail";

/** CloudWatch metric names (EMF, Powertools Metrics). */
export const METRIC = {
  failures: "Failures",
  bans: "Bans",
  unbans: "Unbans",
  activeBans: "ActiveBans",
  pendingBans: "PendingBans",
  naclSlotsFree: "NaclSlotsFree",
  evictions: "Evictions",
  skippedLines: "SkippedLines",
  /** Journald records claiming to be sshd's failure lines but written by another process (journald-record.ts). */
  forgedLines: "ForgedLines",
  /** Failures sshd attributed to a host name or a non-address (`UseDNS yes`): counted, never banned. */
  unbannableFailures: "UnbannableFailures",
  reconciled: "DriftRepaired",
  /** Addresses and CIDRs in the overflow target after the unbanner's sync. */
  overflowSize: "OverflowSize",
  /** Bans the overflow target refused for want of room (its limit reached, or no IP set of their family). */
  overflowRefused: "OverflowRefused",
  /** Running protected instances whose auth log has not arrived within the threshold (lambda/core/fleet-silence.ts). */
  silentInstances: "SilentInstances",
  /** Running protected instances, silent or not: what SilentInstances is out of. */
  protectedInstances: "ProtectedInstances",
} as const;

/**
 * The responder writes one structured log line per source IP per batch with this message; the dashboard's
 * Contributor Insights rule ranks `ip` by the sum of `failures` over lines carrying it.
 */
export const FAILURES_LOG = {
  message: "failures counted",
  ipField: "ip",
  jailField: "jail",
  countField: "failures",
} as const;
