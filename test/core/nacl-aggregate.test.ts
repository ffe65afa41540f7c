import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cidrContains, IpSet, parseCidr } from "../../lambda/core/ip";
import {
  type AggregationOptions,
  type BannedAddress,
  planAggregation,
} from "../../lambda/core/nacl-aggregate";

const IPV4: AggregationOptions = {
  family: "ipv4",
  capacity: 18,
  prefix: 24,
  widestPrefix: 16,
  threshold: 3,
  protectedBlocks: [],
};

function bans(ips: readonly string[], endsAt: number | null = 1000): BannedAddress[] {
  return ips.map((ip) => ({ ip, endsAt }));
}

function hostsIn(prefix: string, count: number, first = 1): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}.${first + index}`);
}

function covered(ip: string, cidrs: readonly string[]): boolean {
  return cidrs.some((cidr) => cidrContains(parseCidr(cidr), ip));
}

describe("planning covering entries", () => {
  it("keeps one host entry per address while there is room and no prefix reaches the threshold", () => {
    const plan = planAggregation(bans(["198.51.100.7", "198.51.100.9", "203.0.113.5"]), IPV4);
    expect(plan.entries.map((entry) => entry.cidr)).toEqual([
      "198.51.100.7/32",
      "198.51.100.9/32",
      "203.0.113.5/32",
    ]);
    expect(plan.entries.every((entry) => !entry.cover)).toBe(true);
    expect(plan.evicted).toEqual([]);
  });

  it("covers a /24 with one entry once three banned addresses share it, even with room to spare", () => {
    const plan = planAggregation(bans([...hostsIn("198.51.100", 3), "203.0.113.5"]), IPV4);
    expect(plan.entries).toEqual([
      {
        cidr: "198.51.100.0/24",
        cover: true,
        members: ["198.51.100.1", "198.51.100.2", "198.51.100.3"],
        endsAt: 1000,
      },
      { cidr: "203.0.113.5/32", cover: false, members: ["203.0.113.5"], endsAt: 1000 },
    ]);
  });

  it("holds 1,000 addresses over 30 /24s in 18 entries by widening blocks no further than /16", () => {
    const ips = Array.from(
      { length: 1000 },
      (_, index) => `198.51.${index % 30}.${1 + Math.floor(index / 30)}`,
    );
    const plan = planAggregation(bans(ips), IPV4);
    const cidrs = plan.entries.map((entry) => entry.cidr);
    expect(plan.entries.length).toBeLessThanOrEqual(18);
    expect(plan.evicted).toEqual([]);
    expect(ips.every((ip) => covered(ip, cidrs))).toBe(true);
    expect(plan.entries.every((entry) => parseCidr(entry.cidr).prefix >= 16)).toBe(true);
  });

  it("never covers an ignoreip address or a VPC CIDR, and narrows the block instead", () => {
    const options = { ...IPV4, protectedBlocks: ["198.51.100.200", "10.0.0.0/16"] };
    const roomy = planAggregation(bans(hostsIn("198.51.100", 4)), options);
    expect(roomy.entries.map((entry) => entry.cidr)).toHaveLength(4);
    const plan = planAggregation(bans(hostsIn("198.51.100", 4)), { ...options, capacity: 1 });
    expect(plan.entries.map((entry) => entry.cidr)).toEqual(["198.51.100.0/29"]);
    const tight = planAggregation(bans(["10.1.0.5", "10.1.0.6", "10.1.0.7"]), {
      ...options,
      capacity: 1,
      widestPrefix: 8,
    });
    expect(tight.entries.map((entry) => entry.cidr)).toEqual(["10.1.0.0/24"]);
  });

  it("evicts the bans that end soonest when no allowed block can hold them all", () => {
    const plan = planAggregation(
      [
        { ip: "192.0.2.1", endsAt: 500 },
        { ip: "198.51.100.1", endsAt: 300 },
        { ip: "203.0.113.1", endsAt: null },
      ],
      { ...IPV4, capacity: 2 },
    );
    expect(plan.entries.map((entry) => entry.cidr)).toEqual(["192.0.2.1/32", "203.0.113.1/32"]);
    expect(plan.evicted).toEqual([{ ip: "198.51.100.1", endsAt: 300 }]);
  });

  it("lets a covering entry live until its last member's ban ends, forever with a permanent member", () => {
    const timed = planAggregation(
      [
        { ip: "198.51.100.1", endsAt: 100 },
        { ip: "198.51.100.2", endsAt: 900 },
        { ip: "198.51.100.3", endsAt: 400 },
      ],
      IPV4,
    );
    expect(timed.entries.map((entry) => entry.endsAt)).toEqual([900]);
    const permanent = planAggregation(
      [...bans(hostsIn("198.51.100", 2)), { ip: "198.51.100.3", endsAt: null }],
      IPV4,
    );
    expect(permanent.entries.map((entry) => entry.endsAt)).toEqual([null]);
  });

  it("keeps a covering entry already in place whole, and lets newly banned addresses inside it join it", () => {
    const plan = planAggregation(
      [
        { ip: "198.51.100.0/24", endsAt: 500 },
        { ip: "198.51.100.77", endsAt: 800 },
        { ip: "203.0.113.5", endsAt: 100 },
      ],
      IPV4,
    );
    expect(plan.entries).toEqual([
      { cidr: "198.51.100.0/24", cover: true, members: ["198.51.100.0/24", "198.51.100.77"], endsAt: 800 },
      { cidr: "203.0.113.5/32", cover: false, members: ["203.0.113.5"], endsAt: 100 },
    ]);
  });

  it("folds covering entries already in place into a wider one when the NACL is full", () => {
    const plan = planAggregation(
      [
        { ip: "198.51.100.0/24", endsAt: 500 },
        { ip: "198.51.101.0/24", endsAt: 700 },
      ],
      { ...IPV4, capacity: 1 },
    );
    expect(plan.entries).toEqual([
      { cidr: "198.51.100.0/23", cover: true, members: ["198.51.100.0/24", "198.51.101.0/24"], endsAt: 700 },
    ]);
  });

  it("plans IPv6 on its own: /64 covers, /48 at the widest, IPv4 addresses left to their own plan", () => {
    const ips = ["2001:db8:0:1::a", "2001:db8:0:1::b", "2001:db8:0:1::c", "2001:db8:0:2::1", "192.0.2.1"];
    const plan = planAggregation(bans(ips), {
      family: "ipv6",
      capacity: 1,
      prefix: 64,
      widestPrefix: 48,
      threshold: 3,
      protectedBlocks: ["10.0.0.0/8"],
    });
    expect(plan.entries.map((entry) => entry.cidr)).toEqual(["2001:db8::/62"]);
    expect(plan.entries[0]?.members).toHaveLength(4);
  });

  it("always fits the capacity, covers every member, evicts the rest, and touches no protected block", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), octet, octet), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), octet), { maxLength: 3 }),
        (addresses, capacity, ignored) => {
          const ips = [...new Set(addresses.map(([a, b, c]) => `100.${64 + a}.${b}.${c}`))];
          const protectedBlocks = ignored.map(([a, b]) => `100.${64 + a}.${b}.0/26`);
          const plan = planAggregation(bans(ips), { ...IPV4, capacity, protectedBlocks });
          const cidrs = plan.entries.map((entry) => entry.cidr);
          expect(plan.entries.length).toBeLessThanOrEqual(capacity);
          const members = plan.entries.flatMap((entry) => entry.members);
          expect(new Set([...members, ...plan.evicted.map((ban) => ban.ip)])).toEqual(new Set(ips));
          expect(members.every((ip) => covered(ip, cidrs))).toBe(true);
          const shield = new IpSet(protectedBlocks);
          const allEntries = [...plan.entries, ...plan.evictedEntries];
          expect(allEntries.filter((entry) => entry.cover && shield.overlaps(parseCidr(entry.cidr)))).toEqual(
            [],
          );
          // The evicted entries are the evicted addresses, grouped as the blocks they formed.
          const evictedMembers = plan.evictedEntries.flatMap((entry) => entry.members);
          expect(evictedMembers.sort()).toEqual(plan.evicted.map((ban) => ban.ip).sort());
          expect(
            plan.evictedEntries.every((entry) => entry.members.every((ip) => covered(ip, [entry.cidr]))),
          ).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("plans 100,000 addresses in seconds, not minutes", () => {
    const ips = Array.from(
      { length: 100_000 },
      (_, index) => `${11 + (index % 200)}.${(index * 7) % 256}.${(index * 13) % 256}.${index % 250}`,
    );
    const started = performance.now();
    const plan = planAggregation(bans(ips), IPV4);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(plan.entries.length).toBeLessThanOrEqual(18);
  });
});
