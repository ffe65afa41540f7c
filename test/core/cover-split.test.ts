import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitCover } from "../../lambda/core/cover-split";
import { cidrContains, cidrsOverlap, parseCidr } from "../../lambda/core/ip";
import type { BannedAddress } from "../../lambda/core/nacl-aggregate";

function bans(ips: readonly string[], endsAt: number | null = 1000): BannedAddress[] {
  return ips.map((ip) => ({ ip, endsAt }));
}

const cidrs = (split: ReturnType<typeof splitCover>) => split.entries.map((entry) => entry.cidr);

describe("splitting a cover around an unbanned address", () => {
  it("narrows the cover to blocks that hold its other members and leave the address out", () => {
    const members = bans(["198.51.100.10", "198.51.100.20", "198.51.100.77", "198.51.100.200"]);
    const split = splitCover("198.51.100.0/24", members, ["198.51.100.77"], 20);
    expect(cidrs(split)).toEqual(["198.51.100.0/27", "198.51.100.200/32"]);
    expect(split.entries[0]).toMatchObject({ cover: true, members: ["198.51.100.10", "198.51.100.20"] });
    expect(split.entries[1]).toMatchObject({ cover: false, members: ["198.51.100.200"] });
    expect(split.lifted).toEqual([{ ip: "198.51.100.77", endsAt: 1000 }]);
    expect(split.pending).toEqual([]);
  });

  it("lifts every member inside an unbanned CIDR and keeps the others covered", () => {
    const members = bans(["198.51.100.1", "198.51.100.2", "198.51.100.130", "198.51.100.140"]);
    const split = splitCover("198.51.100.0/24", members, ["198.51.100.128/25"], 20);
    expect(cidrs(split)).toEqual(["198.51.100.0/30"]);
    expect(split.lifted.map((ban) => ban.ip)).toEqual(["198.51.100.130", "198.51.100.140"]);
  });

  it("leaves nothing when the unbanned CIDR holds the whole cover", () => {
    const split = splitCover(
      "198.51.100.0/24",
      bans(["198.51.100.1", "198.51.100.9"]),
      ["198.51.100.0/16"],
      5,
    );
    expect(split).toEqual({ entries: [], pending: [], lifted: bans(["198.51.100.1", "198.51.100.9"]) });
  });

  it("keeps the pieces with the most members when the quota is short, the others' members go pending", () => {
    const members = bans([
      "198.51.100.1",
      "198.51.100.2",
      "198.51.100.3",
      "198.51.100.100",
      "198.51.100.250",
    ]);
    expect(cidrs(splitCover("198.51.100.0/24", members, ["198.51.100.128"], 2))).toEqual([
      "198.51.100.0/25",
      "198.51.100.250/32",
    ]);
    const split = splitCover("198.51.100.0/24", members, ["198.51.100.128"], 1);
    expect(cidrs(split)).toEqual(["198.51.100.0/25"]);
    expect(split.pending.map((ban) => ban.ip)).toEqual(["198.51.100.250"]);
  });

  it("prefers the latest-ending piece between pieces of one size", () => {
    const members = [
      { ip: "198.51.100.1", endsAt: 100 },
      { ip: "198.51.100.250", endsAt: null },
    ];
    const split = splitCover("198.51.100.0/24", members, ["198.51.100.128"], 1);
    expect(cidrs(split)).toEqual(["198.51.100.250/32"]);
    expect(split.entries[0]?.endsAt).toBeNull();
    expect(split.pending).toEqual([{ ip: "198.51.100.1", endsAt: 100 }]);
  });

  it("splits an IPv6 cover around an address", () => {
    const split = splitCover(
      "2001:db8:4::/64",
      bans(["2001:db8:4::1", "2001:db8:4::2", "2001:db8:4::ff"]),
      ["2001:db8:4::ff"],
      4,
    );
    expect(cidrs(split)).toEqual(["2001:db8:4::/126"]);
  });

  it("never overlaps a reachable range, keeps every other member covered or pending, within the quota", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(
        fc.uniqueArray(octet, { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(octet, fc.integer({ min: 24, max: 32 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 12 }),
        (hosts, cuts, capacity) => {
          const members = bans(hosts.map((host) => `198.51.100.${host}`));
          const reachable = cuts.map(([host, prefix]) => `198.51.100.${host}/${prefix}`);
          const split = splitCover("198.51.100.0/24", members, reachable, capacity);
          expect(split.entries.length).toBeLessThanOrEqual(capacity);
          for (const entry of split.entries) {
            for (const cut of reachable)
              expect(cidrsOverlap(parseCidr(entry.cidr), parseCidr(cut))).toBe(false);
            for (const member of entry.members)
              expect(cidrContains(parseCidr(entry.cidr), member)).toBe(true);
          }
          const accounted = [
            ...split.entries.flatMap((entry) => entry.members),
            ...split.pending.map((ban) => ban.ip),
            ...split.lifted.map((ban) => ban.ip),
          ].sort();
          expect(accounted).toEqual(members.map((ban) => ban.ip).sort());
          for (const lifted of split.lifted) {
            expect(reachable.some((cut) => cidrContains(parseCidr(cut), lifted.ip))).toBe(true);
          }
        },
      ),
    );
  });
});
