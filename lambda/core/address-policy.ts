import { type BanDecision, type BanHistory, decideBan } from "./batch";
import { denyPortRange } from "./nacl-plan";
import { addFailures, type FailureWindow } from "./policy";
import type { JailConfig, PortRange } from "./types";

/**
 * The one policy engine (issue 13 §1): what one failure of an address does, given what is known of the address.
 * `cloudjail replay` and the demo keep this state in memory (jail-engine.ts); the responder reads it from its
 * window block and IP record and writes back what changed (lambda/aws/window-blocks.ts). Each failure is judged
 * at its own time, in time order, so a log gives the same bans however its lines are batched.
 */

/** Bans kept in an address's history (enough for any recidive maxretry); the IP record keeps as many. */
export const RECENT_BANS_LIMIT = 20;

/** A ban in force, as the policy needs it. Times in epoch seconds. */
export interface BanInForce {
  readonly jail: string;
  readonly bannedAt: number;
  /** Null for a permanent ban. */
  readonly endsAt: number | null;
}

/** What the policy knows of one address. */
export interface AddressState {
  /** Jail name -> failure times (epoch ms) inside findtime. */
  readonly windows: Readonly<Record<string, FailureWindow>>;
  readonly bans: readonly BanInForce[];
  readonly history: BanHistory;
}

/** The settings every decision reads. */
export interface PolicySettings {
  readonly jails: readonly JailConfig[];
  /** A ban denies TCP on its jail's ports only (else all traffic). */
  readonly restrictToJailPorts: boolean;
  /** Uniform in [0, 1), for bantime.rndtime. */
  readonly random: () => number;
}

/** What one failure did. */
export type FailureOutcome =
  /** A ban in force covers the jail's ports: in the cloud the NACL drops the failure; it is only reported. */
  | { readonly kind: "blocked" }
  | { readonly kind: "counted" }
  /** The jail reached maxretry: the ban to impose (the recidive jail's when the address keeps coming back). */
  | { readonly kind: "ban"; readonly decision: BanDecision; readonly failures: number };

export const EMPTY_ADDRESS: AddressState = {
  windows: {},
  bans: [],
  history: { banCount: 0, banCountByJail: {}, recentBans: [] },
};

/**
 * One failure of `ip` in log jail `jail` at `at` (epoch ms), with the address's state: the outcome and the state
 * after it. Bans that ended by `at` no longer block. Pure: the caller stores the state.
 */
export function judgeFailure(
  state: AddressState,
  jail: JailConfig,
  ip: string,
  at: number,
  /** Pattern ids of the failures the reason names ("this batch: sshd.failed-auth x5"); may be empty. */
  patterns: readonly string[],
  settings: PolicySettings,
): { state: AddressState; outcome: FailureOutcome } {
  const seconds = Math.floor(at / 1000);
  const bans = state.bans.filter((ban) => ban.endsAt === null || ban.endsAt > seconds);
  if (bans.some((ban) => blocks(ban, jail, settings))) {
    return { state: { ...state, bans }, outcome: { kind: "blocked" } };
  }
  const { window, reached } = addFailures(state.windows[jail.name] ?? [], [at], jail, at);
  if (!reached) {
    return {
      state: { ...state, bans, windows: { ...state.windows, [jail.name]: window } },
      outcome: { kind: "counted" },
    };
  }
  const decision = decideBan(
    jail,
    ip,
    state.history,
    window.length,
    patterns,
    settings.jails,
    at,
    settings.random,
  );
  const { [jail.name]: _used, ...windows } = state.windows;
  return {
    state: {
      windows,
      bans: [...bans, { jail: decision.jail, bannedAt: decision.bannedAt, endsAt: decision.endsAt }],
      history: withBanInHistory(state.history, decision),
    },
    outcome: { kind: "ban", decision, failures: decision.failures ?? window.length },
  };
}

/** The history after `decision`: one more ban overall and in its jail, and in the recent bans (capped). */
export function withBanInHistory(history: BanHistory, decision: BanDecision): BanHistory {
  return {
    banCount: history.banCount + 1,
    banCountByJail: {
      ...history.banCountByJail,
      [decision.jail]: (history.banCountByJail[decision.jail] ?? 0) + 1,
    },
    recentBans: [...history.recentBans, { jail: decision.jail, bannedAt: decision.bannedAt }].slice(
      -RECENT_BANS_LIMIT,
    ),
  };
}

/**
 * True when `ban` keeps the failures of `jail` out. A ban denying all traffic blocks every jail; so does a
 * recidive ban (fail2ban's recidive bans every port). With restrict_to_jail_ports, a ban denies TCP on its
 * jail's port range (one NACL entry from the lowest to the highest port), and blocks the jails whose ports lie
 * inside it; a jail on other ports judges the address on its own.
 */
export function blocks(ban: BanInForce, jail: JailConfig, settings: PolicySettings): boolean {
  if (ban.jail === jail.name) return true;
  const banning = settings.jails.find((candidate) => candidate.name === ban.jail);
  if (banning === undefined || banning.filter === "recidive") return true;
  const denied = denyPortRange(banning.port, settings.restrictToJailPorts);
  if (denied === undefined) return true;
  const wanted: PortRange | undefined = denyPortRange(jail.port, true);
  return wanted !== undefined && denied.from <= wanted.from && wanted.to <= denied.to;
}
