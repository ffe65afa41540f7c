import { Arn, ArnFormat, type Stack } from "aws-cdk-lib";

/**
 * The fixed names of the central stack's shared resources (issue 16): a member stack builds their ARNs from the
 * central account and region alone, so that one StackSet template serves every account without lookups.
 */
export const ORGANIZATION_NAMES = {
  /** The central event bus members forward their cloudjail events to. */
  bus: "cloudjail-organization",
  /** The topic the central rule fans events out to; every member's enforcer subscribes to it. */
  topic: "cloudjail-organization-bans",
  /** The central ledger of active organization bans. */
  ledger: "cloudjail-organization-ledger",
  /** The StackSet of member stacks. */
  stackSet: "cloudjail-member",
} as const;

/** Where the central stack lives. */
export interface OrganizationCentral {
  readonly account: string;
  readonly region: string;
}

/** ARNs of the central resources as seen from `stack` (any account and region of the organization). */
export function centralArns(stack: Stack, central: OrganizationCentral) {
  const arn = (
    service: string,
    resource: string,
    resourceName: string,
    format = ArnFormat.SLASH_RESOURCE_NAME,
  ) =>
    Arn.format(
      {
        service,
        resource,
        resourceName,
        account: central.account,
        region: central.region,
        arnFormat: format,
      },
      stack,
    );
  return {
    bus: arn("events", "event-bus", ORGANIZATION_NAMES.bus),
    topic: Arn.format(
      {
        service: "sns",
        resource: ORGANIZATION_NAMES.topic,
        account: central.account,
        region: central.region,
        arnFormat: ArnFormat.NO_RESOURCE_NAME,
      },
      stack,
    ),
    ledger: arn("dynamodb", "table", ORGANIZATION_NAMES.ledger),
  };
}
