import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDuration } from "../../../lambda/core/duration";
import { IpSet } from "../../../lambda/core/ip";
import { addFailures, banLength, banSeconds, isIgnored, PERMANENT } from "../../../lambda/core/policy";
import { makeJail } from "./make-jail";

const SECOND = 1000;
const never = () => 0;

describe("addFailures", () => {
  const jail = makeJail({ maxretry: 3, findtime: 300 });

  it("does not reach maxretry with fewer failures than maxretry", () => {
    const result = addFailures([], [0, 10 * SECOND], jail, 10 * SECOND);
    expect(result).toEqual({ window: [0, 10 * SECOND], reached: false });
  });

  it("reaches maxretry when the third failure falls inside findtime", () => {
    const first = addFailures([], [0], jail, 0);
    const second = addFailures(first.window, [100 * SECOND], jail, 100 * SECOND);
    const third = addFailures(second.window, [299 * SECOND], jail, 299 * SECOND);
    expect(second.reached).toBe(false);
    expect(third.reached).toBe(true);
  });

  it("forgets failures older than findtime", () => {
    const result = addFailures([0, 100 * SECOND], [300 * SECOND], jail, 300 * SECOND);
    expect(result).toEqual({ window: [100 * SECOND, 300 * SECOND], reached: false });
  });

  it("sorts failures that arrive out of order", () => {
    expect(addFailures([50], [10, 30], jail, 60).window).toEqual([10, 30, 50]);
  });

  it("keeps at most maxretry failures, the newest ones", () => {
    expect(addFailures([], [1, 2, 3, 4, 5], jail, 5).window).toEqual([3, 4, 5]);
  });

  it("keeps failures stamped slightly after now (clock skew)", () => {
    expect(addFailures([], [2 * SECOND], jail, SECOND).window).toEqual([2 * SECOND]);
  });

  it("with maxretry 1 bans on the first failure", () => {
    expect(addFailures([], [0], makeJail({ maxretry: 1 }), 0).reached).toBe(true);
  });
});

