import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from "aws-cdk-lib";
import * as cloudformation from "aws-cdk-lib/aws-cloudformation";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3assets from "aws-cdk-lib/aws-s3-assets";
import * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { TABLE_SCHEMA } from "../lambda/aws/table-schema";
import { ORG_EVENT_SOURCE } from "../lambda/core/org-event";
import { ORG_ENVIRONMENT } from "../lambda/handlers/environment";
import { CloudjailFunction } from "./cloudjail-function";
import { ORGANIZATION_NAMES } from "./organization-names";

export interface OrganizationCentralStackProps extends StackProps {
  /** The organization's id (`o-...`): the only principals the bus, topic and ledger admit. */
  readonly organizationId: string;
  /** Organizational units whose accounts get the member stack (and every account added to them later). */
  readonly organizationalUnitIds: readonly string[];
  /** Regions of the member stacks. */
  readonly regions: readonly string[];
  /**
   * The synthesized member template (bin/org-app.ts writes it); absent: no StackSet (the shared resources only).
   * @default no StackSet
   */
  readonly memberTemplateFile?: string;
  /**
   * Parameters of the member template, the same for every account (per-account values: StackSet parameter
   * overrides, docs/organization.md).
   * @default none
   */
  readonly memberParameters?: Readonly<Record<string, string>>;
  /**
   * Call StackSets as the organization's delegated administrator (`DELEGATED_ADMIN`) or from the management
   * account (`SELF`).
   * @default "DELEGATED_ADMIN"
   */
  readonly callAs?: "DELEGATED_ADMIN" | "SELF";
}

/**
 * The central ("delegated administrator") stack of organization-wide bans (issue 16): the bus members forward
 * their cloudjail events to, whose resource policy admits only the organization; a rule fanning each event out to
 * the members' topic (every member's enforcer subscribes, across accounts and regions) and to the recorder of the
 * central ledger (the active organization bans members catch up from); and the service-managed StackSet that
 * deploys the member stack to every account of the chosen OUs and regions, new accounts included.
 */
export class OrganizationCentralStack extends Stack {
  public readonly bus: events.EventBus;
  public readonly topic: sns.Topic;
  public readonly ledger: dynamodb.Table;
  public readonly recorder: nodejs.NodejsFunction;
  public readonly fanOut: events.Rule;
  public readonly stackSet: cloudformation.CfnStackSet | undefined;

