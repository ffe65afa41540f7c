import { z } from "zod";
import { ORG_EVENT_SOURCE, type OrgEvent, OrgEventError, parseOrgEvent } from "../core/org-event";

/**
 * The edge of the organization path: an EventBridge event (as a rule hands it to Lambda, or as an SNS message
 * carries it) is checked and its cloudjail detail validated. EventBridge itself writes the envelope's `account`
 * (the account that put the event): a detail claiming another origin is refused, so a member account can speak
 * only for itself.
 */

const envelopeSchema = z.looseObject({
  source: z.literal(ORG_EVENT_SOURCE),
  "detail-type": z.string(),
  account: z.string(),
  region: z.string(),
  detail: z.unknown(),
});

/** Validates one EventBridge event carrying a cloudjail organization event. */
export function orgEventOfEnvelope(value: unknown): OrgEvent {
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    throw new OrgEventError(
      `envelope: ${issue?.path.join(".") || "(event)"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const event = parseOrgEvent(envelope.data.detail);
  if (event.origin.account !== envelope.data.account) {
    throw new OrgEventError(
      `origin.account ${event.origin.account} is not the account that sent the event (${envelope.data.account})`,
    );
  }
  return event;
}

const snsEventSchema = z.looseObject({
  Records: z
    .array(z.looseObject({ Sns: z.looseObject({ MessageId: z.string(), Message: z.string() }) }))
    .min(1),
});

/** The EventBridge events an SNS delivery carries (the central rule's target is the members' topic). */
export function envelopesOfSnsEvent(
  value: unknown,
): { readonly messageId: string; readonly body: unknown }[] {
  const parsed = snsEventSchema.safeParse(value);
  if (!parsed.success) throw new OrgEventError("not an SNS delivery: expected Records[].Sns.Message");
  return parsed.data.Records.map((record) => {
    try {
      return { messageId: record.Sns.MessageId, body: JSON.parse(record.Sns.Message) as unknown };
    } catch {
      return { messageId: record.Sns.MessageId, body: undefined };
    }
  });
}
