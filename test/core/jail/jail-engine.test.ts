import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_NACL_SETTINGS } from "../../../lambda/core/config";
import { type BanEvent, JailEngine } from "../../../lambda/core/jail-engine";
import type { JailConfig } from "../../../lambda/core/types";
import { makeJail } from "./make-jail";

const S = 1000;
const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const ATTACKER = "203.0.113.9";

const engineFor = (jails: JailConfig[], restrictToJailPorts = false) =>
  new JailEngine({ jails, nacl: { ...DEFAULT_NACL_SETTINGS, restrictToJailPorts } }, { random: () => 0 });

/** Feeds `count` failures of `ip`, `gap` seconds apart from `start`; returns every event. */
function attack(
  engine: JailEngine,
  jail: string,
  ip: string,
  start: number,
  count: number,
  gap = 10,
): BanEvent[] {
  const events: BanEvent[] = [];
  for (let index = 0; index < count; index++)
    events.push(...engine.pushFailure(jail, ip, start + index * gap * S));
  return events;
}

describe("JailEngine", () => {
  it("bans at the maxretry-th failure inside findtime, for bantime", () => {
    const engine = engineFor([makeJail()]);
    expect(attack(engine, "sshd", ATTACKER, T0, 2)).toEqual([]);
    expect(engine.pushFailure("sshd", ATTACKER, T0 + 20 * S)).toEqual([
      {
        action: "ban",
        jail: "sshd",
        ip: ATTACKER,
        at: T0 + 20 * S,
        until: T0 + 3620 * S,
        failures: 3,
        banCount: 1,
      },
    ]);
  });

  it("does not ban failures spread wider than findtime", () => {
    const engine = engineFor([makeJail({ findtime: 300 })]);
    expect(attack(engine, "sshd", ATTACKER, T0, 10, 151)).toEqual([]);
  });

  it("lifts the ban when bantime has passed", () => {
    const engine = engineFor([makeJail()]);
    attack(engine, "sshd", ATTACKER, T0, 3);
    expect(engine.advance(T0 + 3619 * S)).toEqual([]);
    expect(engine.advance(T0 + 3620 * S)).toEqual([
      {
        action: "unban",
        jail: "sshd",
        ip: ATTACKER,
        at: T0 + 3620 * S,
        until: null,
        failures: 0,
        banCount: 1,
      },
    ]);
    expect(engine.status("sshd").banned.size).toBe(0);
  });

  it("counts failures from a banned address for reporting without extending or repeating the ban", () => {
    const engine = engineFor([makeJail()]);
    attack(engine, "sshd", ATTACKER, T0, 3);
    expect(attack(engine, "sshd", ATTACKER, T0 + 60 * S, 9)).toEqual([]);
    expect(engine.status("sshd")).toMatchObject({ failures: 3, failuresWhileBanned: 9, bans: 1 });
    expect(engine.status("sshd").banned.get(ATTACKER)?.until).toBe(T0 + 3620 * S);
  });

  it("starts a fresh window after a ban", () => {
    const engine = engineFor([makeJail()]);
    attack(engine, "sshd", ATTACKER, T0, 3);
    const later = T0 + 3620 * S;
    const events = attack(engine, "sshd", ATTACKER, later, 3);
    expect(events.map((event) => [event.action, event.banCount])).toEqual([
      ["unban", 1],
      ["ban", 2],
    ]);
  });

  it("doubles repeat bans with bantime.increment and counts them", () => {
    const engine = engineFor([makeJail({ bantime: 600, increment: { enabled: true } })]);
    const lengths: number[] = [];
    let start = T0;
    for (let round = 0; round < 4; round++) {
      const ban = attack(engine, "sshd", ATTACKER, start, 3).find((event) => event.action === "ban");
      if (!ban?.until) throw new Error("expected a timed ban");
      lengths.push((ban.until - ban.at) / S);
      start = ban.until;
    }
    expect(lengths).toEqual([600, 1200, 2400, 4800]);
  });

  it("counts earlier bans across jails with bantime.overalljails", () => {
    const increment = { enabled: true, overalljails: true };
    const engine = engineFor([
      makeJail({ name: "a", bantime: 600, increment }),
      makeJail({ name: "b", bantime: 600, increment }),
    ]);
    attack(engine, "a", ATTACKER, T0, 3);
    const ban = attack(engine, "b", ATTACKER, T0 + 700 * S, 3).find((event) => event.action === "ban");
    expect(ban).toMatchObject({ jail: "b", banCount: 2, until: T0 + 720 * S + 1200 * S });
  });

  it("keeps per-jail ban counts without overalljails", () => {
    const increment = { enabled: true };
    const engine = engineFor([
      makeJail({ name: "a", bantime: 600, increment }),
      makeJail({ name: "b", bantime: 600, increment }),
    ]);
    attack(engine, "a", ATTACKER, T0, 3);
    expect(
      attack(engine, "b", ATTACKER, T0 + 700 * S, 3).find((event) => event.action === "ban"),
    ).toMatchObject({ banCount: 1 });
  });

  it("never lifts a permanent ban", () => {
    const engine = engineFor([makeJail({ bantime: -1 })]);
    expect(attack(engine, "sshd", ATTACKER, T0, 3)[0]).toMatchObject({ action: "ban", until: null });
    expect(engine.advance(T0 + 10 * 365 * 86_400 * S)).toEqual([]);
  });

  it("never bans an ignored address, and counts its failures apart", () => {
    const engine = engineFor([makeJail({ ignoreip: ["198.51.100.0/24", "2001:db8::/32"] })]);
    expect(attack(engine, "sshd", "198.51.100.7", T0, 50)).toEqual([]);
    expect(attack(engine, "sshd", "2001:db8::beef", T0 + 600 * S, 50)).toEqual([]);
    expect(engine.status("sshd")).toMatchObject({ ignoredFailures: 100, bans: 0 });
  });

  it("lets a ban in one jail block the address for every jail (deny all traffic)", () => {
    const engine = engineFor([makeJail({ name: "a" }), makeJail({ name: "b" })]);
    attack(engine, "a", ATTACKER, T0, 3);
    expect(attack(engine, "b", ATTACKER, T0 + 60 * S, 5)).toEqual([]);
    expect(engine.status("b").failuresWhileBanned).toBe(5);
  });

  it("keeps jails on different ports apart when deny entries are restricted to each jail's ports", () => {
    const engine = engineFor(
      [
        makeJail({ name: "a", port: [{ from: 22, to: 22 }] }),
        makeJail({ name: "b", port: [{ from: 2222, to: 2222 }] }),
      ],
      true,
    );
    attack(engine, "a", ATTACKER, T0, 3);
    expect(attack(engine, "b", ATTACKER, T0 + 60 * S, 3).map((event) => event.jail)).toEqual(["b"]);
  });

  it("takes failures on ports a restricted ban covers for blocked: the NACL drops them", () => {
    const ssh = [{ from: 22, to: 22 }];
    const engine = engineFor([makeJail({ name: "a", port: ssh }), makeJail({ name: "b", port: ssh })], true);
    attack(engine, "a", ATTACKER, T0, 3);
    expect(attack(engine, "b", ATTACKER, T0 + 60 * S, 3)).toEqual([]);
    expect(engine.status("b").failuresWhileBanned).toBe(3);
  });

  it("starts recidive's count afresh after a recidive ban, as fail2ban's failure tickets do", () => {
    const recidive = makeJail({
      name: "recidive",
      filter: "recidive",
      maxretry: 2,
      findtime: 86_400,
      bantime: 600,
    });
    const engine = engineFor([makeJail({ bantime: 600 }), recidive]);
    const jails: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const event of attack(engine, "sshd", ATTACKER, T0 + round * 1000 * S, 3))
        if (event.action === "ban") jails.push(event.jail);
    }
    expect(jails).toEqual(["sshd", "recidive", "sshd"]);
  });

  it("gives the recidive jail's long ban, instead of another short one, to an address banned repeatedly inside its window", () => {
    const recidive = makeJail({
      name: "recidive",
      filter: "recidive",
      maxretry: 3,
      findtime: 86_400,
      bantime: 604_800,
    });
    const engine = engineFor([makeJail({ bantime: 600 }), recidive]);
    const events: BanEvent[] = [];
    let start = T0;
    for (let round = 0; round < 3; round++) {
      events.push(...attack(engine, "sshd", ATTACKER, start, 3));
      start += 3600 * S;
    }
    expect(events.filter((event) => event.action === "ban").map((event) => event.jail)).toEqual([
      "sshd",
      "sshd",
      "recidive",
    ]);
    const recidiveBan = events.find((event) => event.jail === "recidive");
    expect(recidiveBan).toEqual({
      action: "ban",
      jail: "recidive",
      ip: ATTACKER,
      at: T0 + 7200 * S + 20 * S,
      until: T0 + 7220 * S + 604_800 * S,
      failures: 3,
      banCount: 1,
    });
  });

  it("keeps recidive's ban in force for every jail, also with deny entries restricted to jail ports", () => {
    const recidive = makeJail({
      name: "recidive",
      filter: "recidive",
      maxretry: 2,
      findtime: 86_400,
      bantime: 604_800,
    });
    const engine = engineFor(
      [makeJail({ bantime: 600 }), makeJail({ name: "other", bantime: 600 }), recidive],
      true,
    );
    attack(engine, "sshd", ATTACKER, T0, 3);
    attack(engine, "sshd", ATTACKER, T0 + 700 * S, 3);
    expect(attack(engine, "other", ATTACKER, T0 + 800 * S, 3)).toEqual([]);
    expect(engine.status("other").failuresWhileBanned).toBe(3);
  });

  it("does not let recidive count bans spread wider than its findtime", () => {
    const recidive = makeJail({
      name: "recidive",
      filter: "recidive",
      maxretry: 3,
      findtime: 3600,
      bantime: 604_800,
    });
    const engine = engineFor([makeJail({ bantime: 600 }), recidive]);
    const events: BanEvent[] = [];
    for (let round = 0; round < 5; round++)
      events.push(...attack(engine, "sshd", ATTACKER, T0 + round * 2000 * S, 3));
    expect(events.filter((event) => event.jail === "recidive")).toEqual([]);
  });

  it("refuses failures for a jail that is not enabled", () => {
    const engine = engineFor([makeJail(), makeJail({ name: "off", enabled: false })]);
    expect(() => engine.pushFailure("off", ATTACKER, T0)).toThrow(
      /jail "off" is not enabled; enabled jails: sshd/,
    );
  });
});

