import { type OrgEvent, type OrgEventKind, originKey } from "./org-event";

/**
 * What a ledger knows of one address's organization bans: per origin (account/region), the newest ban event seen.
 * The central ledger and every member keep this same state and fold events into it with {@link foldOrgEvent}, so
 * that at-least-once, late, duplicated and reordered delivery all end in the same state: per origin the event
 * with the greatest (bannedAt, banNumber, end-after-start) wins, whatever the order they came in.
 */

/** The newest ban event of one origin for one address. */
export interface OriginBan {
  readonly kind: Exclude<OrgEventKind, "sighting">;
  readonly jail: string;
  readonly banNumber: number;
  readonly bannedAt: number;
  /** Null: permanent. */
  readonly endsAt: number | null;
  readonly at: number;
  readonly eventId: string;
  readonly reason?: string;
}

/** One address's organization bans, by origin key. */
export interface OrgBanState {
  readonly ip: string;
  readonly origins: Readonly<Record<string, OriginBan>>;
}

/** How an event changed a state. */
export type FoldOutcome = "applied" | "duplicate" | "stale";

/** The ban an address is under in the organization at a time, merged over its origins. */
export interface ActiveOrgBan {
  readonly ip: string;
  /** The latest end over the active origins; null when one of them is permanent. */
  readonly endsAt: number | null;
  /** Origin keys whose ban is in force, sorted. */
  readonly origins: readonly string[];
  /** The jail of the origin whose ban lasts longest. */
  readonly jail: string;
  readonly banNumber: number;
  readonly reason: string;
}

/** Folds one event into the state. Sightings are not bans: the threshold (org-threshold.ts) reads them. */
export function foldOrgEvent(
  state: OrgBanState | undefined,
  event: OrgEvent,
): { readonly state: OrgBanState; readonly outcome: FoldOutcome } {
  const current = state ?? { ip: event.ip, origins: {} };
  if (event.kind === "sighting") return { state: current, outcome: "stale" };
  const key = originKey(event.origin);
  const incoming = originBanOf(event as OrgEvent & { kind: OriginBan["kind"] });
  const known = current.origins[key];
  if (known !== undefined) {
    const order = compareOriginBans(incoming, known);
    if (order === 0) return { state: current, outcome: "duplicate" };
    if (order < 0) return { state: current, outcome: "stale" };
  }
  return { state: { ip: current.ip, origins: { ...current.origins, [key]: incoming } }, outcome: "applied" };
}

/** Per origin the newer of the two: what a member that missed events learns from the central ledger. */
export function mergeOrgStates(ours: OrgBanState | undefined, theirs: OrgBanState): OrgBanState {
  const origins: Record<string, OriginBan> = { ...(ours?.origins ?? {}) };
  for (const [key, ban] of Object.entries(theirs.origins)) {
    const known = origins[key];
    if (known === undefined || compareOriginBans(ban, known) > 0) origins[key] = ban;
  }
  return { ip: theirs.ip, origins };
}

/** True when merging `theirs` into `ours` changes something. */
export function teachesSomething(ours: OrgBanState | undefined, theirs: OrgBanState): boolean {
  return Object.entries(theirs.origins).some(([key, ban]) => {
    const known = ours?.origins[key];
    return known === undefined || compareOriginBans(ban, known) > 0;
  });
}

/** The organization ban in force at `nowSeconds`, merged over the origins; undefined when none is. */
export function activeOrgBan(state: OrgBanState | undefined, nowSeconds: number): ActiveOrgBan | undefined {
  if (state === undefined) return undefined;
  const active = Object.entries(state.origins)
    .filter(([, ban]) => isInForce(ban, nowSeconds))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (active.length === 0) return undefined;
  const longest = active.reduce((best, entry) => (lastsLonger(entry[1], best[1]) ? entry : best));
  const [origin, ban] = longest;
  return {
    ip: state.ip,
    endsAt: ban.endsAt,
    origins: active.map(([key]) => key),
    jail: ban.jail,
    banNumber: ban.banNumber,
    reason: `organization: banned by ${origin} (${ban.jail}, ban #${ban.banNumber})${ban.reason ? `: ${ban.reason}` : ""}`,
  };
}

/** The latest end of the state's bans (what a ledger indexes the address by); undefined when none is a ban. */
export function latestEnd(state: OrgBanState): number | null | undefined {
  let latest: number | undefined;
  for (const ban of Object.values(state.origins)) {
    if (ban.kind === "unban" || ban.kind === "expiry") continue;
    if (ban.endsAt === null) return null;
    latest = Math.max(latest ?? 0, ban.endsAt);
  }
  return latest;
}

function isInForce(ban: OriginBan, nowSeconds: number): boolean {
  if (ban.kind === "unban" || ban.kind === "expiry") return false;
  return ban.endsAt === null || ban.endsAt > nowSeconds;
}

function lastsLonger(a: OriginBan, b: OriginBan): boolean {
  if (b.endsAt === null) return false;
  return a.endsAt === null || a.endsAt > b.endsAt;
}

/**
 * Orders two events of one origin and address: the later ban wins (bannedAt, then banNumber: a renewal in place
 * keeps neither), and of one ban its end (unban, expiry) beats its start (ban, increment). An unban older than the
 * ban it would lift therefore loses to it.
 */
export function compareOriginBans(a: OriginBan, b: OriginBan): number {
  return a.bannedAt - b.bannedAt || a.banNumber - b.banNumber || endRank(a) - endRank(b) || endOrder(a, b);
}

function endRank(ban: OriginBan): number {
  return ban.kind === "unban" || ban.kind === "expiry" ? 1 : 0;
}

/** Same ban, same phase: an increment's longer end is news; otherwise it is the same event again. */
function endOrder(a: OriginBan, b: OriginBan): number {
  if (a.endsAt === b.endsAt) return 0;
  if (a.endsAt === null) return 1;
  if (b.endsAt === null) return -1;
  return a.endsAt - b.endsAt;
}

function originBanOf(event: OrgEvent & { kind: OriginBan["kind"] }): OriginBan {
  return {
    kind: event.kind,
    jail: event.jail,
    banNumber: event.banNumber,
    bannedAt: event.bannedAt,
    endsAt: event.endsAt,
    at: event.at,
    eventId: event.id,
    ...(event.reason === undefined ? {} : { reason: event.reason }),
  };
}
