import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { type CleanupReport, removeOwnedEntries } from "../aws/nacl-cleanup";
import { answerCustomResource, sendCustomResourceResponse } from "./custom-resource";
import { type Runtime, runtimeFromEnvironment } from "./runtime";

/**
 * Lambda entry of the `cdk destroy` clean-up (a custom resource, lib/nacl-cleanup.ts): on Delete it removes every
 * NACL entry cloudjail owns. The environment is read once at cold start, but a bad one is answered as FAILED
 * rather than left unanswered.
 */
let runtime: Runtime | Error;
try {
  runtime = runtimeFromEnvironment();
} catch (error) {
  runtime = error as Error;
}

export const handler = async (event: CloudFormationCustomResourceEvent): Promise<void> => {
  const response = await answerCustomResource(event, async () => {
    if (runtime instanceof Error) throw runtime;
    const report = await removeOwnedEntries({
      leases: runtime.leases,
      enforcer: runtime.enforcer,
      reservedRuleRange: runtime.config.nacl.reservedRuleRange,
    });
    runtime.logger.info("NACL clean-up", { ...report });
    return cleanupSummary(report);
  });
  await sendCustomResourceResponse(event.ResponseURL, response);
};

/** One line for CloudFormation's event log. */
export function cleanupSummary(report: CleanupReport): string {
  if (report.tableMissing)
    return "cloudjail's table is gone: no NACL entry can be told as cloudjail's, none removed";
  const parts = [`removed ${report.removed.length} cloudjail NACL entries`];
  if (report.keptInRange.length > 0) {
    parts.push(`kept ${report.keptInRange.length} entries in the reserved range that are not cloudjail's`);
  }
  if (report.missingNacls.length > 0) parts.push(`NACLs already gone: ${report.missingNacls.join(", ")}`);
  return parts.join("; ");
}
