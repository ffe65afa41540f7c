import { formatDuration } from "./duration";
import { addFailures, banLength, isIgnored, PERMANENT } from "./policy";
import type { Failure, JailConfig } from "./types";

/**
 * The responder's pure core: from the failures a batch of log events produced to per-IP window updates and ban
 * decisions. Idempotent by construction: a failure carries the CloudWatch Logs id of its event, and a window
 * remembers the ids it has counted, so a batch delivered again adds nothing.
 */

/** Caps that keep a window small and readable in the console. */
export const WINDOW_LIMITS = {
  /** Event ids remembered per window (far above any sane maxretry: past a ban the IP is only reported). */
  countedIds: 200,
  /** Failure lines kept per window and per ban (at most the jail's maxretry: the lines that reach it). */
  lines: 10,
  /** Characters kept of each line. */
  lineLength: 300,
} as const;

/** One counted failure of a batch, tied to the event that carried it. */
export interface BatchFailure {
  /** CloudWatch Logs event id (`id#n` for the n-th failure of one event): the idempotency key. */
  readonly eventId: string;
  /** Epoch ms: the line's own time, else the event's timestamp. */
  readonly at: number;
  readonly patternId: string;
  readonly text: string;
}

/** The failures of one IP in one jail within a batch, oldest first. */
export interface FailureGroup {
  readonly jail: JailConfig;
  readonly ip: string;
  readonly failures: readonly BatchFailure[];
}

/** A log event as the core needs it. */
export interface BatchEvent {
  readonly id: string;
  readonly timestamp: number;
}

/**
 * Groups a batch's failures by jail and IP. `failuresByJail` holds what each jail's detector found; a failure's
 * `line` is the 1-based index of its event. Addresses in the jail's ignoreip are dropped here (ignoreip is
 * absolute) and counted in `ignored`.
 */
export function groupFailures(
  failuresByJail: ReadonlyMap<JailConfig, readonly Failure[]>,
  events: readonly BatchEvent[],
): { groups: FailureGroup[]; ignored: number } {
  const groups: FailureGroup[] = [];
  let ignored = 0;
  for (const [jail, failures] of failuresByJail) {
    const byIp = new Map<string, BatchFailure[]>();
    const perEvent = new Map<number, number>();
    for (const failure of failures) {
      const event = events[failure.line - 1];
      if (event === undefined) continue;
      // A second failure from one event (a multi-line message) gets its own stable key.
      const ordinal = (perEvent.get(failure.line) ?? 0) + 1;
      perEvent.set(failure.line, ordinal);
      if (isIgnored(jail, failure.ip)) {
        ignored++;
        continue;
      }
      let list = byIp.get(failure.ip);
      if (list === undefined) {
        list = [];
        byIp.set(failure.ip, list);
      }
      list.push({
        eventId: ordinal === 1 ? event.id : `${event.id}#${ordinal}`,
        at: failure.at ?? event.timestamp,
        patternId: failure.patternId,
        text: failure.text.slice(0, WINDOW_LIMITS.lineLength),
      });
    }
    for (const [ip, list] of byIp) groups.push({ jail, ip, failures: list.sort((a, b) => a.at - b.at) });
  }
  return { groups, ignored };
}

/** What a window remembers between invocations. */
export interface WindowState {
  /** Failure times (epoch ms) inside findtime, oldest first, at most maxretry: policy's FailureWindow. */
  readonly failureTimes: readonly number[];
  /** Event id -> epoch ms of the failures already counted that are still inside findtime. */
  readonly counted: Readonly<Record<string, number>>;
  readonly totalFailures: number;
  readonly lastFailureAt: number;
  /** Newest last, capped. */
  readonly lines: readonly string[];
}

/** The outcome of counting one group into its window. */
export interface CountResult {
  readonly state: WindowState;
  /** Failures of the group not counted before (a redelivered batch has none). */
  readonly fresh: readonly BatchFailure[];
  /** True when the window holds maxretry failures inside findtime. */
  readonly reached: boolean;
}

/**
 * Counts a group into its window at time `now`. Failures whose event id the window has seen are skipped; failures
 * at or before `resetAt` (epoch ms; those an earlier ban already used) stay out of the window but are reported.
 */
export function countFailures(
  previous: WindowState | undefined,
  group: FailureGroup,
  now: number,
  resetAt: number | undefined,
): CountResult {
  const jail = group.jail;
  const seen = previous?.counted ?? {};
  const fresh: BatchFailure[] = [];
  const batchIds = new Set<string>();
  const keys = new Map<BatchFailure, string>();
  for (const failure of group.failures) {
    const key = countedKey(failure.eventId);
    if (key in seen || batchIds.has(key)) continue;
    batchIds.add(key);
    keys.set(failure, key);
    fresh.push(failure);
  }
  const usable = (at: number) => resetAt === undefined || at > resetAt;
  const { window, reached } = addFailures(
    (previous?.failureTimes ?? []).filter(usable),
    fresh.map((failure) => failure.at).filter(usable),
    jail,
    now,
  );
  const oldestRemembered = now - jail.findtime * 1000;
  const counted = Object.entries(seen)
    .concat(fresh.map((failure) => [keys.get(failure) as string, failure.at]))
    .filter(([, at]) => at > oldestRemembered)
    .sort((a, b) => a[1] - b[1])
    .slice(-WINDOW_LIMITS.countedIds);
  const state: WindowState = {
    failureTimes: window,
    counted: Object.fromEntries(counted),
    totalFailures: (previous?.totalFailures ?? 0) + fresh.length,
    lastFailureAt: Math.max(previous?.lastFailureAt ?? 0, ...fresh.map((failure) => failure.at)),
    lines: [...(previous?.lines ?? []), ...fresh.map((failure) => failure.text)].slice(
      -Math.min(WINDOW_LIMITS.lines, Math.max(1, jail.maxretry)),
    ),
  };
  return { state, fresh, reached: reached && fresh.some((failure) => usable(failure.at)) };
}

