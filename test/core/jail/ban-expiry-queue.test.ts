import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BanExpiryQueue } from "../../../lambda/core/ban-expiry-queue";

describe("BanExpiryQueue", () => {
  it("hands out the bans due by a time, earliest first, and keeps the rest", () => {
    const queue = new BanExpiryQueue();
    for (const [until, ip] of [
      [30, "c"],
      [10, "a"],
      [20, "b"],
      [40, "d"],
    ] as const)
      queue.add({ until, jail: "sshd", ip });
    expect(queue.takeDue(25).map((ban) => ban.ip)).toEqual(["a", "b"]);
    expect(queue.takeDue(25)).toEqual([]);
    expect(queue.size).toBe(2);
    expect(queue.takeDue(40).map((ban) => ban.ip)).toEqual(["c", "d"]);
  });

  it("keeps the order of addition for bans ending at the same moment", () => {
    const queue = new BanExpiryQueue();
    for (const ip of ["x", "y", "z", "w"]) queue.add({ until: 5, jail: "sshd", ip });
    expect(queue.takeDue(5).map((ban) => ban.ip)).toEqual(["x", "y", "z", "w"]);
  });

  it("releases any set of bans in the order a stable sort by end gives", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }),
        fc.integer({ min: 0, max: 50 }),
        (ends, now) => {
          const queue = new BanExpiryQueue();
          ends.forEach((until, index) => {
            queue.add({ until, jail: "j", ip: String(index) });
          });
          const expected = ends
            .map((until, index) => ({ until, ip: String(index) }))
            .filter((ban) => ban.until <= now)
            .sort((a, b) => a.until - b.until)
            .map((ban) => ban.ip);
          expect(queue.takeDue(now).map((ban) => ban.ip)).toEqual(expected);
          expect(queue.size).toBe(ends.filter((until) => until > now).length);
        },
      ),
    );
  });
});
