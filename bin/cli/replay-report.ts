import { formatDuration } from "../../lambda/core/duration";
import type { BanEvent, JailEngine } from "../../lambda/core/jail-engine";

/** The `--json` form of one event: `{"action","jail","ip","at","until","failures","banCount"}`. */
export function eventJson(event: BanEvent): string {
  return JSON.stringify({
    action: event.action,
    jail: event.jail,
    ip: event.ip,
    at: iso(event.at),
    until: event.until === null ? null : iso(event.until),
    failures: event.failures,
    banCount: event.banCount,
  });
}

/** One timeline line: time, action, jail, address, failures, ban number and end. */
export function eventLine(event: BanEvent): string {
  const head = `${iso(event.at)}  ${event.action.padEnd(5)}  ${event.jail.padEnd(10)}  ${event.ip.padEnd(24)}`;
  if (event.action === "unban") return `${head}  ban #${event.banCount} ends`;
  const length =
    event.until === null
      ? "permanent"
      : `until ${iso(event.until)} (${formatDuration((event.until - event.at) / 1000)})`;
  return `${head}  ${event.failures} failures  ban #${event.banCount}  ${length}`;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

/** What the replay saw besides the events, for the summary. */
export interface ReplayCounts {
  readonly log: string;
  readonly config: string;
  readonly lines: number;
  readonly failures: number;
  readonly undated: number;
  /** Times of the first and last failure placed on the timeline. */
  readonly startedAt: number | undefined;
  readonly endedAt: number | undefined;
}

/** Accumulates bans as they are emitted, for the summary. */
export class ReplayTally {
  private readonly failuresByIp = new Map<string, number>();
  private readonly bansByIp = new Map<string, number>();
  private readonly bans: BanEvent[] = [];

  countFailure(ip: string): void {
    this.failuresByIp.set(ip, (this.failuresByIp.get(ip) ?? 0) + 1);
  }

  countEvent(event: BanEvent): void {
    if (event.action !== "ban") return;
    this.bans.push(event);
    this.bansByIp.set(event.ip, (this.bansByIp.get(event.ip) ?? 0) + 1);
  }

  /** Bans per jail, top offenders, longest bans, bans still in force at the end. */
  summary(engine: JailEngine, counts: ReplayCounts, jails: readonly string[], top = 10): string {
    const lines = [
      `Replay of ${counts.log} with ${counts.config}`,
      `Lines: ${counts.lines} read; failures: ${counts.failures} found` +
        (counts.undated > 0 ? `, ${counts.undated} without a time (skipped)` : "") +
        (counts.startedAt !== undefined && counts.endedAt !== undefined
          ? `, from ${iso(counts.startedAt)} to ${iso(counts.endedAt)}`
          : ""),
      "",
      "Bans per jail:",
    ];
    for (const name of jails) {
      const status = engine.status(name);
      const addresses = new Set(this.bans.filter((ban) => ban.jail === name).map((ban) => ban.ip)).size;
      lines.push(
        `  ${name.padEnd(12)} ${status.bans} bans of ${addresses} addresses, ${status.banned.size} still banned at the end; ` +
          `failures counted ${status.failures}, while banned ${status.failuresWhileBanned}, ignored (ignoreip) ${status.ignoredFailures}`,
      );
    }
    lines.push("", "Top offenders:");
    const offenders = [...this.failuresByIp]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, top);
    if (offenders.length === 0) lines.push("  (none)");
    for (const [ip, failures] of offenders) {
      lines.push(
        `  ${ip.padEnd(39)} ${String(failures).padStart(7)} failures  ${this.bansByIp.get(ip) ?? 0} bans`,
      );
    }
    lines.push("", "Longest bans:");
    const longest = [...this.bans].sort((a, b) => banLength(b) - banLength(a) || a.at - b.at).slice(0, top);
    if (longest.length === 0) lines.push("  (none)");
    for (const ban of longest) {
      const length = ban.until === null ? "permanent" : formatDuration((ban.until - ban.at) / 1000);
      lines.push(
        `  ${ban.ip.padEnd(39)} ${ban.jail.padEnd(12)} ${length.padEnd(10)} ban #${ban.banCount} at ${iso(ban.at)}`,
      );
    }
    return `${lines.join("\n")}\n`;
  }
}

function banLength(ban: BanEvent): number {
  return ban.until === null ? Number.POSITIVE_INFINITY : ban.until - ban.at;
}
