import { respondAndAggregate } from "./aggregate";
import { memberEnvironment, organizationFromEnvironment } from "./org-runtime";
import { runtimeFromEnvironment } from "./runtime";

/**
 * Lambda entry of the responder (CloudWatch Logs subscription events, invoked asynchronously). The environment
 * (CLOUDJAIL_TABLE, CLOUDJAIL_CONFIG) is read once here, at cold start: a missing or invalid variable fails the
 * start loudly. The clock is read once per invocation and passed down, with the request id, which Lambda keeps
 * across the retries of an event: a retry finishes the bans its first attempt marked.
 */
const local = runtimeFromEnvironment(memberEnvironment(process.env));
// In an organization, the notifier also publishes the bans of jails with share = organization (issue 16).
const runtime = organizationFromEnvironment(local)?.runtime ?? local;

export const handler = async (event: unknown, context: { awsRequestId: string }) =>
  respondAndAggregate(runtime, event, Date.now(), context.awsRequestId);
