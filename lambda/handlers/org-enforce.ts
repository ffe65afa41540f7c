import type { OrgEvent } from "../core/org-event";
import { applyOrgEvents, type OrgApplySummary, type OrgMember } from "./org-apply";
import { envelopesOfSnsEvent, orgEventOfEnvelope } from "./org-envelope";
import type { Runtime } from "./runtime";

/**
 * The member enforcer (SNS subscription to the central topic, invoked asynchronously): validates each message at
 * the edge, applies the valid ones, then fails the invocation if one was not valid, so that Lambda's retries and
 * then the on-failure destination keep it (a valid event applied twice changes nothing).
 */
export async function enforceOrgDelivery(
  runtime: Runtime,
  member: OrgMember,
  delivery: unknown,
  now: number,
): Promise<OrgApplySummary> {
  const events: OrgEvent[] = [];
  const refused: string[] = [];
  for (const { messageId, body } of envelopesOfSnsEvent(delivery)) {
    try {
      events.push(orgEventOfEnvelope(body));
    } catch (error) {
      refused.push(messageId);
      runtime.logger.error("organization event refused", { messageId, reason: String(error) });
    }
  }
  const summary = await applyOrgEvents(runtime, member, events, now);
  if (refused.length > 0) {
    throw new Error(`${refused.length} organization event(s) refused: ${refused.join(", ")}`);
  }
  return summary;
}
