import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { TABLE_SCHEMA } from "./table-schema";

/**
 * Which hosts' journals reach cloudjail: one source per host. Once a batch of journald records arrived from an
 * instance, the sshd lines of its files are left out (event-lines.ts), so that an attempt that both rsyslog and the
 * journal logged counts once; journald's are the lines whose writer is known. The fact is an item of the table
 * (`HOST#<instance>` / `JOURNALD`), cached per container; it holds while the journal was seen within
 * {@link JOURNALD_HOLD_MS}, so a host whose journal stops being collected gets its file lines counted again.
 */
export const JOURNALD_HOLD_MS = 86_400_000;
/** A container rewrites the item at most this often per host (it refreshes the hold). */
const REFRESH_MS = 600_000;
/** How long a container believes that a host sends no journal before it asks the table again. */
const NEGATIVE_CACHE_MS = 60_000;

/** The table item. */
export interface JournaldHostItem {
  readonly pk: string;
  readonly sk: "JOURNALD";
  readonly kind: "journald-host";
  readonly instanceId: string;
  /** Epoch ms of the newest journald batch written down. */
  readonly seenAt: number;
  readonly seenAtIso: string;
  /** TTL (epoch seconds): the item goes some time after the hold ended. */
  readonly expiresAt: number;
}

export class JournaldHosts {
  /** Host -> newest journal time this container knows (undefined: none), and when it last asked the table. */
  private readonly cache = new Map<string, { seenAt: number | undefined; checkedAt: number }>();

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Writes down that `instanceId`'s journal arrived at `now` (epoch ms); at most every 10 minutes per container. */
  async sawJournal(instanceId: string, now: number): Promise<void> {
    const known = this.cache.get(instanceId)?.seenAt;
    if (known !== undefined && now - known < REFRESH_MS) return;
    const item: JournaldHostItem = {
      pk: hostKey(instanceId),
      sk: "JOURNALD",
      kind: "journald-host",
      instanceId,
      seenAt: now,
      seenAtIso: new Date(now).toISOString(),
      expiresAt: Math.floor((now + 2 * JOURNALD_HOLD_MS) / 1000),
    };
    await this.documents
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          // Batches arrive out of order: never move the time back.
          ConditionExpression: "attribute_not_exists(#pk) OR seenAt < :now",
          ExpressionAttributeNames: { "#pk": TABLE_SCHEMA.partitionKey },
          ExpressionAttributeValues: { ":now": now },
        }),
      )
      .catch((error: unknown) => {
        if ((error as { name?: string }).name !== "ConditionalCheckFailedException") throw error;
      });
    this.cache.set(instanceId, { seenAt: Math.max(now, known ?? now), checkedAt: now });
  }

  /** True when `instanceId`'s journal arrived within the hold before `now`. */
  async sendsJournal(instanceId: string, now: number): Promise<boolean> {
    const cached = this.cache.get(instanceId);
    let seenAt = cached?.seenAt;
    const believedFor = seenAt === undefined ? NEGATIVE_CACHE_MS : REFRESH_MS;
    if (cached === undefined || now - cached.checkedAt >= believedFor) {
      const result = await this.documents.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [TABLE_SCHEMA.partitionKey]: hostKey(instanceId), [TABLE_SCHEMA.sortKey]: "JOURNALD" },
        }),
      );
      const stored = (result.Item as JournaldHostItem | undefined)?.seenAt;
      if (stored !== undefined) seenAt = Math.max(stored, seenAt ?? stored);
      this.cache.set(instanceId, { seenAt, checkedAt: now });
    }
    return seenAt !== undefined && now - seenAt < JOURNALD_HOLD_MS;
  }
}

function hostKey(instanceId: string): string {
  return `HOST#${instanceId}`;
}
