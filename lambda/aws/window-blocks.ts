import { type AddressState, EMPTY_ADDRESS, judgeFailure, type PolicySettings } from "../core/address-policy";
import {
  type BanDecision,
  type BatchFailure,
  countedKey,
  decideBan,
  type FailureGroup,
  WINDOW_LIMITS,
} from "../core/batch";
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
      /** The policy's decision (address-policy.ts); for a resumed ban, decided again from the mark. */
      readonly decision: BanDecision;
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
 * Counts `groups` (all of one block) into `current` at time `now` for invocation `by`, judging each failure of an
 * address at its own time, in time order, with the one policy engine (address-policy.ts). `records` holds the
 * records of the groups' addresses as read. An address whose ban another invocation marked less than
 * {@link MARK_GRACE_MS} ago without its record confirming it yet is reported, not counted. Failures already
 * outside findtime when they arrive, and failures counted before (event ids), change nothing.
 */
export function planBlock(
  key: ItemKey,
  current: WindowBlock | undefined,
  groups: readonly FailureGroup[],
  records: ReadonlyMap<string, IpRecord>,
  now: number,
  by: string,
  policy: PolicySettings,
): BlockPlan {
  const windows: Record<string, WindowItem> = { ...current?.windows };
  const marks: Record<string, BanMark> = { ...current?.marks };
  const totals: Record<string, number> = { ...current?.totals };
  const verdicts: BlockVerdict[] = new Array(groups.length);
  let changed = false;
  const byAddress = new Map<string, number[]>();
  groups.forEach((group, index) => {
    const indexes = byAddress.get(group.ip);
    if (indexes === undefined) byAddress.set(group.ip, [index]);
    else indexes.push(index);
  });
  for (const [ip, indexes] of byAddress) {
    const record = records.get(ip);
    const mine = indexes.map((index) => groups[index] as FailureGroup);
    const reportAll = () => {
      indexes.forEach((index, position) => {
        verdicts[index] = { kind: "reported", failures: (mine[position] as FailureGroup).failures.length };
      });
    };
    const mark = marks[ip];
    const status = mark === undefined ? "none" : markStatus(mark, record, now, by);
    if (status === "in flight") {
      reportAll();
      continue;
    }
    if (status === "confirmed" || status === "void") {
      delete marks[ip];
      // A confirmed mark of an address under its ban goes with the block's next write, none just for it.
      if (status === "void" || record?.ban === undefined || hasEnded(record.ban, Math.floor(now / 1000)))
        changed = true;
    }
    // The ban of a void mark never came: its failures count again (those still inside findtime).
    if (status === "void" && mark !== undefined) {
      const markKey = windowEntryKey(mark.jail, ip);
      windows[markKey] = restored(windows[markKey], mark, ip);
    }
    if (status === "ours" && mark !== undefined) {
      indexes.forEach((index, position) => {
        const group = mine[position] as FailureGroup;
        verdicts[index] =
          position === 0
            ? {
                kind: "ban",
                fresh: [],
                failures: mark.failureTimes.length,
                failureTimes: mark.failureTimes,
                lines: [],
                record,
                resumed: true,
                decision: resumedDecision(mark, group, record, policy),
              }
            : { kind: "reported", failures: group.failures.length };
      });
      continue;
    }
    const judged = judgeAddress(ip, mine, windows, record, now, policy);
    indexes.forEach((index, position) => {
      const group = mine[position] as FailureGroup;
      const outcome = judged.groups[position] as GroupJudgement;
      const entryKey = windowEntryKey(group.jail.name, ip);
      if (outcome.used > 0) {
        changed = true;
        totals[group.jail.name] = (totals[group.jail.name] ?? 0) + outcome.used;
      }
      if (outcome.ban !== undefined) {
        const ban = outcome.ban;
        marks[ip] = {
          jail: group.jail.name,
          at: now,
          atIso: isoOfMs(now),
          by,
          failureTimes: ban.failureTimes,
          counted: outcome.counted,
          windowExpiresAt: windowExpiry(group, Math.max(...ban.failureTimes), now),
          banAt: ban.at,
        };
        // The ban used the window: it goes (its event ids too, since the record's windowResetAt answers a
        // redelivery of them), and the mark holds its failures until the record does.
        delete windows[entryKey];
        verdicts[index] = {
          kind: "ban",
          fresh: ban.fresh,
          failures: ban.failureTimes.length,
          failureTimes: ban.failureTimes,
          lines: ban.lines,
          record,
          resumed: false,
          decision: ban.decision,
        };
        return;
      }
      if (outcome.counts > 0) {
        windows[entryKey] = windowEntry(group, outcome, now);
        verdicts[index] = { kind: "counted", failures: outcome.counts };
      } else if (outcome.reported > 0) {
        verdicts[index] = { kind: "reported", failures: outcome.reported };
      } else {
        verdicts[index] = { kind: "duplicate" };
      }
    });
  }
  if (!changed) return { item: undefined, verdicts };
  const { block, shard } = windowBlockOf(groups[0]?.ip ?? "");
  return { item: blockItem(key, block, shard, { windows, marks, totals }, groups, now), verdicts };
}