/**
 * The key a window remembers an event id by: a 12-character digest of the 56-digit CloudWatch Logs id, in base 36
 * (a 32-bit FNV-1a hash and a second, differently mixed hash cut to 25 bits). A window holds at most 200 keys, so
 * a new failure taken for one already counted has odds of about 1 in 10^15.
 */
export function countedKey(eventId: string): string {
  let first = 0x811c9dc5;
  let second = 0x01000193 ^ eventId.length;
  for (let index = 0; index < eventId.length; index++) {
    const code = eventId.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193) >>> 0;
    second = Math.imul(second ^ code, 0x01000193) ^ (second >>> 15);
  }
  return (
    (first >>> 0).toString(36).padStart(7, "0") + ((second >>> 0) % 36 ** 5).toString(36).padStart(5, "0")
  );
}

/** An IP's earlier bans, as the ban decision needs them. Times in epoch seconds. */
export interface BanHistory {
  readonly banCount: number;
  readonly banCountByJail: Readonly<Record<string, number>>;
  readonly recentBans: readonly { readonly jail: string; readonly bannedAt: number }[];
}

/** A ban to impose. Times in epoch seconds. */
export interface BanDecision {
  /** The jail that bans: the failing jail, or the recidive jail when the IP keeps coming back. */
  readonly jail: string;
  /** Seconds, or -1 (permanent). */
  readonly seconds: number;
  readonly bannedAt: number;
  /** Null for a permanent ban. */
  readonly endsAt: number | null;
  /** 1 for the first ban counted by the banning jail's rules (per jail, or overall with overalljails). */
  readonly banNumber: number;
  readonly reason: string;
  /** How `seconds` was computed from bantime and bantime.increment (policy.ts banLength). */
  readonly lengthRule: string;
}

/**
 * Decides the ban of `ip` now that `jail`'s window reached maxretry: its length from bantime.increment and the
 * IP's history, or the recidive jail's ban when an enabled `filter = recidive` jail counts enough earlier bans
 * inside its findtime (this ban included). `now` is epoch ms; `random` in [0, 1) feeds bantime.rndtime.
 */
export function decideBan(
  jail: JailConfig,
  ip: string,
  history: BanHistory | undefined,
  failures: number,
  patterns: readonly string[],
  jails: readonly JailConfig[],
  now: number,
  random: () => number,
): BanDecision {
  const bannedAt = Math.floor(now / 1000);
  const recidive = recidiveBan(jail, ip, history, jails, bannedAt, random);
  if (recidive !== undefined) return recidive;
  return nextBan(
    jail,
    history,
    bannedAt,
    random,
    `${failures} failures within ${formatDuration(jail.findtime)} (maxretry ${jail.maxretry})${patternSummary(patterns)}`,
  );
}

/** The jail's next ban of an IP with this history: its number and length (bantime.increment) from `now`. */
function nextBan(
  jail: JailConfig,
  history: BanHistory | undefined,
  bannedAt: number,
  random: () => number,
  reason: string,
): BanDecision {
  const previous = previousBans(jail, history);
  const { seconds, rule } = banLength(jail, previous, random);
  return {
    jail: jail.name,
    seconds,
    bannedAt,
    endsAt: seconds === PERMANENT ? null : bannedAt + seconds,
    banNumber: previous + 1,
    reason,
    lengthRule: rule,
  };
}

function recidiveBan(
  jail: JailConfig,
  ip: string,
  history: BanHistory | undefined,
  jails: readonly JailConfig[],
  bannedAt: number,
  random: () => number,
): BanDecision | undefined {
  const recidive = jails.find((candidate) => candidate.enabled && candidate.filter === "recidive");
  if (recidive === undefined || recidive === jail || isIgnored(recidive, ip)) return undefined;
  const since = bannedAt - recidive.findtime;
  const earlier = (history?.recentBans ?? []).filter(
    (ban) => ban.jail !== recidive.name && ban.bannedAt > since,
  ).length;
  if (earlier + 1 < recidive.maxretry) return undefined;
  return nextBan(
    recidive,
    history,
    bannedAt,
    random,
    `${earlier + 1} bans within ${formatDuration(recidive.findtime)} (recidive maxretry ${recidive.maxretry}), last by ${jail.name}`,
  );
}

function previousBans(jail: JailConfig, history: BanHistory | undefined): number {
  if (history === undefined) return 0;
  return jail.increment.overalljails ? history.banCount : (history.banCountByJail[jail.name] ?? 0);
}

function patternSummary(patterns: readonly string[]): string {
  if (patterns.length === 0) return "";
  const counts = new Map<string, number>();
  for (const pattern of patterns) counts.set(pattern, (counts.get(pattern) ?? 0) + 1);
  const parts = [...counts].sort((a, b) => b[1] - a[1]).map(([pattern, count]) => `${pattern} x${count}`);
  return `; this batch: ${parts.join(", ")}`;
}
