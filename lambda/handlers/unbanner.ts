import { unbanAndAggregate } from "./aggregate";
import { catchUpOrganization } from "./org-apply";
import { memberEnvironment, organizationFromEnvironment } from "./org-runtime";
import { runtimeFromEnvironment } from "./runtime";

/**
 * Lambda entry of the unbanner (EventBridge schedule). The environment is read once at cold start; the clock once
 * per invocation.
 */
const local = runtimeFromEnvironment(memberEnvironment(process.env));
const organization = organizationFromEnvironment(local);
const runtime = organization?.runtime ?? local;

export const handler = async (_event: unknown) => {
  const now = Date.now();
  // In an organization, the member first catches up with the central ledger (issue 16): what it missed while
  // its enforcer failed or its region was down. It never throws: the lifts and reconcile below still run.
  if (organization !== undefined) await catchUpOrganization(runtime, organization.member, now);
  return unbanAndAggregate(runtime, now);
};