describe("addFailures properties", () => {
  const jailArb = fc.record({
    maxretry: fc.integer({ min: 1, max: 10 }),
    findtime: fc.integer({ min: 1, max: 86_400 }),
  });

  it("never reports a ban with fewer than maxretry failures inside findtime", () => {
    fc.assert(
      fc.property(
        jailArb,
        fc.array(fc.integer({ min: 0, max: 2_000_000 }), { maxLength: 30 }),
        (limits, times) => {
          const jail = makeJail(limits);
          const sorted = [...times].sort((a, b) => a - b);
          let window: readonly number[] = [];
          sorted.forEach((at, index) => {
            const result = addFailures(window, [at], jail, at);
            const seen = sorted.slice(0, index + 1);
            const inside = seen.filter((t) => at - t < jail.findtime * SECOND).length;
            expect(result.reached).toBe(inside >= jail.maxretry);
            window = result.window;
          });
        },
      ),
    );
  });

  it("always reports a ban when maxretry failures fall inside findtime", () => {
    fc.assert(
      fc.property(
        jailArb,
        fc.integer({ min: 0, max: 1e12 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (limits, start, spread) => {
          const jail = makeJail(limits);
          const span = Math.floor(spread * (jail.findtime * SECOND - 1));
          const times = Array.from(
            { length: jail.maxretry },
            (_, index) => start + Math.floor((span * index) / Math.max(1, jail.maxretry - 1)),
          );
          let result = { window: [] as readonly number[], reached: false };
          for (const at of times) result = addFailures(result.window, [at], jail, at);
          expect(result.reached).toBe(true);
        },
      ),
    );
  });
});

describe("banSeconds", () => {
  it("gives every ban the plain bantime without bantime.increment", () => {
    const jail = makeJail({ bantime: 3600 });
    expect([0, 1, 5].map((count) => banSeconds(jail, count, never))).toEqual([3600, 3600, 3600]);
  });

  it("keeps a permanent ban permanent", () => {
    expect(banSeconds(makeJail({ bantime: -1, increment: { enabled: true } }), 3, never)).toBe(PERMANENT);
  });

  it("doubles each repeat ban by default, like fail2ban's formula", () => {
    const jail = makeJail({ bantime: 600, increment: { enabled: true } });
    expect([0, 1, 2, 3, 4].map((count) => banSeconds(jail, count, never))).toEqual([
      600, 1200, 2400, 4800, 9600,
    ]);
  });

  it("matches fail2ban's own expectations with a one-day maxtime", () => {
    const jail = makeJail({ bantime: 600, increment: { enabled: true, maxtime: 86_400 } });
    const lengths = Array.from({ length: 10 }, (_, index) => banSeconds(jail, index + 1, never));
    expect(lengths).toEqual([1200, 2400, 4800, 9600, 19200, 38400, 76800, 86400, 86400, 86400]);
  });

  it("stops doubling after 20 earlier bans", () => {
    const jail = makeJail({ bantime: 1, increment: { enabled: true } });
    expect(banSeconds(jail, 25, never)).toBe(2 ** 20);
  });

  it("applies bantime.factor to repeat bans", () => {
    const jail = makeJail({ bantime: 600, increment: { enabled: true, factor: 3 } });
    expect([0, 1, 2].map((count) => banSeconds(jail, count, never))).toEqual([600, 3600, 7200]);
  });

  it("uses bantime.multipliers by ban count and keeps the last one", () => {
    const jail = makeJail({ bantime: 60, increment: { enabled: true, multipliers: [1, 5, 30, 60] } });
    expect([0, 1, 2, 3, 9].map((count) => banSeconds(jail, count, never))).toEqual([
      60, 300, 1800, 3600, 3600,
    ]);
  });

  it("never shortens a repeat ban when multipliers decrease", () => {
    const jail = makeJail({ bantime: 60, increment: { enabled: true, multipliers: [1, 10, 2] } });
    expect(banSeconds(jail, 2, never)).toBe(600);
  });

  it("adds up to rndtime seconds of jitter", () => {
    const jail = makeJail({ bantime: 600, increment: { enabled: true, rndtime: 100 } });
    expect(banSeconds(jail, 0, () => 0.5)).toBe(650);
    expect(banSeconds(jail, 1, () => 0.999)).toBe(1300);
  });

  it("caps the jittered length at maxtime", () => {
    const jail = makeJail({ bantime: 600, increment: { enabled: true, rndtime: 100, maxtime: 1250 } });
    expect(banSeconds(jail, 1, () => 0.9)).toBe(1250);
  });
});

describe("banSeconds properties", () => {
  const incrementArb = fc.record({
    bantime: fc.integer({ min: 1, max: 604_800 }),
    factor: fc.double({ min: 0.1, max: 10, noNaN: true }),
    multipliers: fc.option(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }), {
      nil: undefined,
    }),
    maxtime: fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: undefined }),
    rndtime: fc.option(fc.integer({ min: 1, max: 3600 }), { nil: undefined }),
  });

  it("never shortens a later ban and never exceeds maxtime", () => {
    fc.assert(
      fc.property(
        incrementArb,
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        ({ bantime, ...increment }, r) => {
          const jail = makeJail({ bantime, increment: { enabled: true, ...increment } });
          let previous = 0;
          for (let count = 0; count < 30; count++) {
            const seconds = banSeconds(jail, count, () => r);
            expect(seconds).toBeGreaterThanOrEqual(previous);
            if (increment.maxtime !== undefined) expect(seconds).toBeLessThanOrEqual(increment.maxtime);
            previous = seconds;
          }
        },
      ),
    );
  });
});

