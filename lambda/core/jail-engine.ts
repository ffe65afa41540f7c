import { type AddressState, EMPTY_ADDRESS, judgeFailure, type PolicySettings } from "./address-policy";
import { BanExpiryQueue } from "./ban-expiry-queue";
import { ignoreSet } from "./policy";
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
 * Runs failures through the policy engine (address-policy.ts, the one the responder runs) in time order, keeping
 * each address's state in memory, and emits ban and unban events: what a deployed cloudjail would decide. Used by
 * `cloudjail replay` and the local demo's status view. Feed failures with nondecreasing times; `advance` emits
 * the unbans due by a time.
 */
export class JailEngine {
  private readonly jails = new Map<string, JailConfig>();
  private readonly recidiveJails: JailConfig[] = [];
  private readonly addresses = new Map<string, AddressState>();
  private readonly statuses = new Map<string, JailStatus>();
  private readonly settings: PolicySettings;
  private readonly expiries = new BanExpiryQueue();
  private readonly ignoreDecisions = new Map<string, Map<string, boolean>>();

  constructor(config: CloudjailConfig, options: JailEngineOptions) {
    const enabled = config.jails.filter((jail) => jail.enabled);
    for (const jail of enabled) {
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
    this.settings = {
      jails: enabled,
      restrictToJailPorts: !(options.banBlocksAllJails ?? !config.nacl.restrictToJailPorts),
      random: options.random,
    };
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
    const judged = judgeFailure(this.addresses.get(ip) ?? EMPTY_ADDRESS, jail, ip, at, [], this.settings);
    this.addresses.set(ip, judged.state);
    const { outcome } = judged;
    if (outcome.kind === "blocked") {
      status.failuresWhileBanned++;
      return events;
    }
    status.failures++;
    if (outcome.kind === "counted") return events;
    // A recidive jail counts the bans of the other jails like failures.
    for (const recidive of this.recidiveJails) {
      if (this.ignores(recidive, ip)) this.statusOf(recidive.name).ignoredFailures++;
      else this.statusOf(recidive.name).failures++;
    }
    const { decision } = outcome;
    const until = decision.endsAt === null ? null : decision.endsAt * 1000;
    const banned = this.statusOf(decision.jail);
    banned.bans++;
    banned.banned.set(ip, { ip, at, until, banCount: decision.banNumber });
    if (until !== null) this.expiries.add({ until, jail: decision.jail, ip });
    events.push({
      action: "ban",
      jail: decision.jail,
      ip,
      at,
      until,
      failures: outcome.failures,
      banCount: decision.banNumber,
    });
    return events;
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
