import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { TABLE_SCHEMA } from "../lambda/aws/table-schema";

/**
 * cloudjail's single table: failure windows, bans, ban history and NACL slot leases (key design in
 * `lambda/aws/table-schema.ts`). Bans are state that must survive a stack deletion, so the table is retained,
 * protected from deletion and recoverable to any second of the last 35 days.
 */
export class CloudjailTable extends Construct {
  /** The table; grant access with `table.grantReadWriteData(...)`. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // TTL only purges expired windows and old history; DynamoDB may take days to act, so no unban relies on it.
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.bansByEndIndex,
      partitionKey: { name: TABLE_SCHEMA.banShardAttribute, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.banEndsAtAttribute, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
}
