import { describe, expect, it } from "vitest";
import {
  type BatchFailure,
  countedKey,
  countFailures,
  decideBan,
  type FailureGroup,
  groupFailures,
  WINDOW_LIMITS,
} from "../../../lambda/core/batch";
import type { Failure } from "../../../lambda/core/types";
import { recidiveJail, sshdJail } from "../../support/jails";

const NOW = Date.parse("2026-11-25T12:00:00Z");
const jail = sshdJail();

function failure(ip: string, line: number, at?: number): Failure {
  return {
    ip,
    at,
    line,
    patternId: "sshd.failed-password",
    family: "normal",
    text: `sshd[${line}]: Failed password for root from ${ip} port 22 ssh2`,
  };
}

function failures(count: number, start = 0, spacingMs = 1000): BatchFailure[] {
  return Array.from({ length: count }, (_, index) => ({
    eventId: `event-${start + index}`,
    at: NOW - 60_000 + (start + index) * spacingMs,
    patternId: "sshd.failed-password",
    text: `line ${start + index}`,
  }));
}

function group(list: BatchFailure[], ip = "203.0.113.9"): FailureGroup {
  return { jail, ip, failures: list };
}

describe("the key a window remembers an event id by", () => {
  it("is 12 characters, stable, and tells 100,000 CloudWatch-like ids apart", () => {
    const ids = Array.from(
      { length: 100_000 },
      (_, index) => `3195310660696698337880902507980421114328961542${String(index).padStart(10, "0")}`,
    );
    const keys = ids.map(countedKey);
    expect(new Set(keys.map((key) => key.length))).toEqual(new Set([12]));
    expect(new Set(keys).size).toBe(ids.length);
    expect(countedKey(ids[7] as string)).toBe(keys[7]);
    expect(countedKey("e1")).not.toBe(countedKey("e1#2"));
  });
});

describe("grouping a batch's failures", () => {
  const events = [1, 2, 3, 4].map((index) => ({ id: `e${index}`, timestamp: NOW + index }));

  it("groups by jail and IP and ties each failure to its event", () => {
    const { groups } = groupFailures(
      new Map([
        [jail, [failure("203.0.113.9", 1), failure("198.51.100.7", 2), failure("203.0.113.9", 4, NOW - 5)]],
      ]),
      events,
    );
    expect(groups.map((entry) => [entry.ip, entry.failures.map((item) => item.eventId)])).toEqual([
      ["203.0.113.9", ["e4", "e1"]],
      ["198.51.100.7", ["e2"]],
    ]);
  });

  it("uses the event's time when the line has none", () => {
    const { groups } = groupFailures(new Map([[jail, [failure("203.0.113.9", 3)]]]), events);
    expect(groups[0]?.failures[0]?.at).toBe(NOW + 3);
  });

  it("drops ignoreip addresses before anything is counted", () => {
    const { groups, ignored } = groupFailures(
      new Map([[sshdJail({ ignoreip: ["203.0.113.0/24"] }), [failure("203.0.113.9", 1), failure("::1", 2)]]]),
      events,
    );
    expect(groups.map((entry) => entry.ip)).toEqual(["::1"]);
    expect(ignored).toBe(1);
  });
});

describe("counting a group into its window", () => {
  it("reaches maxretry with the fifth failure inside findtime", () => {
    expect(countFailures(undefined, group(failures(4)), NOW, undefined).reached).toBe(false);
    expect(countFailures(undefined, group(failures(5)), NOW, undefined).reached).toBe(true);
  });

  it("adds nothing when the same batch arrives again", () => {
    const first = countFailures(undefined, group(failures(3)), NOW, undefined);
    const again = countFailures(first.state, group(failures(3)), NOW + 1000, undefined);
    expect(again.fresh).toHaveLength(0);
    expect(again.state.failureTimes).toEqual(first.state.failureTimes);
    expect(again.state.totalFailures).toBe(3);
    const third = countFailures(again.state, group(failures(3)), NOW + 2000, undefined);
    expect(third.state.totalFailures).toBe(3);
    expect(third.reached).toBe(false);
  });

  it("counts the new events of an overlapping batch once", () => {
    const first = countFailures(undefined, group(failures(3)), NOW, undefined);
    const overlap = countFailures(first.state, group(failures(3, 1)), NOW, undefined);
    expect(overlap.fresh.map((item) => item.eventId)).toEqual(["event-3"]);
    expect(overlap.state.totalFailures).toBe(4);
  });

  it("forgets failures older than findtime, and their event ids", () => {
    const old = countFailures(undefined, group(failures(4)), NOW, undefined);
    const later = NOW + 700_000;
    const recent = { ...failures(1, 10)[0], at: later - 1000 } as BatchFailure;
    const next = countFailures(old.state, group([recent]), later, undefined);
    expect(next.state.failureTimes).toHaveLength(1);
    expect(Object.keys(next.state.counted)).toEqual([countedKey("event-10")]);
    expect(next.reached).toBe(false);
  });

  it("keeps failures an earlier ban used out of the window, but still reports them", () => {
    const previous = countFailures(undefined, group(failures(4)), NOW, undefined).state;
    const resetAt = NOW - 60_000 + 3_000;
    const next = countFailures(previous, group(failures(1, 4)), NOW, resetAt);
    expect(next.state.failureTimes).toHaveLength(1);
    expect(next.reached).toBe(false);
    expect(next.state.totalFailures).toBe(5);
  });

  it("caps the remembered lines and ids", () => {
    const many = countFailures(
      undefined,
      { jail: sshdJail({ maxretry: 1000 }), ip: "x", failures: failures(300, 0, 1) },
      NOW,
      undefined,
    );
    expect(many.state.lines).toHaveLength(WINDOW_LIMITS.lines);
    // A window keeps the lines that can reach maxretry, no more.
    expect(countFailures(undefined, group(failures(8)), NOW, undefined).state.lines).toEqual([
      "line 3",
      "line 4",
      "line 5",
      "line 6",
      "line 7",
    ]);
    expect(many.state.lines.at(-1)).toBe("line 299");
    expect(Object.keys(many.state.counted)).toHaveLength(WINDOW_LIMITS.countedIds);
    expect(many.state.failureTimes).toHaveLength(300);
  });
});

