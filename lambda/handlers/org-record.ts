import type { OrgLedger } from "../aws/org-ledger";
import type { FoldOutcome } from "../core/org-ban-state";
import { orgEventOfEnvelope } from "./org-envelope";

/**
 * The central ledger's recorder (a target of the central bus's rule, in the delegated administrator's account):
 * folds each organization event into the list of active organization bans that members catch up from. An event
 * that is not valid throws, so that EventBridge's retries and then the rule target's dead-letter queue keep it.
 */
export async function recordOrgEvent(
  ledger: OrgLedger,
  envelope: unknown,
  now: number,
): Promise<FoldOutcome> {
  const event = orgEventOfEnvelope(envelope);
  return (await ledger.fold(event, now)).outcome;
}
