/** Metric names of the organization path (issue 16), beside lambda/core/telemetry.ts's. */
export const ORG_METRIC = {
  /** Organization events a member's enforcer received (every delivery, duplicates included). */
  events: "OrgEvents",
  /** Deliveries that changed nothing: the same event again, or one older than what the ledger holds. */
  ignored: "OrgEventsIgnored",
  /** Organization bans this member wrote into its NACLs (or recorded pending). */
  applied: "OrgBansApplied",
  /** Organization bans this member lifted (unban, expiry, or its own protection). */
  lifted: "OrgBansLifted",
  /** Organization bans this member refused because its ignoreip, allowlist or protected CIDRs hold the address. */
  refused: "OrgBansRefused",
  /** Addresses the unbanner's catch-up corrected from the central ledger. */
  caughtUp: "OrgCaughtUp",
  /** Events the responder or unbanner failed to publish (the catch-up of other members repairs nothing here). */
  publishFailures: "OrgPublishFailures",
} as const;
