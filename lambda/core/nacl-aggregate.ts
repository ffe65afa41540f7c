import { addressValue, cidrOfValue, familyBits, type IpFamily, parseCidr } from "./ip";

/**
 * Pure planning of covering entries (issue 7): which NACL entries hold a family's banned addresses when there are
 * more of them than entries. Addresses that share a covering block (/24, /64 by default) reach `threshold` get one
 * entry for the block; while the entries still outnumber `capacity`, the two neighbouring entries whose smallest
 * common block is narrowest are merged (never wider than `widestPrefix`, never touching a protected block); when no
 * merge is allowed any more, the entry that ends soonest is evicted. O(n log n) in the number of addresses.
 */

/**
 * A banned address and the end of its ban (epoch seconds; null = permanent). `ip` may also be the CIDR of a
 * covering entry already in place: it stays whole (never split), and addresses inside it join it.
 */
export interface BannedAddress {
  readonly ip: string;
  readonly endsAt: number | null;
}

/** The knobs of one plan: one address family in one NACL (or the tightest of several). */
export interface AggregationOptions {
  readonly family: IpFamily;
  /** Entries of this family cloudjail may hold. */
  readonly capacity: number;
  /** Prefix of a covering block (24 for IPv4, 64 for IPv6 by default). */
  readonly prefix: number;
  /** Widest prefix a covering block may have (a smaller number is a wider block). */
  readonly widestPrefix: number;
  /** Banned addresses in one covering block that get one entry even while there is room. */
  readonly threshold: number;
  /** CIDRs (ignoreip, VPC CIDRs) no entry may overlap; other families' blocks are ignored. */
  readonly protectedBlocks: readonly string[];
}

/** One entry of the plan: a host entry (`cover` false) or a covering block with its members. */
export interface PlannedEntry {
  readonly cidr: string;
  readonly cover: boolean;
  /** Banned addresses the entry holds, in address order. */
  readonly members: readonly string[];
  /** The last member's end (null when a member is permanent): the entry lives that long. */
  readonly endsAt: number | null;
}

export interface AggregationPlan {
  /** At most `capacity` entries, in address order. */
  readonly entries: readonly PlannedEntry[];
  /** Addresses left without an entry, soonest-ending first. */
  readonly evicted: readonly BannedAddress[];
  /** The entries those addresses formed when they were evicted, in eviction order (a block kept whole). */
  readonly evictedEntries: readonly PlannedEntry[];
}

interface Node {
  start: bigint;
  prefix: number;
  members: BannedAddress[];
  /** Latest member end; Infinity for permanent. */
  end: number;
  version: number;
  alive: boolean;
  prev: Node | undefined;
  next: Node | undefined;
}

interface Candidate {
  readonly prefix: number;
  readonly start: bigint;
  readonly left: Node;
  readonly right: Node;
  readonly leftVersion: number;
  readonly rightVersion: number;
}