/** What judging an address's failures did for one of its groups. */
interface GroupJudgement {
  /** Failures not counted before (event ids), still inside findtime. */
  readonly fresh: readonly BatchFailure[];
  /** Fresh failures the policy counted (into the window or into the ban). */
  readonly used: number;
  /** Counted into the window, no ban. */
  readonly counts: number;
  /** Blocked by a ban in force, or answered by an earlier ban (at or before the record's windowResetAt). */
  readonly reported: number;
  readonly failureTimes: readonly number[];
  readonly counted: Readonly<Record<string, number>>;
  readonly lines: readonly string[];
  readonly totalFailures: number;
  readonly lastFailureAt: number;
  readonly ban?: {
    readonly decision: BanDecision;
    readonly at: number;
    readonly failureTimes: readonly number[];
    readonly fresh: readonly BatchFailure[];
    readonly lines: readonly string[];
  };
}

/**
 * Runs the fresh failures of one address (all its jails' groups) through the policy engine in time order, from
 * the state its windows and record hold. The record holds one ban: a second ban of the address in one batch, or
 * one while another is in force (a jail on other ports, restrict_to_jail_ports), is reported instead.
 */
function judgeAddress(
  ip: string,
  groups: readonly FailureGroup[],
  windows: Readonly<Record<string, WindowItem>>,
  record: IpRecord | undefined,
  now: number,
  policy: PolicySettings,
): { groups: GroupJudgement[] } {
  const resetAt = record?.windowResetAt ?? Number.NEGATIVE_INFINITY;
  const previous = groups.map((group) => windows[windowEntryKey(group.jail.name, ip)]);
  const seen = previous.map((window) => window?.counted ?? {});
  const fresh = groups.map((group, position) => {
    const keys = new Set<string>();
    const oldestKept = now - group.jail.findtime * 1000;
    return group.failures.filter((failure) => {
      const key = countedKey(failure.eventId);
      if (key in (seen[position] as Record<string, number>) || keys.has(key)) return false;
      keys.add(key);
      // Already outside findtime when it arrives: it can reach no ban, and a redelivery of it counts nothing.
      return failure.at > oldestKept;
    });
  });
  let state: AddressState = {
    windows: Object.fromEntries(
      groups.map((group, position) => [
        group.jail.name,
        (previous[position]?.failureTimes ?? []).filter((at) => at > resetAt),
      ]),
    ),
    bans:
      record?.ban === undefined
        ? []
        : [{ jail: record.ban.jail, bannedAt: record.ban.bannedAt, endsAt: record.ban.endsAt }],
    history: record ?? EMPTY_ADDRESS.history,
  };
  const inOrder = fresh
    .flatMap((failures, position) => failures.map((failure) => ({ failure, position })))
    .sort(
      (a, b) =>
        a.failure.at - b.failure.at ||
        (a.failure.line ?? 0) - (b.failure.line ?? 0) ||
        a.position - b.position,
    );
  const used = groups.map(() => [] as BatchFailure[]);
  const reported = groups.map(() => 0);
  let ban: (GroupJudgement["ban"] & { readonly position: number }) | undefined;
  for (const { failure, position } of inOrder) {
    const group = groups[position] as FailureGroup;
    // A ban already answered it (a late redelivery of the lines a ban used, or of lines after it).
    if (failure.at <= resetAt) {
      reported[position]++;
      continue;
    }
    const patterns = [...(used[position] as BatchFailure[]), failure].map((each) => each.patternId);
    const window = state.windows[group.jail.name] ?? [];
    const judged = judgeFailure(state, group.jail, ip, failure.at, patterns, policy);
    if (judged.outcome.kind === "blocked") {
      reported[position]++;
      state = judged.state;
      continue;
    }
    (used[position] as BatchFailure[]).push(failure);
    if (judged.outcome.kind === "ban") {
      const second = Math.floor(failure.at / 1000);
      const inForce = state.bans.some((each) => each.endsAt === null || each.endsAt > second);
      if (ban !== undefined || inForce) {
        // The record cannot hold this ban: the failure stays counted in the window, at maxretry.
        state = {
          ...state,
          windows: {
            ...state.windows,
            [group.jail.name]: [...window, failure.at].slice(-group.jail.maxretry),
          },
        };
        continue;
      }
      const lines = [
        ...(previous[position]?.lines ?? []),
        ...(used[position] as BatchFailure[]).map((each) => each.text),
      ];
      ban = {
        position,
        decision: judged.outcome.decision,
        at: failure.at,
        failureTimes: [...window, failure.at].slice(-group.jail.maxretry),
        fresh: [...(used[position] as BatchFailure[])],
        lines: lines.slice(-Math.min(WINDOW_LIMITS.lines, Math.max(1, group.jail.maxretry))),
      };
    }
    state = judged.state;
  }
  return {
    groups: groups.map((group, position) => {
      const window = previous[position];
      const mine = used[position] as BatchFailure[];
      const oldestRemembered = now - group.jail.findtime * 1000;
      const counted = Object.entries(seen[position] as Record<string, number>)
        .concat(
          (fresh[position] as BatchFailure[]).map((failure) => [countedKey(failure.eventId), failure.at]),
        )
        .filter(([, at]) => (at as number) > oldestRemembered)
        .sort((a, b) => (a[1] as number) - (b[1] as number))
        .slice(-WINDOW_LIMITS.countedIds);
      return {
        fresh: fresh[position] as BatchFailure[],
        used: mine.length,
        counts: ban?.position === position ? 0 : mine.length,
        reported: reported[position] as number,
        failureTimes: state.windows[group.jail.name] ?? [],
        counted: Object.fromEntries(counted),
        lines: [...(window?.lines ?? []), ...mine.map((failure) => failure.text)].slice(
          -Math.min(WINDOW_LIMITS.lines, Math.max(1, group.jail.maxretry)),
        ),
        totalFailures: (window?.totalFailures ?? 0) + mine.length,
        lastFailureAt: Math.max(window?.lastFailureAt ?? 0, ...mine.map((failure) => failure.at)),
        ...(ban?.position === position ? { ban } : {}),
      };
    }),
  };
}

