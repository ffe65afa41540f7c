import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type IpRecord,
  MARK_GRACE_MS,
  type WindowBlock,
  windowBlockKey,
  windowEntryKey,
} from "../../lambda/aws/store-items";
import { BLOCK_BUDGET, planBlock } from "../../lambda/aws/window-blocks";
import type { FailureGroup } from "../../lambda/core/batch";
import { sshdJail } from "../support/jails";
import { recordAfterOneBan } from "../support/records";
import { windowOf } from "../support/window-blocks";

const NOW = Date.parse("2026-11-25T12:00:00Z");
const jail = sshdJail();
const POLICY = { jails: [jail], restrictToJailPorts: false, random: () => 0 };
// 203.0.113.4 and .8 share a block shard (the hash of the address picks one of four).
const A = "203.0.113.4";
const B = "203.0.113.8";
const KEY = windowBlockKey(A);

/** `count` failures of `ip`, a second apart from `NOW - 30 s + first s`. */
function group(ip: string, count: number, first = 0, owner = jail): FailureGroup {
  return {
    jail: owner,
    ip,
    failures: Array.from({ length: count }, (_, index) => ({
      eventId: `${ip}-${first + index}`,
      at: NOW - 30_000 + (first + index) * 1000,
      patternId: "sshd.failed-password",
      text: `Failed password for root from ${ip}`,
    })),
  };
}

function stored(plan: ReturnType<typeof planBlock>, version = 1): WindowBlock {
  return { ...(plan.item as Omit<WindowBlock, "version">), version };
}

/** The record a recorded ban leaves: its windowResetAt confirms marks up to that time. */
function recordReset(ip: string, windowResetAt: number): IpRecord {
  return { ...recordAfterOneBan(ip), windowResetAt, version: 1 };
}

describe("counting a batch into a window block", () => {
  it("puts both addresses in the one shard item", () => {
    expect(windowBlockKey(B)).toEqual(KEY);
    const plan = planBlock(KEY, undefined, [group(A, 2), group(B, 3)], new Map(), NOW, "request-1", POLICY);
    expect(plan.verdicts).toEqual([
      { kind: "counted", failures: 2 },
      { kind: "counted", failures: 3 },
    ]);
    expect(plan.item).toMatchObject({ kind: "windows", block: "203.0.113.0/24", marks: {} });
    expect(plan.item?.windows[windowEntryKey("sshd", B)]?.failureTimes).toHaveLength(3);
  });

  it("writes nothing for a batch delivered again", () => {
    const first = planBlock(KEY, undefined, [group(A, 2)], new Map(), NOW, "request-1", POLICY);
    const again = planBlock(KEY, stored(first), [group(A, 2)], new Map(), NOW + 1000, "request-2", POLICY);
    expect(again).toEqual({ item: undefined, verdicts: [{ kind: "duplicate" }] });
  });

  it("marks the ban an address reaches, once even when two jails reach it in one batch", () => {
    const ddos = sshdJail({ name: "sshd-ddos" });
    const plan = planBlock(
      KEY,
      undefined,
      [group(A, 5), group(A, 5, 10, ddos)],
      new Map(),
      NOW,
      "request-1",
      POLICY,
    );
    expect(plan.verdicts[0]).toMatchObject({ kind: "ban", resumed: false });
    expect(plan.verdicts[1]).toEqual({ kind: "reported", failures: 5 });
    expect(plan.item?.marks[A]).toMatchObject({ jail: "sshd", at: NOW, by: "request-1" });
    expect(plan.item?.marks[A]?.failureTimes).toHaveLength(5);
    // The ban used the window: it goes, the block's totals keep its failures.
    expect(plan.item?.windows[windowEntryKey("sshd", A)]).toBeUndefined();
    expect(plan.item?.totals).toEqual({ sshd: 5 });
  });
});

