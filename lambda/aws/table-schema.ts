/**
 * The single DynamoDB table's key design, shared by the CDK table (lib/) and the store adapter (lambda/aws/).
 * Changing a name here changes both sides together.
 */
export const TABLE_SCHEMA = {
  /** Partition key (S), e.g. `WINDOWS#203.0.113.0/24#2`, `BAN#203.0.113.9`, `SLOT#acl-0abc`. */
  partitionKey: "pk",
  /** Sort key (S). */
  sortKey: "sk",
  /** GSI that lists active bans by end time without a scan. */
  bansByEndIndex: "bansByEnd",
  /** GSI partition key (S): a small fixed set of shards (`ACTIVE#0`..), present only on active, timed bans. */
  banShardAttribute: "banShard",
  /** GSI sort key (N): epoch seconds the ban ends. */
  banEndsAtAttribute: "banEndsAt",
  /** TTL attribute (N, epoch seconds): only for purging old windows and history, never to time an unban. */
  ttlAttribute: "expiresAt",
} as const;