describe("deciding a ban", () => {
  const random = () => 0;

  it("bans for bantime the first time, with a reason naming the window", () => {
    const decision = decideBan(
      jail,
      "203.0.113.9",
      undefined,
      5,
      ["sshd.failed-password"],
      [jail],
      NOW,
      random,
    );
    expect(decision).toMatchObject({ jail: "sshd", seconds: 3600, banNumber: 1, endsAt: NOW / 1000 + 3600 });
    expect(decision.reason).toBe("5 failures within 10m (maxretry 5); this batch: sshd.failed-password x1");
  });

  it("doubles the ban with bantime.increment, counting this jail's earlier bans", () => {
    const increasing = sshdJail({ increment: { enabled: true, factor: 1, overalljails: false } });
    const history = { banCount: 5, banCountByJail: { sshd: 2, other: 3 }, recentBans: [] };
    const decision = decideBan(increasing, "203.0.113.9", history, 5, [], [increasing], NOW, random);
    expect(decision).toMatchObject({ seconds: 4 * 3600, banNumber: 3 });
  });

  it("counts every jail's bans with bantime.overalljails", () => {
    const overall = sshdJail({ increment: { enabled: true, factor: 1, overalljails: true } });
    const history = { banCount: 3, banCountByJail: { sshd: 1 }, recentBans: [] };
    expect(decideBan(overall, "203.0.113.9", history, 5, [], [overall], NOW, random).banNumber).toBe(4);
  });

  it("makes a permanent ban end never", () => {
    const forever = sshdJail({ bantime: -1 });
    expect(decideBan(forever, "203.0.113.9", undefined, 5, [], [forever], NOW, random)).toMatchObject({
      seconds: -1,
      endsAt: null,
    });
  });

  it("hands a repeat offender to the recidive jail once it counts enough bans inside its findtime", () => {
    const recidive = recidiveJail({ maxretry: 3 });
    const bannedAt = (hoursAgo: number) => NOW / 1000 - hoursAgo * 3600;
    const history = {
      banCount: 3,
      banCountByJail: { sshd: 3 },
      recentBans: [
        { jail: "sshd", bannedAt: bannedAt(30) },
        { jail: "sshd", bannedAt: bannedAt(5) },
        { jail: "sshd", bannedAt: bannedAt(2) },
      ],
    };
    const decision = decideBan(jail, "203.0.113.9", history, 5, [], [jail, recidive], NOW, random);
    expect(decision).toMatchObject({ jail: "recidive", seconds: 604_800, banNumber: 1 });
    expect(decision.reason).toMatch(/^3 bans within 1d/);
    const fewer = { ...history, recentBans: history.recentBans.slice(0, 2) };
    expect(decideBan(jail, "203.0.113.9", fewer, 5, [], [jail, recidive], NOW, random).jail).toBe("sshd");
  });
});

describe("keys of failures from one multi-line event", () => {
  it("gives the second failure of an event its own stable key", () => {
    const { groups } = groupFailures(
      new Map([[jail, [failure("203.0.113.9", 1), failure("203.0.113.9", 1)]]]),
      [{ id: "e1", timestamp: NOW }],
    );
    expect(groups[0]?.failures.map((item) => item.eventId)).toEqual(["e1", "e1#2"]);
  });
});