describe("isIgnored", () => {
  const jail = makeJail({ ignoreip: ["127.0.0.1/8", "::1", "103.1.2.3", "10.0.0.0/16", "2001:db8::/32"] });

  it("ignores addresses inside the listed CIDRs, IPv4 and IPv6", () => {
    expect(isIgnored(jail, "127.9.9.9")).toBe(true);
    expect(isIgnored(jail, "10.0.200.1")).toBe(true);
    expect(isIgnored(jail, "2001:db8:1::7")).toBe(true);
    expect(isIgnored(jail, "::1")).toBe(true);
  });

  it("does not ignore other addresses", () => {
    expect(isIgnored(jail, "10.1.0.1")).toBe(false);
    expect(isIgnored(jail, "103.1.2.4")).toBe(false);
    expect(isIgnored(jail, "2001:db9::1")).toBe(false);
  });

  it("recognises non-canonical spellings of an ignored address", () => {
    expect(isIgnored(jail, "::ffff:103.1.2.3")).toBe(true);
    expect(isIgnored(jail, "2001:DB8:0:0::1")).toBe(true);
  });

  it("never ignores text that is not an address", () => {
    expect(isIgnored(jail, "localhost")).toBe(false);
  });

  it("accepts a compiled set", () => {
    expect(isIgnored(new IpSet(["192.0.2.0/24"]), "192.0.2.77")).toBe(true);
  });
});

describe("isIgnored properties", () => {
  it("ignores every address of an ignored /24 and none outside it", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), (network, probe) => {
        const block = `${network.split(".").slice(0, 3).join(".")}.0/24`;
        const jail = makeJail({ ignoreip: [block] });
        const sameBlock = probe.split(".").slice(0, 3).join(".") === network.split(".").slice(0, 3).join(".");
        expect(isIgnored(jail, probe)).toBe(sameBlock);
      }),
    );
  });
});

describe("banLength", () => {
  it("says the first ban takes the plain bantime", () => {
    const jail = makeJail({ bantime: 3600, increment: { enabled: true } });
    expect(banLength(jail, 0, never)).toEqual({ seconds: 3600, rule: "bantime 1h (first ban) = 1h" });
    expect(banLength(makeJail({ bantime: 600 }), 4, never)).toEqual({
      seconds: 600,
      rule: "bantime 10m (bantime.increment off)",
    });
  });

  it("shows the doubling and the increment factor of a repeat ban", () => {
    const jail = makeJail({ bantime: 600, increment: { enabled: true, factor: 3 } });
    expect(banLength(jail, 2, never)).toEqual({
      seconds: 7200,
      rule: "bantime 10m x 2^2 (2 earlier bans) x factor 3 = 2h",
    });
  });

  it("names the multiplier used, the rndtime added and the maxtime cap", () => {
    const multiplied = makeJail({ bantime: 60, increment: { enabled: true, multipliers: [1, 5, 30] } });
    expect(banLength(multiplied, 1, never).rule).toBe(
      "bantime 1m x factor 1 x multiplier 5 (1 earlier ban) = 5m",
    );
    const capped = makeJail({ bantime: 600, increment: { enabled: true, maxtime: 3600, rndtime: 120 } });
    expect(banLength(capped, 3, () => 0.5)).toEqual({
      seconds: 3600,
      rule: "bantime 10m x 2^3 (3 earlier bans) x factor 1 + 1m of rndtime 2m (1h21m), capped by maxtime 1h = 1h",
    });
  });

  it("computes exactly the length banSeconds gives, for any history", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 86_400 }),
        fc.integer({ min: 0, max: 30 }),
        fc.option(fc.integer({ min: 1, max: 10 * 86_400 }), { nil: undefined }),
        (bantime, previous, maxtime) => {
          const jail = makeJail({ bantime, increment: { enabled: true, maxtime } });
          const { seconds, rule } = banLength(jail, previous, never);
          const expected = Math.min(
            bantime * 2 ** Math.min(previous, 20),
            maxtime ?? Number.POSITIVE_INFINITY,
          );
          expect(seconds).toBe(Math.round(expected));
          expect(rule.endsWith(`= ${formatDuration(seconds)}`)).toBe(true);
        },
      ),
    );
  });
});
