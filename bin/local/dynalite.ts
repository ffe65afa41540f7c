import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { TABLE_SCHEMA } from "../../lambda/aws/table-schema";

/**
 * A real DynamoDB API server (dynalite) in this process, on 127.0.0.1 and a free port, with cloudjail's table
 * created from TABLE_SCHEMA. Data lives in memory unless `path` is given.
 *
 * @example
 * let db: LocalDynamo;
 * beforeAll(async () => { db = await startDynalite(); });
 * afterAll(() => db.stop());
 */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>`: pass as `endpoint` or `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  /** The table created at start. */
  readonly tableName: string;
  /** A client for this server (dummy credentials, region us-east-1). */
  readonly client: DynamoDBClient;
  /** Creates another empty table with cloudjail's schema (one per test keeps tests independent). */
  createTable(name: string): Promise<void>;
  /** Stops the server and destroys the client. */
  stop(): Promise<void>;
}

/** Options of {@link startDynalite}. */
export interface StartDynaliteOptions {
  /** @default "cloudjail" */
  readonly tableName?: string;
  /** LevelDB folder to keep data in; in memory by default. */
  readonly path?: string;
}

/** Credentials dynalite accepts (it does not check signatures); never real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

/** Starts dynalite and creates the table. */
export async function startDynalite(options: StartDynaliteOptions = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: options.path });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
  const tableName = options.tableName ?? "cloudjail";
  const createTable = (name: string) => createCloudjailTable(client, name);
  await createTable(tableName);
  return {
    endpoint,
    tableName,
    client,
    createTable,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** Creates a table with cloudjail's key design, GSI and on-demand billing (TTL is not modelled by dynalite). */
export async function createCloudjailTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, bansByEndIndex, banShardAttribute, banEndsAtAttribute } = TABLE_SCHEMA;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: "S" },
        { AttributeName: sortKey, AttributeType: "S" },
        { AttributeName: banShardAttribute, AttributeType: "S" },
        { AttributeName: banEndsAtAttribute, AttributeType: "N" },
      ],
      KeySchema: [
        { AttributeName: partitionKey, KeyType: "HASH" },
        { AttributeName: sortKey, KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: bansByEndIndex,
          KeySchema: [
            { AttributeName: banShardAttribute, KeyType: "HASH" },
            { AttributeName: banEndsAtAttribute, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
    }),
  );
}
