import { type OrgEvent, type OrgEventKind, type OrgOrigin, orgEventId } from "../../lambda/core/org-event";

export const ACCOUNT_A: OrgOrigin = { account: "111111111111", region: "eu-west-1" };
export const ACCOUNT_B: OrgOrigin = { account: "222222222222", region: "us-east-1" };

/** An organization event as the publisher writes it; `bannedAt` in epoch seconds. */
export function orgEvent(
  kind: OrgEventKind,
  fields: Partial<Omit<OrgEvent, "kind" | "id">> & { readonly bannedAt: number },
): OrgEvent {
  const origin = fields.origin ?? ACCOUNT_A;
  const ip = fields.ip ?? "203.0.113.9";
  const event: Omit<OrgEvent, "id"> = {
    version: 1,
    kind,
    share: "organization",
    origin,
    jail: fields.jail ?? "sshd",
    ip,
    banNumber: fields.banNumber ?? 1,
    bannedAt: fields.bannedAt,
    endsAt: fields.endsAt === undefined ? fields.bannedAt + 3600 : fields.endsAt,
    at: fields.at ?? fields.bannedAt,
    ...(fields.reason === undefined ? {} : { reason: fields.reason }),
    ...(fields.findtime === undefined ? {} : { findtime: fields.findtime }),
  };
  return { ...event, id: orgEventId(event) };
}