describe("a ban mark", () => {
  const marked = stored(planBlock(KEY, undefined, [group(A, 5)], new Map(), NOW, "request-1", POLICY));

  it("makes another invocation report the address while the ban is in flight", () => {
    const plan = planBlock(KEY, marked, [group(A, 2, 20)], new Map(), NOW + 5000, "request-2", POLICY);
    expect(plan).toEqual({ item: undefined, verdicts: [{ kind: "reported", failures: 2 }] });
  });

  it("is resumed by a retry of the invocation that wrote it", () => {
    const plan = planBlock(KEY, marked, [group(A, 5)], new Map(), NOW + 60_000, "request-1", POLICY);
    expect(plan.verdicts[0]).toMatchObject({ kind: "ban", resumed: true, record: undefined, failures: 5 });
    // Nothing new to count and the mark stands: no write before the record.
    expect(plan.item).toBeUndefined();
  });

  it("is dropped once the record confirms it, and the address counts afresh", () => {
    const records = new Map([[A, recordReset(A, NOW)]]);
    const plan = planBlock(KEY, marked, [group(A, 2, 40)], records, NOW + 15_000, "request-2", POLICY);
    expect(plan.verdicts).toEqual([{ kind: "counted", failures: 2 }]);
    expect(plan.item?.marks).toEqual({});
    expect(plan.item?.windows[windowEntryKey("sshd", A)]?.failureTimes).toHaveLength(2);
  });

  it("leaves a redelivery of the banned lines to the ban that answered them: reported, nothing counted", () => {
    const records = new Map([[A, recordReset(A, NOW)]]);
    const plan = planBlock(KEY, marked, [group(A, 5)], records, NOW + 60_000, "request-9", POLICY);
    expect(plan.verdicts).toEqual([{ kind: "reported", failures: 5 }]);
    // Only the confirmed mark goes.
    expect(plan.item?.marks).toEqual({});
    expect(plan.item?.windows[windowEntryKey("sshd", A)]).toBeUndefined();
  });

  it("takes a redelivery arriving after findtime for a duplicate: nothing counted, reported or totalled", () => {
    const records = new Map([[A, recordReset(A, NOW)]]);
    const plan = planBlock(KEY, marked, [group(A, 5)], records, NOW + 3600_000, "request-9", POLICY);
    expect(plan.verdicts).toEqual([{ kind: "duplicate" }]);
    expect(plan.item?.totals).toEqual(marked.totals);
    // Only the confirmed mark goes.
    expect(plan.item?.marks).toEqual({});
    expect(plan.item?.windows[windowEntryKey("sshd", A)]).toBeUndefined();
  });

  it("goes, once confirmed, with the next write of its block, even when its address is only reported", () => {
    const records = new Map([
      [A, { ...recordReset(A, NOW), ban: { endsAt: Math.floor(NOW / 1000) + 3600 } } as IpRecord],
    ]);
    const alone = planBlock(KEY, marked, [group(A, 1, 40)], records, NOW + 15_000, "request-2", POLICY);
    expect(alone).toEqual({ item: undefined, verdicts: [{ kind: "reported", failures: 1 }] });
    const along = planBlock(
      KEY,
      marked,
      [group(A, 1, 40), group(B, 1)],
      records,
      NOW + 15_000,
      "request-2",
      POLICY,
    );
    expect(along.verdicts[0]).toEqual({ kind: "reported", failures: 1 });
    expect(along.item?.marks).toEqual({});
  });

  it("gives its failures and their event ids back when void, and they outlive the write that restores them", () => {
    const later = NOW + MARK_GRACE_MS + 1000;
    // A redelivery of one banned line, by another invocation, once the mark is void: nothing new to count.
    const first = planBlock(KEY, marked, [group(A, 1)], new Map(), later, "request-2", POLICY);
    expect(first.verdicts).toEqual([{ kind: "duplicate" }]);
    const restored = first.item?.windows[windowEntryKey("sshd", A)];
    expect(restored?.failureTimes).toHaveLength(5);
    expect(Object.keys(restored?.counted ?? {})).toHaveLength(5);
    // The same line once more: still nothing to count, the ids were kept.
    const again = planBlock(
      KEY,
      stored(first, 2),
      [group(A, 1)],
      new Map(),
      later + 1000,
      "request-3",
      POLICY,
    );
    expect(again).toEqual({ item: undefined, verdicts: [{ kind: "duplicate" }] });
  });

  it("is void past the grace period when its record never came: the failures inside findtime ban again", () => {
    const later = NOW + MARK_GRACE_MS + 1000;
    const fresh = { ...group(A, 1, 30), failures: [{ ...group(A, 1, 30).failures[0], at: later - 1000 }] };
    const plan = planBlock(KEY, marked, [fresh as FailureGroup], new Map(), later, "request-2", POLICY);
    expect(plan.verdicts[0]).toMatchObject({ kind: "ban", resumed: false });
    expect(plan.item?.marks[A]).toMatchObject({ by: "request-2", at: later });
  });
});

