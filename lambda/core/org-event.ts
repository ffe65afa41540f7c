import { z } from "zod";
import { canonicalIp } from "./ip";

/**
 * The organization event contract (issue 16): what one account tells the others about a ban of a jail with
 * `share = organization`. It travels as the `detail` of an EventBridge event (source {@link ORG_EVENT_SOURCE},
 * detail-type from {@link ORG_DETAIL_TYPES}) to the central bus, then to every member's enforcer.
 *
 * An event names its ban by origin (account and region), address and `bannedAt`: the pair (bannedAt, banNumber)
 * orders the bans of one origin and address, and an unban or expiry names the ban it ends. Nothing else is needed
 * to apply events delivered at least once, late and out of order (org-ban-state.ts).
 */

/** EventBridge `source` of every cloudjail event. */
export const ORG_EVENT_SOURCE = "cloudjail";

/** What happened to the ban. `increment` is a repeat ban whose bantime grew (banNumber > 1). */
export type OrgEventKind = "ban" | "increment" | "unban" | "expiry" | "sighting";

export const ORG_EVENT_KINDS: readonly OrgEventKind[] = ["ban", "increment", "unban", "expiry", "sighting"];

/** EventBridge `detail-type` per kind: rules and subscriptions filter on it. */
export const ORG_DETAIL_TYPES: Readonly<Record<OrgEventKind, string>> = {
  ban: "cloudjail ban",
  increment: "cloudjail increment",
  unban: "cloudjail unban",
  expiry: "cloudjail expiry",
  sighting: "cloudjail sighting",
};

/** Where a ban was decided. */
export interface OrgOrigin {
  readonly account: string;
  readonly region: string;
}

/** The `detail` of a cloudjail organization event. Times in epoch seconds. */
export interface OrgEvent {
  readonly version: 1;
  /** Deterministic (origin, address, bannedAt, kind): a publisher's retry sends the same id. */
  readonly id: string;
  readonly kind: OrgEventKind;
  readonly share: "organization";
  readonly origin: OrgOrigin;
  /** The origin's jail (a member records the ban under `org:<jail>`). */
  readonly jail: string;
  /** Canonical text form. */
  readonly ip: string;
  /** The origin's ban number of the address (1 = first ban; bantime.increment grows with it). */
  readonly banNumber: number;
  /** When the origin's ban began; an unban or expiry carries the bannedAt of the ban it ends. */
  readonly bannedAt: number;
  /** End of the ban (null: permanent); for a sighting, the end of the origin's findtime window. */
  readonly endsAt: number | null;
  /** When the origin sent it (for an unban, when it was lifted). */
  readonly at: number;
  readonly reason?: string;
  /** Sightings only: the jail's findtime, for the organization threshold. */
  readonly findtime?: number;
}

const accountId = z.string().regex(/^\d{12}$/, "expected a 12-digit account id");
const seconds = z.number().int().nonnegative();

/** zod schema of {@link OrgEvent}: what a member accepts at its edge. */
export const orgEventSchema = z.strictObject({
  version: z.literal(1),
  id: z.string().min(1).max(300),
  kind: z.enum(ORG_EVENT_KINDS),
  share: z.literal("organization"),
  origin: z.strictObject({ account: accountId, region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/) }),
  jail: z.string().min(1).max(64),
  ip: z.string().min(2).max(45),
  banNumber: z.number().int().positive(),
  bannedAt: seconds,
  endsAt: seconds.nullable(),
  at: seconds,
  reason: z.string().max(500).optional(),
  findtime: z.number().int().positive().optional(),
});

/** A detail that is not a valid event: the message says which field and why. */
export class OrgEventError extends Error {
  override readonly name = "OrgEventError";
}

/** Validates a detail; the address must be canonical (what every table and NACL entry is keyed by). */
export function parseOrgEvent(value: unknown): OrgEvent {
  const parsed = orgEventSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OrgEventError(`${issue?.path.join(".") || "(detail)"}: ${issue?.message ?? "invalid"}`);
  }
  const ip = canonicalIp(parsed.data.ip);
  if (ip !== parsed.data.ip) {
    throw new OrgEventError(`ip: "${parsed.data.ip}" is not a canonical address${ip ? ` (${ip})` : ""}`);
  }
  if (parsed.data.id !== orgEventId(parsed.data)) {
    throw new OrgEventError(`id: "${parsed.data.id}" does not name this event (${orgEventId(parsed.data)})`);
  }
  return parsed.data as OrgEvent;
}

/** `123456789012/eu-west-1/203.0.113.9/1795608000/ban`. */
export function orgEventId(event: Pick<OrgEvent, "origin" | "ip" | "bannedAt" | "kind">): string {
  return `${originKey(event.origin)}/${event.ip}/${event.bannedAt}/${event.kind}`;
}

/** `123456789012/eu-west-1`: one origin's key in a ledger. */
export function originKey(origin: OrgOrigin): string {
  return `${origin.account}/${origin.region}`;
}

/** The prefix of the jail name under which a member records a ban that came from the organization. */
export const ORG_JAIL_PREFIX = "org:";

/** True when a local ban's jail says it came from the organization (and may be lifted by it). */
export function isOrgJail(jail: string): boolean {
  return jail.startsWith(ORG_JAIL_PREFIX);
}
