import { ORG_ENVIRONMENT } from "./environment";
import { enforceOrgDelivery } from "./org-enforce";
import { memberEnvironment, organizationFromEnvironment } from "./org-runtime";
import { RuntimeConfigError, runtimeFromEnvironment } from "./runtime";

/**
 * Lambda entry of a member's enforcer (subscribed to the central topic, invoked asynchronously by SNS): applies
 * the organization's bans, increments, unbans and expiries to this account's NACLs. Environment read once at
 * cold start (the responder's, plus the organization's); the clock once per invocation.
 */
const organization = organizationFromEnvironment(runtimeFromEnvironment(memberEnvironment(process.env)));
if (organization === undefined) {
  throw new RuntimeConfigError(
    `${ORG_ENVIRONMENT.account} is not set: the enforcer runs only in an organization`,
  );
}
const { runtime, member } = organization;

export const handler = async (event: unknown) => enforceOrgDelivery(runtime, member, event, Date.now());
