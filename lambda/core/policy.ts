import { formatDuration } from "./duration";
import { canonicalIp, IpSet } from "./ip";
import type { JailConfig } from "./types";

/**
 * The ban policy, as fail2ban defines it, without state or clock: the caller passes the window it stored,
 * the ban history it counted and the time. Everything here is a pure function of its arguments.
 */

/** Failure times (epoch ms) of one IP in one jail still inside findtime, oldest first, at most maxretry kept. */
export type FailureWindow = readonly number[];

/** The permanent ban marker, as in fail2ban's `bantime = -1`. */
export const PERMANENT = -1;

/** fail2ban's default formula stops doubling after 20 earlier bans (`1 << min(count, 20)`). */
const MAX_DOUBLINGS = 20;

/**
 * Adds failures (any order) to a window at time `now`; drops those older than findtime; `reached` = maxretry hit.
 * A failure counts while `now - at < findtime`; failures stamped after `now` (clock skew) are kept.
 */
export function addFailures(
  window: FailureWindow,
  times: readonly number[],
  jail: JailConfig,
  now: number,
): { window: FailureWindow; reached: boolean } {
  const oldestKept = now - jail.findtime * 1000;
  const merged = [...window, ...times].filter((at) => at > oldestKept).sort((a, b) => a - b);
  const kept = merged.length > jail.maxretry ? merged.slice(merged.length - jail.maxretry) : merged;
  return { window: kept, reached: kept.length >= jail.maxretry };
}

/**
 * Length in seconds of the next ban of an IP that already had `previousBans` bans (-1 = permanent). `random` in [0,1).
 *
 * Without `bantime.increment` every ban lasts `bantime`. With it, as fail2ban computes it, the ban after n earlier
 * bans lasts `bantime * 2^min(n, 20) * factor`, or `bantime * factor * multipliers[min(n, last)]` when multipliers
 * are set; the first ban (n = 0) lasts `bantime`. Two deliberate differences: a repeat ban is never shorter than
 * an earlier one (multipliers are read as their running maximum, and nothing goes below `bantime`), and `maxtime`
 * caps the length after the `rndtime` jitter is added, so it is a hard ceiling.
 */
export function banSeconds(jail: JailConfig, previousBans: number, random: () => number): number {
  return banLength(jail, previousBans, random).seconds;
}

/** A ban's length and how it was computed, in words an operator can check against the jail's options. */
export interface BanLength {
  /** Seconds, or -1 (permanent). */
  readonly seconds: number;
  /** `bantime 1h x 2^2 (2 earlier bans) x factor 1 = 4h; capped by maxtime 3h = 3h`. */
  readonly rule: string;
}

/** {@link banSeconds} with the computation spelled out (what `cloudjail banned --why` shows). */
export function banLength(jail: JailConfig, previousBans: number, random: () => number): BanLength {
  const { bantime, increment } = jail;
  if (bantime < 0) return { seconds: PERMANENT, rule: "bantime -1: permanent" };
  const base = `bantime ${formatDuration(bantime)}`;
  if (!increment.enabled) return { seconds: bantime, rule: `${base} (bantime.increment off)` };
  const count = Math.max(0, Math.floor(previousBans));
  let seconds = bantime;
  const steps: string[] = [count === 0 ? `${base} (first ban)` : base];
  if (count > 0) {
    const earlier = `${count} earlier ban${count === 1 ? "" : "s"}`;
    const multiplier = increment.multipliers?.length
      ? runningMaximum(increment.multipliers, count)
      : undefined;
    const grown =
      multiplier === undefined
        ? bantime * 2 ** Math.min(count, MAX_DOUBLINGS) * increment.factor
        : bantime * increment.factor * multiplier;
    steps.push(
      multiplier === undefined
        ? `x 2^${Math.min(count, MAX_DOUBLINGS)} (${earlier}) x factor ${increment.factor}`
        : `x factor ${increment.factor} x multiplier ${multiplier} (${earlier})`,
    );
    if (grown < bantime) steps.push(`(${formatDuration(grown)}, never below ${base})`);
    seconds = Math.max(bantime, grown);
  }
  if (increment.rndtime) {
    const jitter = Math.min(Math.max(random(), 0), 1) * increment.rndtime;
    seconds += jitter;
    steps.push(`+ ${formatDuration(jitter)} of rndtime ${formatDuration(increment.rndtime)}`);
  }
  if (increment.maxtime !== undefined && increment.maxtime > 0 && seconds > increment.maxtime) {
    steps.push(`(${formatDuration(seconds)}), capped by maxtime ${formatDuration(increment.maxtime)}`);
    seconds = increment.maxtime;
  }
  seconds = Math.round(seconds);
  return { seconds, rule: `${steps.join(" ")} = ${formatDuration(seconds)}` };
}

/** The largest of `multipliers[0..min(count, last)]`: later bans never use a smaller multiplier. */
function runningMaximum(multipliers: readonly number[], count: number): number {
  const last = Math.min(count, multipliers.length - 1);
  let largest = multipliers[0];
  for (let index = 1; index <= last; index++) largest = Math.max(largest, multipliers[index]);
  return largest;
}

const compiledIgnoreLists = new WeakMap<readonly string[], IpSet>();

/**
 * ignoreip check (absolute: an ignored address is never banned by any path). Accepts a compiled set for hot paths;
 * given a jail, the jail's list is compiled once and cached. Text that is not an IP address is never ignored.
 */
export function isIgnored(jail: JailConfig | IpSet, ip: string): boolean {
  const canonical = canonicalIp(ip);
  if (canonical === undefined) return false;
  return ignoreSet(jail).has(canonical);
}

/** The compiled `ignoreip` list of a jail (cached per list). */
export function ignoreSet(jail: JailConfig | IpSet): IpSet {
  if (jail instanceof IpSet) return jail;
  let set = compiledIgnoreLists.get(jail.ignoreip);
  if (set === undefined) {
    set = new IpSet(jail.ignoreip);
    compiledIgnoreLists.set(jail.ignoreip, set);
  }
  return set;
}
