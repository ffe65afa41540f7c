import { type BatchFailure, countFailures, type FailureGroup, type WindowState } from "../core/batch";
import { hasEnded } from "./ban-service";
import {
  type BanMark,
  type IpRecord,
  type ItemKey,
  isoOfMs,
  MARK_GRACE_MS,
  type WindowBlock,
  type WindowItem,
  windowBlockOf,
  windowEntryKey,
} from "./store-items";

/*
 * How one batch changes one window block (store-items.ts): the failures of the block's addresses are counted into
 * their windows, and the bans they reach are marked, all in the one item that the responder then writes with one
 * compare-and-swap. The mark is what makes a ban this writer's alone; its record follows (respond-groups.ts).
 */

/** What the batch does for one (jail, IP) group of the block. */
export type BlockVerdict =
  | { readonly kind: "duplicate" }
  | { readonly kind: "counted"; readonly failures: number }
  | { readonly kind: "reported"; readonly failures: number }
  /** Ban: the block's write marks it; `resumed` when a retry of the invocation that marked it records it now. */
  | {
      readonly kind: "ban";
      /** The batch's failures counted for it (none when resumed). */
      readonly fresh: readonly BatchFailure[];
      /** Failures inside findtime when the jail reached maxretry, and their lines. */
      readonly failures: number;
      /** Times (epoch ms) of those failures. */
      readonly failureTimes: readonly number[];
      readonly lines: readonly string[];
      readonly record: IpRecord | undefined;
      readonly resumed: boolean;
    };

/** The block as the batch leaves it (undefined: nothing changed, nothing to write) and a verdict per group. */
export interface BlockPlan {
  readonly item: Omit<WindowBlock, "version"> | undefined;
  readonly verdicts: readonly BlockVerdict[];
}

/** Characters (JSON) a block may hold: DynamoDB's item limit is 400 KB; its write costs 1 unit per KB. */
export const BLOCK_BUDGET = 128 * 1024;

/**
 * Marks older than this are dropped at the block's next write. Lambda retries a failed invocation after 1 and then
 * 2 more minutes: past this, a mark is confirmed (its record holds the ban) or its ban is lost with its batch (in
 * the on-failure destination).
 */
const MARK_KEPT_MS = 3 * MARK_GRACE_MS;

/**
 * Counts `groups` (all of one block) into `current` at time `now` for invocation `by`. `records` holds the records
 * of the groups' addresses as read. An address under an unexpired ban, or whose ban another invocation marked
 * less than {@link MARK_GRACE_MS} ago without its record confirming it yet, is reported, not counted.
 */
export function planBlock(
  key: ItemKey,
  current: WindowBlock | undefined,
  groups: readonly FailureGroup[],
  records: ReadonlyMap<string, IpRecord>,
  now: number,
  by: string,
): BlockPlan {
  const windows: Record<string, WindowItem> = { ...current?.windows };
  const marks: Record<string, BanMark> = { ...current?.marks };
  const totals: Record<string, number> = { ...current?.totals };
  const nowSeconds = Math.floor(now / 1000);
  const banned = new Set<string>();
  let changed = false;
  const verdicts = groups.map((group): BlockVerdict => {
    const reported = { kind: "reported", failures: group.failures.length } as const;
    const record = records.get(group.ip);
    // Two jails of one batch reaching maxretry for one address: the first bans it.
    if (banned.has(group.ip)) return reported;
    const mark = marks[group.ip];
    if (record?.ban !== undefined && !hasEnded(record.ban, nowSeconds)) {
      // Its record holds the ban: a mark it confirms goes with the block's next write (none just for it).
      if (mark !== undefined && markStatus(mark, record, now, by) === "confirmed") delete marks[group.ip];
      return reported;
    }
    const status = mark === undefined ? "none" : markStatus(mark, record, now, by);
    if (status === "in flight") return reported;
    const entryKey = windowEntryKey(group.jail.name, group.ip);
    if (status === "confirmed" || status === "void") {
      delete marks[group.ip];
      changed = true;
    }
    // The ban of a void mark never came: its failures count again (those still inside findtime).
    if (status === "void" && mark !== undefined) {
      const markKey = windowEntryKey(mark.jail, group.ip);
      windows[markKey] = restored(windows[markKey], mark, group.ip);
    }
    if (status === "ours" && mark !== undefined) {
      banned.add(group.ip);
      return {
        kind: "ban",
        fresh: [],
        failures: mark.failureTimes.length,
        failureTimes: mark.failureTimes,
        lines: [],
        record,
        resumed: true,
      };
    }
    const resetAt = record?.windowResetAt;
    const count = countFailures(windows[entryKey], group, now, resetAt);
    if (count.fresh.length === 0) return { kind: "duplicate" };
    // Failures at or before the last ban's reset (a late redelivery): that ban already answered them.
    if (count.fresh.every((failure) => resetAt !== undefined && failure.at <= resetAt)) return reported;
    changed = true;
    totals[group.jail.name] = (totals[group.jail.name] ?? 0) + count.fresh.length;
    const window = windowEntry(group, count.state, now);
    if (!count.reached) {
      windows[entryKey] = window;
      return { kind: "counted", failures: count.fresh.length };
    }
    const { failureTimes, lines, counted } = count.state;
    marks[group.ip] = {
      jail: group.jail.name,
      at: now,
      atIso: isoOfMs(now),
      by,
      failureTimes,
      counted,
      windowExpiresAt: window.expiresAt,
    };
    // The ban used the window: it goes (its event ids too, since the record's windowResetAt answers a
    // redelivery of them), and the mark holds its failures until the record does.
    delete windows[entryKey];
    banned.add(group.ip);
    return {
      kind: "ban",
      fresh: count.fresh,
      failures: failureTimes.length,
      failureTimes,
      lines,
      record,
      resumed: false,
    };
  });
  if (!changed) return { item: undefined, verdicts };
  const { block, shard } = windowBlockOf(groups[0]?.ip ?? "");
  return { item: blockItem(key, block, shard, { windows, marks, totals }, groups, now), verdicts };
}

