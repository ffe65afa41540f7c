import { BanExpiryQueue } from "./ban-expiry-queue";
import { addFailures, banSeconds, type FailureWindow, ignoreSet, PERMANENT } from "./policy";
import type { CloudjailConfig, JailConfig } from "./types";

/** A ban or an unban decided by the engine. Times are epoch ms; `until` is null for a permanent ban. */
export interface BanEvent {
  readonly action: "ban" | "unban";
  readonly jail: string;
  readonly ip: string;
  readonly at: number;
  readonly until: number | null;
  /** Failures (or, for a recidive jail, bans) that led to the ban. */
  readonly failures: number;
  /** 1 for the first ban of the IP (in this jail, or in any jail with bantime.overalljails). */
  readonly banCount: number;
}

/** Counts per jail, as `fail2ban-client status <jail>` shows them. */
export interface JailStatus {
  readonly jail: string;
  /** Failures that went into the window. */
  failures: number;
  /** Failures from an address that was banned at that moment: reported, never counted towards a ban. */
  failuresWhileBanned: number;
  /** Failures from an address in ignoreip. */
  ignoredFailures: number;
  bans: number;
  readonly banned: Map<string, ActiveBan>;
}

/** A ban in force. */
export interface ActiveBan {
  readonly ip: string;
  readonly at: number;
  readonly until: number | null;
  readonly banCount: number;
}

export interface JailEngineOptions {
  /** Source of randomness in [0,1) for `bantime.rndtime`; pass a seeded one for reproducible output. */
  readonly random: () => number;
  /**
   * Whether a ban blocks the address for every jail (a deny entry for all traffic, the default) or only for the
   * jail that banned it (`restrictToJailPorts`). Defaults to what the configuration's NACL settings say.
   */
  readonly banBlocksAllJails?: boolean;
}

/**
 * Runs failures through the policy in time order and emits ban and unban events: what a deployed cloudjail would
 * decide, in memory. Used by `cloudjail replay` and the local demo's status view. Feed failures with
 * nondecreasing times; `advance` emits the unbans due by a time.
 */
export class JailEngine {
  private readonly jails = new Map<string, JailConfig>();
  private readonly recidiveJails: JailConfig[] = [];
  private readonly windows = new Map<string, FailureWindow>();
  /** Earlier bans per `jail\u0000ip` and per ip (for overalljails). */
  private readonly history = new Map<string, number>();
  private readonly statuses = new Map<string, JailStatus>();
  private readonly blocksAllJails: boolean;
  private readonly expiries = new BanExpiryQueue();
  private readonly ignoreDecisions = new Map<string, Map<string, boolean>>();

  constructor(
    config: CloudjailConfig,
    private readonly options: JailEngineOptions,
  ) {
    for (const jail of config.jails) {
      if (!jail.enabled) continue;
      this.jails.set(jail.name, jail);
      if (jail.filter === "recidive") this.recidiveJails.push(jail);
      this.statuses.set(jail.name, {
        jail: jail.name,
        failures: 0,
        failuresWhileBanned: 0,
        ignoredFailures: 0,
        bans: 0,
        banned: new Map(),
      });
    }
    this.blocksAllJails = options.banBlocksAllJails ?? !config.nacl.restrictToJailPorts;
  }

  /** The enabled jails the engine runs. */
  get jailNames(): string[] {
    return [...this.jails.keys()];
  }

  /** Counts and active bans per jail. */
  status(jail: string): JailStatus {
    return this.statusOf(jail);
  }

  /** Emits the unbans due at or before `now` (in the order they fall due) and moves the engine's clock. */
  advance(now: number): BanEvent[] {
    const events: BanEvent[] = [];
    for (const due of this.expiries.takeDue(now)) {
      const status = this.statusOf(due.jail);
      const ban = status.banned.get(due.ip);
      if (!ban || ban.until !== due.until) continue;
      status.banned.delete(due.ip);
      events.push({
        action: "unban",
        jail: due.jail,
        ip: due.ip,
        at: due.until,
        until: null,
        failures: 0,
        banCount: ban.banCount,
      });
    }
    return events;
  }