describe("the size of a block", () => {
  it("drops expired windows, then the oldest, to stay within its budget; never the batch's own", () => {
    const old = Array.from({ length: 400 }, (_, index) => {
      const ip = `203.0.113.${index % 250}`;
      const window = windowOf(ip, [NOW - 200_000 + index], { jail: `jail-${index}` });
      return {
        ...window,
        counted: Object.fromEntries(Array.from({ length: 5 }, (_, n) => [`${"9".repeat(56)}-${n}`, NOW])),
        lines: Array.from({ length: 5 }, () => "x".repeat(60)),
      };
    });
    const expired = { ...windowOf(B, [NOW - 90_000_000]), expiresAt: Math.floor(NOW / 1000) - 1 };
    const current: WindowBlock = {
      ...KEY,
      kind: "windows",
      block: "203.0.113.0/24",
      shard: 0,
      windows: Object.fromEntries(
        [...old, expired].map((window) => [windowEntryKey(window.jail, window.ip), window]),
      ),
      marks: {},
      totals: { sshd: 400 },
      version: 3,
    };
    expect(JSON.stringify(current.windows).length).toBeGreaterThan(BLOCK_BUDGET);
    const plan = planBlock(KEY, current, [group(A, 2)], new Map(), NOW, "request-1", POLICY);
    const windows = plan.item?.windows ?? {};
    expect(JSON.stringify(windows).length).toBeLessThanOrEqual(BLOCK_BUDGET);
    expect(windows[windowEntryKey("sshd", A)]?.failureTimes).toHaveLength(2);
    expect(windows[windowEntryKey("sshd", B)]).toBeUndefined();
    // What stays is the newest: every kept window failed later than every dropped one.
    const kept = old.filter((window) => windows[windowEntryKey(window.jail, window.ip)] !== undefined);
    const dropped = old.filter((window) => windows[windowEntryKey(window.jail, window.ip)] === undefined);
    expect(kept.length).toBeGreaterThan(0);
    expect(dropped.length).toBeGreaterThan(0);
    expect(Math.min(...kept.map((w) => w.lastFailureAt))).toBeGreaterThan(
      Math.max(...dropped.map((w) => w.lastFailureAt)),
    );
  });

  it("drops marks past their grace period, oldest first, when a /64 keeps rotating addresses", () => {
    const v6 = "2001:db8:7:9::1";
    const marks = Object.fromEntries(
      Array.from({ length: 3000 }, (_, index) => [
        `2001:db8:7:9::${(index + 2).toString(16)}`,
        {
          jail: "sshd",
          at: NOW - 14 * 60_000 + index,
          atIso: "",
          by: `request-${index}`,
          failureTimes: [NOW - 20 * 60_000],
          counted: {},
          windowExpiresAt: 0,
        },
      ]),
    );
    const recent = {
      jail: "sshd",
      at: NOW - 1000,
      atIso: "",
      by: "request-live",
      failureTimes: [NOW - 2000],
      counted: {},
      windowExpiresAt: 0,
    };
    const current: WindowBlock = {
      ...windowBlockKey(v6),
      kind: "windows",
      block: "2001:db8:7:9::/64",
      shard: 0,
      windows: {},
      marks: { ...marks, "2001:db8:7:9::ffff": recent },
      totals: {},
      version: 1,
    };
    expect(JSON.stringify(current.marks).length).toBeGreaterThan(BLOCK_BUDGET);
    const plan = planBlock(windowBlockKey(v6), current, [group(v6, 1)], new Map(), NOW, "request-1", POLICY);
    const kept = plan.item?.marks ?? {};
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(BLOCK_BUDGET);
    expect(kept["2001:db8:7:9::ffff"]).toEqual(recent);
    expect(kept["2001:db8:7:9::2"]).toBeUndefined();
    expect(kept["2001:db8:7:9::bb9"]).toBeDefined();
  });
});

