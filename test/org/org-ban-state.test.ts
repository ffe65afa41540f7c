import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  activeOrgBan,
  foldOrgEvent,
  mergeOrgStates,
  type OrgBanState,
} from "../../lambda/core/org-ban-state";
import { type OrgEvent, OrgEventError, parseOrgEvent } from "../../lambda/core/org-event";
import { ACCOUNT_B, orgEvent } from "./org-event-fixtures";

const T = 1_795_608_000;
const fold = (events: readonly OrgEvent[]) =>
  events.reduce<OrgBanState | undefined>((state, event) => foldOrgEvent(state, event).state, undefined);

describe("the organization event contract", () => {
  it("accepts what the publisher writes and rejects what it never would", () => {
    const event = orgEvent("ban", { bannedAt: T });
    expect(parseOrgEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
    expect(event.id).toBe("111111111111/eu-west-1/203.0.113.9/1795608000/ban");
    const fails = (detail: unknown) => () => parseOrgEvent(detail);
    expect(fails({ ...event, ip: "203.000.113.9" })).toThrow(OrgEventError);
    expect(fails({ ...event, ip: "2001:DB8::1", id: "x" })).toThrow(/ip: "2001:DB8::1" is not a canonical/);
    expect(fails({ ...event, origin: { account: "12", region: "eu-west-1" } })).toThrow(/origin\.account/);
    expect(fails({ ...event, share: "local" })).toThrow(/share/);
    expect(fails({ ...event, extra: 1 })).toThrow(OrgEventError);
    // An id that names another event (a replay with a doctored body) is refused.
    expect(fails({ ...event, id: orgEvent("unban", { bannedAt: T }).id })).toThrow(
      /does not name this event/,
    );
  });
});

describe("folding organization events", () => {
  const ban = orgEvent("ban", { bannedAt: T, endsAt: T + 3600 });
  const unban = orgEvent("unban", { bannedAt: T, endsAt: T + 3600, at: T + 60 });
  const second = orgEvent("increment", { bannedAt: T + 7200, banNumber: 2, endsAt: T + 7200 + 7200 });

  it("applies a ban and reports a second delivery as a duplicate that changes nothing", () => {
    const once = foldOrgEvent(undefined, ban);
    expect(once.outcome).toBe("applied");
    const twice = foldOrgEvent(once.state, ban);
    expect(twice).toEqual({ state: once.state, outcome: "duplicate" });
    expect(activeOrgBan(once.state, T + 1)?.endsAt).toBe(T + 3600);
  });

  it("ignores a ban that arrives after its own unban, and an unban older than the ban it would lift", () => {
    expect(activeOrgBan(fold([unban, ban]), T + 1)).toBeUndefined();
    expect(foldOrgEvent(fold([unban]), ban).outcome).toBe("stale");
    const later = fold([second, unban]);
    expect(foldOrgEvent(fold([second]), unban).outcome).toBe("stale");
    expect(activeOrgBan(later, T + 7201)?.banNumber).toBe(2);
  });

  it("merges origins: the address stays banned until the last origin's ban ends", () => {
    const fromB = orgEvent("ban", { origin: ACCOUNT_B, bannedAt: T + 10, endsAt: T + 9000 });
    const state = fold([ban, fromB, unban]);
    const active = activeOrgBan(state, T + 100);
    expect(active?.origins).toEqual(["222222222222/us-east-1"]);
    expect(active?.endsAt).toBe(T + 9000);
    expect(activeOrgBan(state, T + 9000)).toBeUndefined();
    const permanent = fold([ban, orgEvent("ban", { origin: ACCOUNT_B, bannedAt: T + 5, endsAt: null })]);
    expect(activeOrgBan(permanent, T + 10 ** 8)?.endsAt).toBeNull();
  });

  it("ends in the same state whatever the order and however often each event is delivered", () => {
    const events = [
      ban,
      unban,
      second,
      orgEvent("expiry", { bannedAt: T + 7200, banNumber: 2, endsAt: T + 14400, at: T + 14400 }),
      orgEvent("ban", { origin: ACCOUNT_B, bannedAt: T + 30, endsAt: T + 500 }),
      orgEvent("unban", { origin: ACCOUNT_B, bannedAt: T + 30, endsAt: T + 500, at: T + 40 }),
      orgEvent("ban", { origin: ACCOUNT_B, bannedAt: T + 600, banNumber: 2, endsAt: T + 20000 }),
    ];
    const expected = fold(events);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: events.length - 1 }), { minLength: 0, maxLength: 20 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (extra, keys) => {
          // Every event at least once, some again, in a random order.
          const delivered = [...events, ...extra.map((index) => events[index] as OrgEvent)];
          const shuffled = delivered
            .map((event) => ({ event, key: keys.next().value as number }))
            .sort((a, b) => a.key - b.key)
            .map(({ event }) => event);
          expect(fold(shuffled)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
    expect(activeOrgBan(expected, T + 15000)?.origins).toEqual(["222222222222/us-east-1"]);
  });

  it("teaches a member that missed events what the central ledger knows, without undoing what it knows better", () => {
    const member = fold([ban]);
    const central = fold([ban, unban]) as OrgBanState;
    expect(activeOrgBan(mergeOrgStates(member, central), T + 100)).toBeUndefined();
    const ahead = fold([second]);
    expect(mergeOrgStates(ahead, central)).toEqual(ahead);
  });
});