/** Plans the entries for `bans` (one family; addresses of the other family are ignored). */
export function planAggregation(
  bans: readonly BannedAddress[],
  options: AggregationOptions,
): AggregationPlan {
  const bits = familyBits(options.family);
  const blocks = new Blocks(bits, options);
  const nodes = initialNodes(bans, options, blocks);
  let count = nodes.length;
  link(nodes);
  const heap = new MinHeap<Candidate>(
    (a, b) => b.prefix - a.prefix || (a.start < b.start ? -1 : a.start > b.start ? 1 : 0),
  );
  const consider = (left: Node | undefined, right: Node | undefined) => {
    if (left === undefined || right === undefined || count <= options.capacity) return;
    const merged = blocks.mergedBlock(left, right);
    if (merged === undefined) return;
    heap.push({ ...merged, left, right, leftVersion: left.version, rightVersion: right.version });
  };
  for (const node of nodes) consider(node, node.next);
  const byEnd = new MinHeap<{ node: Node; version: number; end: number }>((a, b) => a.end - b.end);
  for (const node of nodes) byEnd.push({ node, version: node.version, end: node.end });

  const evicted: BannedAddress[] = [];
  const evictedEntries: PlannedEntry[] = [];
  while (count > options.capacity) {
    const candidate = heap.pop();
    if (candidate === undefined) {
      // No merge is allowed: evict the entry that ends soonest, then its neighbours may merge.
      const victim = byEnd.pop();
      if (victim === undefined) break;
      const { node } = victim;
      if (!node.alive || node.version !== victim.version) continue;
      for (const member of node.members) evicted.push(member);
      evictedEntries.push(toEntry(node, options.family, bits));
      unlink(node);
      count--;
      consider(node.prev, node.next);
      continue;
    }
    const { left, right } = candidate;
    const stale =
      !left.alive ||
      !right.alive ||
      left.version !== candidate.leftVersion ||
      right.version !== candidate.rightVersion ||
      left.next !== right;
    if (stale) continue;
    left.start = candidate.start;
    left.prefix = candidate.prefix;
    absorb(left, right);
    count--;
    while (left.next !== undefined && blocks.within(left.next, left)) {
      absorb(left, left.next);
      count--;
    }
    while (left.prev !== undefined && blocks.within(left.prev, left)) {
      absorb(left, left.prev);
      count--;
    }
    left.version++;
    byEnd.push({ node: left, version: left.version, end: left.end });
    consider(left.prev, left);
    consider(left, left.next);
  }
  const entries = nodes.filter((node) => node.alive).map((node) => toEntry(node, options.family, bits));
  evicted.sort((a, b) => endOf(a) - endOf(b));
  return { entries, evicted, evictedEntries };
}

/** Arithmetic on aligned blocks of one family, and the protected ranges they must stay clear of. */
class Blocks {
  private readonly protectedRanges: readonly { first: bigint; last: bigint }[];

  constructor(
    private readonly bits: number,
    private readonly options: AggregationOptions,
  ) {
    this.protectedRanges = options.protectedBlocks
      .map(parseCidr)
      .filter((cidr) => cidr.family === options.family)
      .map((cidr) => {
        const start = addressValue(cidr.address.toString()) & this.mask(cidr.prefix);
        return { first: start, last: start + this.size(cidr.prefix) - 1n };
      });
  }

  size(prefix: number): bigint {
    return 1n << BigInt(this.bits - prefix);
  }

  mask(prefix: number): bigint {
    return ((1n << BigInt(this.bits)) - 1n) ^ (this.size(prefix) - 1n);
  }

  /** True when the block may be written: not wider than allowed, clear of every protected block. */
  allowed(start: bigint, prefix: number): boolean {
    if (prefix < this.options.widestPrefix) return false;
    const last = start + this.size(prefix) - 1n;
    return !this.protectedRanges.some((range) => range.first <= last && start <= range.last);
  }

  /** The covering block of `prefix` bits holding `value`. */
  blockOf(value: bigint, prefix: number): bigint {
    return value & this.mask(prefix);
  }

  within(inner: Node, outer: Node): boolean {
    return inner.prefix >= outer.prefix && this.blockOf(inner.start, outer.prefix) === outer.start;
  }

  /**
   * The block one entry would replace two neighbours with: their smallest common block, widened to the covering
   * prefix when that is allowed (a /24 rather than a /27), else left narrow. Undefined when neither is allowed.
   */
  mergedBlock(left: Node, right: Node): { prefix: number; start: bigint } | undefined {
    let prefix = Math.min(left.prefix, right.prefix);
    while (prefix > 0 && this.blockOf(left.start, prefix) !== this.blockOf(right.start, prefix)) prefix--;
    const candidates = prefix > this.options.prefix ? [this.options.prefix, prefix] : [prefix];
    for (const candidate of candidates) {
      const start = this.blockOf(left.start, candidate);
      if (this.allowed(start, candidate)) return { prefix: candidate, start };
    }
    return undefined;
  }
}