describe("a block over any sequence of batches (property)", () => {
  const ADDRESSES = ["203.0.113.4", "203.0.113.8", "203.0.113.11", "203.0.113.15"];

  it("counts each event once, bans an address only when no ban of it is in force or in flight, and keeps its budget", () => {
    const batch = fc.record({
      // Events by index: a later batch may repeat earlier ones (a redelivery).
      events: fc.array(
        fc.record({ address: fc.integer({ min: 0, max: 3 }), id: fc.integer({ min: 0, max: 60 }) }),
        {
          minLength: 1,
          maxLength: 12,
        },
      ),
      invocation: fc.integer({ min: 0, max: 2 }),
      /** Whether the invocation records its bans (else it dies before: its marks stay unconfirmed). */
      records: fc.boolean(),
      // Time runs up to 590 s after the first event (below): every event stays inside findtime (10 minutes), where
      // its id is remembered, and marks can outlive their 5-minute grace.
      advance: fc.constantFrom(1_000, 10_000, 120_000),
    });
    fc.assert(
      fc.property(fc.array(batch, { minLength: 1, maxLength: 25 }), (batches) => {
        let block: WindowBlock | undefined;
        let now = NOW;
        const records = new Map<string, IpRecord>();
        const countedIds = new Set<string>();
        const delivered = new Set<string>();
        const bannedUntil = new Map<string, number>();
        const inFlight = new Map<string, { by: string; at: number }>();
        for (const { events, invocation, records: recordsBans, advance } of batches) {
          now = Math.min(now + advance, NOW + 590_000);
          const by = `request-${invocation}`;
          const groups = ADDRESSES.map((ip, index) => ({
            jail,
            ip,
            failures: events
              .filter((event) => event.address === index)
              .map((event) => ({
                eventId: `${ip}-${event.id}`,
                at: NOW + event.id * 1000,
                patternId: "sshd.failed-password",
                text: `event ${event.id}`,
              })),
          })).filter((group) => group.failures.length > 0);
          for (const group of groups) for (const failure of group.failures) delivered.add(failure.eventId);
          const plan = planBlock(KEY, block, groups, records, now, by, POLICY);
          plan.verdicts.forEach((verdict, index) => {
            const group = groups[index] as FailureGroup;
            if (verdict.kind === "ban" && !verdict.resumed) {
              for (const id of verdict.fresh.map((failure) => failure.eventId)) {
                expect(countedIds.has(id), `${id} counted twice`).toBe(false);
                countedIds.add(id);
              }
            }
            if (verdict.kind !== "ban") return;
            expect((bannedUntil.get(group.ip) ?? 0) > now, `${group.ip} banned while banned`).toBe(false);
            const flight = inFlight.get(group.ip);
            if (flight !== undefined && flight.by !== by) {
              expect(now - flight.at >= MARK_GRACE_MS, `${group.ip} banned while in flight`).toBe(true);
            }
            inFlight.set(group.ip, { by, at: verdict.resumed ? (flight?.at ?? now) : now });
            if (recordsBans) {
              bannedUntil.set(group.ip, now + 3600_000);
              records.set(group.ip, {
                ...recordReset(group.ip, now),
                ban: { endsAt: Math.floor(now / 1000) + 3600 },
              } as IpRecord);
              inFlight.delete(group.ip);
            }
          });
          if (plan.item !== undefined) {
            expect(JSON.stringify(plan.item.windows).length).toBeLessThanOrEqual(BLOCK_BUDGET);
            // No event counted twice: the block's total never exceeds the distinct events delivered.
            expect(plan.item.totals.sshd ?? 0).toBeLessThanOrEqual(delivered.size);
            block = { ...plan.item, version: (block?.version ?? 0) + 1 };
          }
          // Bans end: the unbanner lifts them from the records (their history stays).
          for (const [ip, until] of bannedUntil) {
            if (until <= now) {
              const { ban: _ended, ...rest } = records.get(ip) as IpRecord;
              records.set(ip, rest as IpRecord);
              bannedUntil.delete(ip);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