/** A retry of the invocation that marked a ban decides it again from the mark: same failures, same time. */
function resumedDecision(
  mark: BanMark,
  group: FailureGroup,
  record: IpRecord | undefined,
  policy: PolicySettings,
): BanDecision {
  const jail = policy.jails.find((candidate) => candidate.name === mark.jail) ?? group.jail;
  return decideBan(
    jail,
    group.ip,
    record,
    mark.failureTimes.length,
    [],
    policy.jails,
    mark.banAt ?? mark.at,
    policy.random,
  );
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

function windowEntry(group: FailureGroup, state: GroupJudgement, now: number): WindowItem {
  return {
    jail: group.jail.name,
    ip: group.ip,
    failureTimes: state.failureTimes,
    counted: state.counted,
    totalFailures: state.totalFailures,
    lastFailureAt: state.lastFailureAt,
    lastFailureAtIso: isoOfMs(state.lastFailureAt),
    lines: state.lines,
    expiresAt: windowExpiry(group, state.lastFailureAt, now),
  };
}

/** Dropped once its last failure left findtime (counted from now, for lines stamped in the past). */
function windowExpiry(group: FailureGroup, lastFailureAt: number, now: number): number {
  return Math.floor(Math.max(lastFailureAt, now) / 1000) + group.jail.findtime;
}
