import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { TABLE_SCHEMA } from "../../lambda/aws/table-schema";
import { useDynalite } from "../support/dynalite";

describe("the dynalite harness", () => {
  const db = useDynalite();

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

describe("useDynalite", () => {
  const db = useDynalite({ tableName: "harness" });
  let before = "";
  try {
    void db.endpoint;
  } catch (error) {
    before = (error as Error).message;
  }

  it("refuses use before its beforeAll has started the server", () => {
    expect(before).toMatch(/dynalite is not running/);
  });

  it("serves the table it was asked for once the file's tests run", async () => {
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: "harness" }));
    expect(Table?.TableStatus).toBe("ACTIVE");
  });
});
