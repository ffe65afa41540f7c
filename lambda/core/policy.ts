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
  const { bantime, increment } = jail;
  if (bantime < 0) return PERMANENT;
  if (!increment.enabled) return bantime;
  const count = Math.max(0, Math.floor(previousBans));
  let seconds = bantime;
  if (count > 0) {
    const grown = increment.multipliers?.length
      ? bantime * increment.factor * runningMaximum(increment.multipliers, count)
      : bantime * 2 ** Math.min(count, MAX_DOUBLINGS) * increment.factor;
    seconds = Math.max(bantime, grown);
  }
  if (increment.rndtime) seconds += Math.min(Math.max(random(), 0), 1) * increment.rndtime;
  if (increment.maxtime !== undefined && increment.maxtime > 0)
    seconds = Math.min(seconds, increment.maxtime);
  return Math.round(seconds);
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
