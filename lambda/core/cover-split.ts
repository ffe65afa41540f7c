import { addressValue, cidrOfValue, familyBits, type IpFamily, parseCidr } from "./ip";
import type { BannedAddress, PlannedEntry } from "./nacl-aggregate";

/**
 * Pure splitting of a covering entry around addresses that must become reachable (issue 15 §3): `unban <ip>` of a
 * covered address, `unban <cidr>`, an allowlist entry inside a cover. The cover's block is halved, recursively,
 * wherever a reachable range lies inside a half; a half that holds none keeps its members under the narrowest block
 * that still holds them all (one member: a host entry). No entry of the result overlaps a reachable range. When the
 * pieces outnumber `capacity`, the pieces holding the most members (then the latest-ending) keep an entry and the
 * others' members go pending: the reachable addresses are never blocked to keep a neighbour blocked.
 */

/** What a cover becomes once `reachable` is cut out of it. */
export interface CoverSplit {
  /** Entries that replace the cover, in address order: covers of the remaining members, or host entries. */
  readonly entries: readonly PlannedEntry[];
  /** Members left without an entry for want of room (they wait, pending, for a free slot). */
  readonly pending: readonly BannedAddress[];
  /** Members inside a reachable range: their bans are lifted with the cover's split. */
  readonly lifted: readonly BannedAddress[];
}

interface Range {
  readonly first: bigint;
  readonly last: bigint;
}

/**
 * Splits the cover `cidr` holding `members` (addresses; those outside it are ignored) so that no entry overlaps `reachable`
 * (addresses or CIDRs of the cover's family; others are ignored). `capacity`: entries that may replace the cover
 * (at least the cover's own slot, 1). The result holds at most `capacity` entries.
 */
export function splitCover(
  cidr: string,
  members: readonly BannedAddress[],
  reachable: readonly string[],
  capacity: number,
): CoverSplit {
  const cover = parseCidr(cidr);
  const family = cover.family;
  const bits = familyBits(family);
  const cuts: Range[] = reachable
    .map(parseCidr)
    .filter((range) => range.family === family)
    .map((range) => rangeOf(addressValue(range.address.toString()), range.prefix, bits));
  const inCut = (value: bigint) => cuts.some((cut) => cut.first <= value && value <= cut.last);
  const whole = rangeOf(addressValue(cover.address.toString()), cover.prefix, bits);
  const valued = members
    .filter((member) => !member.ip.includes("/") && (member.ip.includes(":") ? "ipv6" : "ipv4") === family)
    .map((member) => ({ member, value: addressValue(member.ip) }))
    .filter((each) => whole.first <= each.value && each.value <= whole.last);
  const lifted = valued.filter((each) => inCut(each.value)).map((each) => each.member);
  const kept = valued.filter((each) => !inCut(each.value)).sort((a, b) => compare(a.value, b.value));

  const pieces: { start: bigint; prefix: number; members: typeof kept }[] = [];
  const split = (start: bigint, prefix: number, inside: typeof kept): void => {
    if (inside.length === 0) return;
    const range = rangeOf(start, prefix, bits);
    const overlapsCut = cuts.some((cut) => cut.first <= range.last && range.first <= cut.last);
    if (!overlapsCut) {
      const narrowest = commonBlock(inside[0]?.value ?? start, inside.at(-1)?.value ?? start, prefix, bits);
      pieces.push({ ...narrowest, members: inside });
      return;
    }
    // A member never sits inside a cut (lifted above), so a block overlapping one is wider than a host.
    const half = 1n << BigInt(bits - prefix - 1);
    split(
      start,
      prefix + 1,
      inside.filter((each) => each.value < start + half),
    );
    split(
      start + half,
      prefix + 1,
      inside.filter((each) => each.value >= start + half),
    );
  };
  split(whole.first, cover.prefix, kept);

  const ranked = [...pieces].sort(
    (a, b) => b.members.length - a.members.length || latestEnd(b.members) - latestEnd(a.members),
  );
  const room = Math.max(0, Math.floor(capacity));
  const placed = new Set(ranked.slice(0, room));
  const entries = pieces
    .filter((piece) => placed.has(piece))
    .map((piece) => toEntry(piece.start, piece.prefix, piece.members, family, bits));
  const pending = pieces
    .filter((piece) => !placed.has(piece))
    .flatMap((piece) => piece.members.map((each) => each.member));
  return { entries, pending, lifted };
}

function rangeOf(value: bigint, prefix: number, bits: number): Range {
  const size = 1n << BigInt(bits - prefix);
  const first = value & ~(size - 1n);
  return { first, last: first + size - 1n };
}

/** The narrowest block of at least `minPrefix` bits holding both values. */
function commonBlock(low: bigint, high: bigint, minPrefix: number, bits: number) {
  let prefix = bits;
  while (prefix > minPrefix && rangeOf(low, prefix, bits).first !== rangeOf(high, prefix, bits).first)
    prefix--;
  return { start: rangeOf(low, prefix, bits).first, prefix };
}

function toEntry(
  start: bigint,
  prefix: number,
  members: readonly { member: BannedAddress; value: bigint }[],
  family: IpFamily,
  bits: number,
): PlannedEntry {
  const ends = members.map((each) => each.member.endsAt);
  return {
    cidr: cidrOfValue(start, family, prefix),
    cover: prefix < bits,
    members: members.map((each) => each.member.ip),
    endsAt: ends.includes(null) ? null : Math.max(...(ends as number[])),
  };
}

function latestEnd(members: readonly { member: BannedAddress }[]): number {
  return Math.max(...members.map((each) => each.member.endsAt ?? Number.POSITIVE_INFINITY));
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
