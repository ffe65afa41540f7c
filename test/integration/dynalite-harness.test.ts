import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TABLE_SCHEMA } from "../../lambda/aws/table-schema";
import { type LocalDynamo, startDynalite } from "../support/dynalite";

describe("the dynalite harness", () => {
  let db: LocalDynamo;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(() => db.stop());

  it("serves cloudjail's table with the bans-by-end index on loopback", async () => {
    expect(db.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: db.tableName }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.KeySchema?.map((key) => key.AttributeName)).toEqual([
      TABLE_SCHEMA.partitionKey,
      TABLE_SCHEMA.sortKey,
    ]);
    expect(Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe(TABLE_SCHEMA.bansByEndIndex);
  });
});
