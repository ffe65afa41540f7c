import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailure } from "./store";
import { isoOfMs, leaseKey, type SlotLease, slotPartition } from "./store-items";
import { TABLE_SCHEMA } from "./table-schema";

/** What a lease names: the ban it reserves a rule number for. */
export interface LeaseRequest {
  readonly naclId: string;
  readonly ruleNumber: number;
  readonly ip: string;
  readonly cidr: string;
  readonly family: SlotLease["family"];
  readonly banId: string;
  /** Epoch ms. */
  readonly now: number;
}

/**
 * NACL rule-slot leases: before writing a DENY entry with rule number n into a NACL, a writer creates the item
 * `SLOT#<nacl> / RULE#n` with a condition that it does not exist. Only one writer can hold a number, so parallel
 * invocations never pick the same rule; the lease also says which ban owns the entry, which is how the unbanner
 * tells cloudjail's own entries from drift.
 */
export class SlotLeases {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Every lease of a NACL, in rule order (strongly consistent: a writer picks numbers from this). */
  async list(naclId: string): Promise<SlotLease[]> {
    const leases: SlotLease[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": TABLE_SCHEMA.partitionKey },
          ExpressionAttributeValues: { ":pk": slotPartition(naclId) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) leases.push(item as SlotLease);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return leases;
  }

  /**
   * Every lease of the table, of every NACL (one strongly consistent Scan: for an uninstall, which runs once and
   * must find NACLs no configuration names any more). A missing table raises `ResourceNotFoundException`.
   */
  async listAll(): Promise<SlotLease[]> {
    const leases: SlotLease[] = [];
    const pages = paginateScan(
      { client: this.documents },
      {
        TableName: this.tableName,
        FilterExpression: "begins_with(#pk, :slot) AND #kind = :lease",
        ExpressionAttributeNames: { "#pk": TABLE_SCHEMA.partitionKey, "#kind": "kind" },
        ExpressionAttributeValues: { ":slot": slotPartition(""), ":lease": "lease" },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) leases.push(item as SlotLease);
    return leases;
  }

  /** The lease of one rule number (strongly consistent), if any. */
  async get(naclId: string, ruleNumber: number): Promise<SlotLease | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: leaseKey(naclId, ruleNumber), ConsistentRead: true }),
    );
    return result.Item as SlotLease | undefined;
  }

  /** Takes rule number `request.ruleNumber`; returns the lease, or undefined if someone holds it. */
  async acquire(request: LeaseRequest): Promise<SlotLease | undefined> {
    const lease: SlotLease = {
      ...leaseKey(request.naclId, request.ruleNumber),
      kind: "lease",
      naclId: request.naclId,
      ruleNumber: request.ruleNumber,
      ip: request.ip,
      cidr: request.cidr,
      family: request.family,
      banId: request.banId,
      leasedAt: request.now,
      leasedAtIso: isoOfMs(request.now),
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: lease,
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": TABLE_SCHEMA.partitionKey },
        }),
      );
      return lease;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  /** Frees a rule number, only if the lease still belongs to `banId`. Returns false when it did not. */
  async release(naclId: string, ruleNumber: number, banId: string): Promise<boolean> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: leaseKey(naclId, ruleNumber),
          ConditionExpression: "#banId = :banId",
          ExpressionAttributeNames: { "#banId": "banId" },
          ExpressionAttributeValues: { ":banId": banId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }
}