  constructor(scope: Construct, id: string, props: OrganizationCentralStackProps) {
    super(scope, id, props);
    if (!/^o-[a-z0-9]{10,32}$/.test(props.organizationId)) {
      throw new Error(
        `organizationId "${props.organizationId}" is not an organization id (o- and 10 to 32 letters or digits)`,
      );
    }
    const inOrganization = { StringEquals: { "aws:PrincipalOrgID": props.organizationId } };

    this.bus = new events.EventBus(this, "Bus", { eventBusName: ORGANIZATION_NAMES.bus });
    new events.CfnEventBusPolicy(this, "BusPolicy", {
      eventBusName: this.bus.eventBusName,
      statementId: "OrganizationMembersPutCloudjailEvents",
      statement: {
        Sid: "OrganizationMembersPutCloudjailEvents",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: "events:PutEvents",
        Resource: this.bus.eventBusArn,
        Condition: inOrganization,
      },
    });

    const ledgerArn = this.formatArn({
      service: "dynamodb",
      resource: "table",
      resourceName: ORGANIZATION_NAMES.ledger,
    });
    this.ledger = new dynamodb.Table(this, "Ledger", {
      tableName: ORGANIZATION_NAMES.ledger,
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Members read (never write) the ledger across accounts: GetItem and Query, for the organization only.
      resourcePolicy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: "OrganizationMembersReadLedger",
            principals: [new iam.AnyPrincipal()],
            actions: ["dynamodb:GetItem", "dynamodb:Query"],
            resources: [ledgerArn, `${ledgerArn}/index/${TABLE_SCHEMA.bansByEndIndex}`],
            conditions: inOrganization,
          }),
        ],
      }),
    });
    this.ledger.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.bansByEndIndex,
      partitionKey: { name: TABLE_SCHEMA.banShardAttribute, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.banEndsAtAttribute, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    const recorder = new CloudjailFunction(this, "Recorder", {
      entry: "lambda/handlers/org-recorder.ts",
      description: "Records organization bans in the central ledger members catch up from",
      timeout: Duration.seconds(30),
      logRetention: logs.RetentionDays.ONE_MONTH,
      reservedConcurrency: undefined,
      environment: { [ORG_ENVIRONMENT.ledgerTable]: ORGANIZATION_NAMES.ledger },
    });
    this.recorder = recorder.function;
    this.ledger.grantReadWriteData(recorder.role);
    Validations.of(recorder.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.ledger.node.defaultChild as dynamodb.CfnTable)}.Arn>/index/*]`,
      reason: "CDK's grantReadWriteData covers the ledger's own indexes (index/*), of this one table only.",
    });

    // Ban events are attackers' addresses and times, nothing secret; a customer key would have to admit every
    // member's subscription and EventBridge, for no protection gained.
    this.topic = new sns.Topic(this, "MemberTopic", {
      topicName: ORGANIZATION_NAMES.topic,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "OrganizationMembersSubscribe",
        principals: [new iam.AnyPrincipal()],
        actions: ["sns:Subscribe"],
        resources: [this.topic.topicArn],
        conditions: inOrganization,
      }),
    );
    Validations.of(this.topic).acknowledge({
      id: "AwsSolutions-SNS2",
      reason: "Organization ban events (attackers' addresses) are not secret; see the comment in the stack.",
    });

    const undelivered = new sqs.Queue(this, "Undelivered", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(undelivered).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is itself the fan-out rule's dead-letter queue.",
    });
    this.fanOut = new events.Rule(this, "FanOut", {
      description: "Fans cloudjail organization events out to every member and to the central ledger",
      eventBus: this.bus,
      eventPattern: { source: [ORG_EVENT_SOURCE], detail: { share: ["organization"] } },
      targets: [
        new targets.SnsTopic(this.topic, { deadLetterQueue: undelivered, retryAttempts: 185 }),
        new targets.LambdaFunction(this.recorder, { deadLetterQueue: undelivered, retryAttempts: 185 }),
      ],
    });

    this.stackSet = props.memberTemplateFile === undefined ? undefined : this.memberStackSet(props);
    new CfnOutput(this, "BusArn", { value: this.bus.eventBusArn });
    new CfnOutput(this, "TopicArn", { value: this.topic.topicArn });
    new CfnOutput(this, "LedgerArn", { value: this.ledger.tableArn });
  }

  /** The service-managed StackSet; its template is an asset of this stack, which StackSets reads from here. */
  private memberStackSet(props: OrganizationCentralStackProps): cloudformation.CfnStackSet {
    const template = new s3assets.Asset(this, "MemberTemplate", { path: props.memberTemplateFile as string });
    return new cloudformation.CfnStackSet(this, "Members", {
      stackSetName: ORGANIZATION_NAMES.stackSet,
      description:
        "cloudjail member stack: responder, unbanner, enforcer, table and NACL rights of one account",
      permissionModel: "SERVICE_MANAGED",
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      callAs: props.callAs ?? "DELEGATED_ADMIN",
      capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
      managedExecution: { Active: true },
      operationPreferences: {
        regionConcurrencyType: "PARALLEL",
        maxConcurrentPercentage: 25,
        failureTolerancePercentage: 10,
      },
      templateUrl: template.httpUrl,
      parameters: Object.entries(props.memberParameters ?? {}).map(([parameterKey, parameterValue]) => ({
        parameterKey,
        parameterValue,
      })),
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...props.organizationalUnitIds] },
          regions: [...props.regions],
        },
      ],
    });
  }
}