/** One node per address, except blocks reaching the threshold, which start as one covering node. */
function initialNodes(bans: readonly BannedAddress[], options: AggregationOptions, blocks: Blocks): Node[] {
  const bits = familyBits(options.family);
  const byBlock = new Map<bigint, { value: bigint; ban: BannedAddress }[]>();
  const seen = new Set<string>();
  const nodes: Node[] = [];
  for (const ban of bans) {
    if ((ban.ip.includes(":") ? "ipv6" : "ipv4") !== options.family || seen.has(ban.ip)) continue;
    seen.add(ban.ip);
    if (ban.ip.includes("/")) {
      const cidr = parseCidr(ban.ip);
      nodes.push(
        newNode(blocks.blockOf(addressValue(cidr.address.toString()), cidr.prefix), cidr.prefix, [ban]),
      );
      continue;
    }
    const value = addressValue(ban.ip);
    const block = blocks.blockOf(value, options.prefix);
    const members = byBlock.get(block) ?? [];
    members.push({ value, ban });
    byBlock.set(block, members);
  }
  for (const [block, members] of byBlock) {
    if (members.length >= options.threshold && blocks.allowed(block, options.prefix)) {
      nodes.push(
        newNode(
          block,
          options.prefix,
          members.map((member) => member.ban),
        ),
      );
    } else {
      for (const member of members) nodes.push(newNode(member.value, bits, [member.ban]));
    }
  }
  // Widest first at equal starts, so that a block is kept before the blocks and addresses inside it.
  nodes.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.prefix - b.prefix));
  const disjoint: Node[] = [];
  for (const node of nodes) {
    const outer = disjoint[disjoint.length - 1];
    if (outer !== undefined && blocks.within(node, outer)) {
      for (const member of node.members) outer.members.push(member);
      outer.end = Math.max(outer.end, node.end);
    } else {
      disjoint.push(node);
    }
  }
  return disjoint;
}

function newNode(start: bigint, prefix: number, members: BannedAddress[]): Node {
  return {
    start,
    prefix,
    members,
    end: Math.max(...members.map(endOf)),
    version: 0,
    alive: true,
    prev: undefined,
    next: undefined,
  };
}

function endOf(ban: BannedAddress): number {
  return ban.endsAt ?? Number.POSITIVE_INFINITY;
}

function link(nodes: Node[]): void {
  nodes.forEach((node, index) => {
    node.prev = nodes[index - 1];
    node.next = nodes[index + 1];
  });
}

function unlink(node: Node): void {
  node.alive = false;
  if (node.prev) node.prev.next = node.next;
  if (node.next) node.next.prev = node.prev;
}

/** Moves `other`'s members into `into` and drops `other` from the list. */
function absorb(into: Node, other: Node): void {
  for (const member of other.members) into.members.push(member);
  into.end = Math.max(into.end, other.end);
  unlink(other);
}

function toEntry(node: Node, family: IpFamily, bits: number): PlannedEntry {
  const members = node.members.map((member) => member.ip);
  const values = new Map(members.map((ip) => [ip, addressValue(ip.split("/")[0] ?? ip)]));
  members.sort((a, b) => {
    const x = values.get(a) as bigint;
    const y = values.get(b) as bigint;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return {
    cidr: cidrOfValue(node.start, family, node.prefix),
    cover: node.prefix < bits,
    members,
    endsAt: Number.isFinite(node.end) ? node.end : null,
  };
}

/** A binary min-heap under `compare`. */
class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.compare(items[index] as T, items[parent] as T) >= 0) break;
      [items[index], items[parent]] = [items[parent] as T, items[index] as T];
      index = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && this.compare(items[left] as T, items[smallest] as T) < 0) smallest = left;
        if (right < items.length && this.compare(items[right] as T, items[smallest] as T) < 0)
          smallest = right;
        if (smallest === index) break;
        [items[index], items[smallest]] = [items[smallest] as T, items[index] as T];
        index = smallest;
      }
    }
    return top;
  }
}