describe("JailEngine properties", () => {
  const ips = ["203.0.113.1", "203.0.113.2", "198.51.100.5", "2001:db8::1", "2001:db9::1", "127.0.0.1"];
  const ignored = ["198.51.100.0/24", "2001:db8::/32", "127.0.0.1/8"];

  it("never bans an ignored address by any path, recidive included", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ip: fc.constantFrom(...ips),
            gap: fc.integer({ min: 0, max: 400 }),
            jail: fc.constantFrom("a", "b"),
          }),
          {
            maxLength: 200,
          },
        ),
        fc.integer({ min: 1, max: 4 }),
        (attempts, maxretry) => {
          const engine = engineFor([
            makeJail({ name: "a", maxretry, ignoreip: ignored }),
            makeJail({ name: "b", maxretry, bantime: 60, ignoreip: ignored }),
            makeJail({
              name: "recidive",
              filter: "recidive",
              maxretry: 2,
              findtime: 86_400,
              ignoreip: ignored,
            }),
          ]);
          let at = T0;
          const bannedIps = new Set<string>();
          for (const attempt of attempts) {
            at += attempt.gap * S;
            for (const event of engine.pushFailure(attempt.jail, attempt.ip, at))
              if (event.action === "ban") bannedIps.add(event.ip);
          }
          for (const ip of ["198.51.100.5", "2001:db8::1", "127.0.0.1"])
            expect(bannedIps.has(ip)).toBe(false);
        },
      ),
    );
  });

  it("never holds two bans of one address in one jail, and unbans each timed ban exactly once", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 900 }), { maxLength: 150 }), (gaps) => {
        const engine = engineFor([makeJail({ bantime: 600, increment: { enabled: true, maxtime: 3600 } })]);
        let at = T0;
        let active = 0;
        const events: BanEvent[] = [];
        for (const gap of gaps) {
          at += gap * S;
          events.push(...engine.pushFailure("sshd", ATTACKER, at));
        }
        events.push(...engine.advance(at + 10 * 3600 * S));
        for (const event of events) {
          active += event.action === "ban" ? 1 : -1;
          expect(active === 0 || active === 1).toBe(true);
        }
        expect(active).toBe(0);
      }),
    );
  });
});