/** The window of a void mark's address with the mark's failure times and event ids back in it. */
function restored(window: WindowItem | undefined, mark: BanMark, ip: string): WindowItem {
  const failureTimes = [...mark.failureTimes, ...(window?.failureTimes ?? [])].sort((a, b) => a - b);
  const lastFailureAt = Math.max(window?.lastFailureAt ?? 0, ...failureTimes);
  return {
    jail: mark.jail,
    ip,
    totalFailures: window?.totalFailures ?? 0,
    lines: window?.lines ?? [],
    failureTimes,
    counted: { ...mark.counted, ...window?.counted },
    lastFailureAt,
    lastFailureAtIso: isoOfMs(lastFailureAt),
    // Kept as long as the banned window would have been: its ids must answer redeliveries inside findtime.
    expiresAt: Math.max(window?.expiresAt ?? 0, mark.windowExpiresAt),
  };
}

type MarkStatus = "none" | "confirmed" | "ours" | "in flight" | "void";

function markStatus(mark: BanMark, record: IpRecord | undefined, now: number, by: string): MarkStatus {
  if ((record?.windowResetAt ?? Number.NEGATIVE_INFINITY) >= mark.at) return "confirmed";
  if (mark.by === by) return "ours";
  return now - mark.at < MARK_GRACE_MS ? "in flight" : "void";
}

/**
 * The block item: expired windows and stale marks dropped, and, past {@link BLOCK_BUDGET}, the windows whose last
 * failure is oldest (never one this batch touched while another remains), then marks past their grace period,
 * oldest first (only a late retry of the invocation that wrote one would still use it).
 */
function blockItem(
  key: ItemKey,
  block: string,
  shard: number,
  contents: Pick<WindowBlock, "windows" | "marks" | "totals">,
  groups: readonly FailureGroup[],
  now: number,
): Omit<WindowBlock, "version"> {
  const windows = contents.windows as Record<string, WindowItem>;
  const marks = contents.marks as Record<string, BanMark>;
  const nowSeconds = Math.floor(now / 1000);
  for (const [entryKey, window] of Object.entries(windows)) {
    if (window.expiresAt < nowSeconds) delete windows[entryKey];
  }
  for (const [ip, mark] of Object.entries(marks)) if (now - mark.at > MARK_KEPT_MS) delete marks[ip];
  const touched = new Set(groups.map((group) => windowEntryKey(group.jail.name, group.ip)));
  let size = JSON.stringify(windows).length + JSON.stringify(marks).length;
  if (size > BLOCK_BUDGET) {
    const byAge = Object.entries(windows).sort(
      ([keyA, a], [keyB, b]) =>
        Number(touched.has(keyA)) - Number(touched.has(keyB)) || a.lastFailureAt - b.lastFailureAt,
    );
    for (const [entryKey, window] of byAge) {
      if (size <= BLOCK_BUDGET) break;
      delete windows[entryKey];
      size -= JSON.stringify(window).length + entryKey.length + 4;
    }
    const stale = Object.entries(marks)
      .filter(([, mark]) => now - mark.at >= MARK_GRACE_MS)
      .sort(([, a], [, b]) => a.at - b.at);
    for (const [ip, mark] of stale) {
      if (size <= BLOCK_BUDGET) break;
      delete marks[ip];
      size -= JSON.stringify(mark).length + ip.length + 4;
    }
  }
  const expiries = [
    ...Object.values(windows).map((window) => window.expiresAt),
    ...Object.values(marks).map((mark) => Math.floor((mark.at + MARK_KEPT_MS) / 1000)),
  ];
  return {
    ...key,
    kind: "windows",
    block,
    shard,
    windows,
    marks,
    totals: contents.totals,
    // Purged a day after its last window or mark is dropped: the totals stay readable that long.
    expiresAt: Math.max(nowSeconds, ...expiries) + 86_400,
  };
}

function windowEntry(group: FailureGroup, state: WindowState, now: number): WindowItem {
  return {
    jail: group.jail.name,
    ip: group.ip,
    failureTimes: state.failureTimes,
    counted: state.counted,
    totalFailures: state.totalFailures,
    lastFailureAt: state.lastFailureAt,
    lastFailureAtIso: isoOfMs(state.lastFailureAt),
    lines: state.lines,
    // Dropped once its last failure left findtime (counted from now, for lines stamped in the past).
    expiresAt: Math.floor(Math.max(state.lastFailureAt, now) / 1000) + group.jail.findtime,
  };
}