  /** Feeds one failure of `ip` in log jail `jailName` at `at`; returns the unbans that fell due first and any bans. */
  pushFailure(jailName: string, ip: string, at: number): BanEvent[] {
    const jail = this.jails.get(jailName);
    if (!jail)
      throw new Error(`jail "${jailName}" is not enabled; enabled jails: ${this.jailNames.join(", ")}`);
    const events = this.advance(at);
    const status = this.statusOf(jailName);
    if (this.ignores(jail, ip)) {
      status.ignoredFailures++;
      return events;
    }
    if (this.isBlocked(jailName, ip)) {
      status.failuresWhileBanned++;
      return events;
    }
    status.failures++;
    const key = windowKey(jailName, ip);
    const { window, reached } = addFailures(this.windows.get(key) ?? [], [at], jail, at);
    if (!reached) {
      this.windows.set(key, window);
      return events;
    }
    this.windows.delete(key);
    events.push(this.recidiveBan(jail, ip, at) ?? this.ban(jail, ip, at, window.length));
    return events;
  }

  /** True when `ip` is banned at this moment in `jailName` (or in any jail when a ban blocks all traffic). */
  isBlocked(jailName: string, ip: string): boolean {
    if (!this.blocksAllJails) {
      // A recidive ban covers every port, as fail2ban's recidive jail bans with banaction_allports.
      return (
        this.statusOf(jailName).banned.has(ip) ||
        this.recidiveJails.some((r) => this.statusOf(r.name).banned.has(ip))
      );
    }
    for (const status of this.statuses.values()) if (status.banned.has(ip)) return true;
    return false;
  }

  private ban(jail: JailConfig, ip: string, at: number, failures: number): BanEvent {
    const previousBans = this.history.get(jail.increment.overalljails ? ip : windowKey(jail.name, ip)) ?? 0;
    const seconds = banSeconds(jail, previousBans, this.options.random);
    const until = seconds === PERMANENT ? null : at + seconds * 1000;
    const banCount = previousBans + 1;
    this.history.set(windowKey(jail.name, ip), (this.history.get(windowKey(jail.name, ip)) ?? 0) + 1);
    this.history.set(ip, (this.history.get(ip) ?? 0) + 1);
    const status = this.statusOf(jail.name);
    status.bans++;
    status.banned.set(ip, { ip, at, until, banCount });
    if (until !== null) this.expiries.add({ until, jail: jail.name, ip });
    return { action: "ban", jail: jail.name, ip, at, until, failures, banCount };
  }

  /**
   * A recidive jail counts the bans of the other jails inside its findtime, like failures (this ban included).
   * When they reach its maxretry, its long ban replaces the ban the log jail was about to give, as the deployed
   * responder does (one deny entry per address); otherwise the log jail's ban is counted and undefined returned.
   */
  private recidiveBan(jail: JailConfig, ip: string, at: number): BanEvent | undefined {
    for (const recidive of this.recidiveJails) {
      if (recidive.name === jail.name) continue;
      const status = this.statusOf(recidive.name);
      if (this.ignores(recidive, ip)) {
        status.ignoredFailures++;
        continue;
      }
      status.failures++;
      const key = windowKey(recidive.name, ip);
      const { window, reached } = addFailures(this.windows.get(key) ?? [], [at], recidive, at);
      if (!reached) {
        this.windows.set(key, window);
        continue;
      }
      this.windows.delete(key);
      return this.ban(recidive, ip, at, window.length);
    }
    return undefined;
  }

  /** ignoreip, remembered per address: parsing an address costs more than the rest of a failure. */
  private ignores(jail: JailConfig, ip: string): boolean {
    let known = this.ignoreDecisions.get(jail.name);
    if (!known) {
      known = new Map();
      this.ignoreDecisions.set(jail.name, known);
    }
    let ignored = known.get(ip);
    if (ignored === undefined) {
      ignored = ignoreSet(jail).has(ip);
      known.set(ip, ignored);
    }
    return ignored;
  }

  private statusOf(jail: string): JailStatus {
    const status = this.statuses.get(jail);
    if (!status)
      throw new Error(`jail "${jail}" is not enabled; enabled jails: ${this.jailNames.join(", ")}`);
    return status;
  }
}

function windowKey(jail: string, ip: string): string {
  return `${jail}\u0000${ip}`;
}
