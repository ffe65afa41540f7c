import { AddressCache, detach, ipv4Text, plainIpv4Value } from "./address-text";
import {
  ConnectionTable,
  OPEN_CREDENTIAL,
  OPEN_NONE,
  OPEN_PRECURSOR,
  type PendingFailure,
} from "./connection-table";
import { countHit, type Detector, type LineContext, NONE, newStats, screenedOut } from "./detector-api";
import { DISPLAY_USER, displayText, MAX_SSHD_MESSAGE } from "./line-limits";
import { LogLine } from "./log-line";
import { parseLogLine as parseLogLineImport } from "./log-line-parser";
import { ServerAddresses } from "./server-addresses";
import { matchSshdMessage as matchSshdMessageImport, SshdMatch } from "./sshd-filter";
import { SSHD, type SshdPattern } from "./sshd-patterns";
import type { StampClock } from "./stamp-clock";
import type { Failure } from "./types";
import { isSourceText, type UnbannableFailure, UnbannableSources } from "./unbannable-sources";

// Module-local bindings for the per-line calls: the CommonJS that tsx/esbuild emit reads an imported binding
// through a getter at every use.
const parseLogLine = parseLogLineImport;
const matchSshdMessage = matchSshdMessageImport;

/** sshd processes whose connection state is kept (a power of two: see ConnectionTable). */
export const MAX_CONNECTIONS = 1 << 16;
/** PAM refusals held per connection (sshd's MaxAuthTries is 6 by default). */
const MAX_REFUSALS = 16;
/** A closed connection's pid seen again after this long is a new connection (pid reuse). */
const CONNECTION_GAP_MS = 60_000;

function isSshdProgram(line: LogLine): boolean {
  return line.isProgram("sshd") || line.isProgram("sshd-session") || line.isProgram("sshd-auth");
}

function userText(text: string, start: number, end: number): string {
  return text.slice(start, Math.min(end, start + DISPLAY_USER));
}

/** The canonical address of the connection in `slot`; undefined before a line of it named one. */
function connectionAddress(connections: ConnectionTable, slot: number): string | undefined {
  const ipv4 = connections.ipv4[slot] as number;
  return ipv4 === -1 ? connections.ip[slot] : ipv4Text(ipv4);
}

function withAddress(failure: PendingFailure, ip: string): Failure {
  return {
    ip,
    at: failure.at,
    patternId: failure.patternId,
    family: failure.family,
    user: failure.user,
    host: failure.host,
    pid: failure.pid,
    line: failure.line,
    text: failure.text,
  };
}

/** fail2ban's sshd filter in one of its modes, attempts correlated per sshd process. */
export class SshdDetector implements Detector {
  readonly stats = newStats();
  private readonly match = new SshdMatch();
  private readonly unbannable = new UnbannableSources(this.stats);
  private readonly connections = new ConnectionTable(MAX_CONNECTIONS, this.unbannable);
  private readonly addresses = new AddressCache();
  private readonly server = new ServerAddresses();
  /** Reused for every line: the hot path allocates nothing for lines that count nothing. */
  private readonly line = new LogLine();
  /** The host name of the last failure: a log names few hosts, so failures share the string. */
  private lastHost: string | undefined;
  /** The current line's address (see readAddress): as a number when IPv4, else -1 ... */
  private lineIpv4 = -1;
  /** ... and as canonical text, made only when needed for a plain IPv4. */
  private lineIp: string | undefined;
  private lineIpStart = 0;
  private lineIpEnd = 0;

  constructor(
    private readonly mask: number,
    private readonly ignore: readonly RegExp[],
    private readonly clock: StampClock,
  ) {}

  push(text: string, context: LineContext): readonly Failure[] {
    const stats = this.stats;
    if (screenedOut(stats, text)) return NONE;
    // Cheap rejection of the (usually many) lines that cannot be sshd's, before any parsing.
    if (text.indexOf("sshd") === -1) {
      stats.missed++;
      return NONE;
    }
    const line = parseLogLine(text, this.line);
    if (line === undefined || !isSshdProgram(line)) {
      stats.missed++;
      return NONE;
    }
    const end = line.messageEnd;
    if (end - line.messageStart > MAX_SSHD_MESSAGE) {
      // Longer than sshd ever hands syslog: not sshd's line as it stands, whatever it looks like.
      stats.skipped++;
      return NONE;
    }
    const match = this.match;
    if (!matchSshdMessage(text, line.messageStart, end, match)) {
      stats.missed++;
      return NONE;
    }
    const pattern = match.pattern;
    const counts = (pattern.bit & this.mask) !== 0;
    if (counts) {
      if (this.ignore.length > 0 && this.ignored(line.message)) {
        stats.ignored++;
        return NONE;
      }
      countHit(stats, pattern.id);
    } else {
      stats.missed++;
    }
    const learned =
      match.localStart === -1 ? undefined : this.learnLocal(text, match.localStart, match.localEnd);
    let found: readonly Failure[];
    if (pattern === SSHD.listenerTimeout) {
      found = counts ? this.listenerTimeout(text, end, line, context) : NONE;
    } else if (line.pid === undefined || !pattern.correlated) {
      const ip =
        counts && match.ipStart !== -1
          ? this.addresses.canonical(text, match.ipStart, match.ipEnd)
          : undefined;
      if (ip !== undefined) {
        found = this.repeated(this.failure(text, end, line, pattern, context, ip), line.repeats);
      } else {
        if (counts && match.ipStart !== -1)
          this.unbannableSource(text, end, line, pattern, context, line.repeats);
        found = NONE;
      }
    } else {
      found = NONE;
      if (match.ipStart !== -1 || match.candidateCount === 0 || this.resolveByConnection(text, line.pid)) {
        found = this.correlate(text, end, line, line.pid, pattern, counts, context);
        for (let repeat = 1; repeat < line.repeats; repeat++) {
          const more = this.correlate(text, end, line, line.pid, pattern, counts, context);
          if (more.length > 0) found = found.concat(more);
        }
      }
    }
    return learned === undefined ? found : learned.concat(found);
  }

  /** `count` copies of one failure (rsyslog's `message repeated N times` for an uncorrelated line). */
  private repeated(failure: Failure, count: number): readonly Failure[] {
    return count === 1 ? [failure] : Array.from({ length: count }, () => failure);
  }

  /**
   * A line read more than one way (client text on both sides of the address) names the connection's own
   * address when that is one of its readings; false when the connection has another address (the line then
   * counts nothing).
   */
  private resolveByConnection(text: string, pid: number): boolean {
    const match = this.match;
    const slot = this.connections.find(pid);
    const known = slot === -1 ? undefined : connectionAddress(this.connections, slot);
    // Not known yet: the attempt waits for a later line of the process to name the address.
    if (known === undefined) return true;
    for (let index = 0; index < match.candidateCount; index++) {
      const start = match.candidates[index * 2] as number;
      const end = match.candidates[index * 2 + 1] as number;
      if (this.addresses.canonical(text, start, end) === known) {
        match.ipStart = start;
        match.ipEnd = end;
        return true;
      }
    }
    // None of the readings is the connection's: the line is not read at all rather than guessed.
    return false;
  }

  /**
   * The 9.8+ listener's `Timeout before authentication for connection from A to B, pid = P`: counts for the
   * remote address, the one that is not the server's: known from P's own lines, or because the other one is a
   * known local address; held until one of the two is known to be local otherwise; never the local one.
   */
  private listenerTimeout(
    text: string,
    end: number,
    line: LogLine,
    context: LineContext,
  ): readonly Failure[] {
    const match = this.match;
    const pattern = match.pattern;
    if (match.ipStart !== -1) {
      const ip = this.addresses.canonical(text, match.ipStart, match.ipEnd);
      return ip === undefined || this.server.isLocal(ip)
        ? NONE
        : [this.failure(text, end, line, pattern, context, ip)];
    }
    const first = this.addresses.canonical(
      text,
      match.candidates[0] as number,
      match.candidates[1] as number,
    );
    const second = this.addresses.canonical(
      text,
      match.candidates[2] as number,
      match.candidates[3] as number,
    );
    if (first === undefined || second === undefined || first === second) return NONE;
    const child = match.childPid === -1 ? -1 : this.connections.find(match.childPid);
    const childAddress = child === -1 ? undefined : connectionAddress(this.connections, child);
    let remote: string | undefined;
    if (childAddress === first || childAddress === second) remote = childAddress;
    else remote = this.server.remoteOf(first, second);
    if (remote !== undefined) return [this.failure(text, end, line, pattern, context, remote)];
    this.server.hold(first, second, this.pending(text, end, line, pattern, context));
    return NONE;
  }

  /** Remembers an address the line names as the server's own; returns the held timeouts that now count. */
  private learnLocal(text: string, start: number, end: number): Failure[] | undefined {
    const ip = this.addresses.canonical(text, start, end);
    return ip === undefined ? undefined : this.server.learn(ip);
  }

  takeUnbannable(): readonly UnbannableFailure[] {
    return this.unbannable.take();
  }

  /** An uncorrelated line's source that is no address: `copies` unbannable failures. */
  private unbannableSource(
    text: string,
    end: number,
    line: LogLine,
    pattern: SshdPattern,
    context: LineContext,
    copies: number,
  ): void {
    const match = this.match;
    if (!isSourceText(text, match.ipStart, match.ipEnd)) return;
    const failure = this.pending(text, end, line, pattern, context);
    const source = detach(text.slice(match.ipStart, match.ipEnd));
    for (let copy = 0; copy < copies; copy++) this.unbannable.add({ ...failure, source });
  }

  end(): readonly Failure[] {
    this.connections.clear();
    this.server.clear();
    return NONE;
  }

  /**
   * One failed attempt counts once: a precursor (`Invalid user`) or a refused credential (`PAM: Authentication
   * failure`) and the `Failed ...` line confirming it are one attempt; a summary (`maximum authentication attempts exceeded`, `Connection closed
   * by authenticating user`) counts only for a connection that has counted nothing; an IP-less line waits for
   * a later line of the same pid to name the address.
   */
  private correlate(
    text: string,
    end: number,
    line: LogLine,
    pid: number,
    pattern: SshdPattern,
    counts: boolean,
    context: LineContext,
  ): readonly Failure[] {
    const connections = this.connections;
    let slot = connections.slot(pid, pattern.opens);
    const match = this.match;
    const hasIp = match.ipStart !== -1 && this.readAddress(text, match.ipStart, match.ipEnd);
    if (this.isNewConnection(slot, line, pattern, counts, hasIp, context)) {
      slot = connections.slot(pid, true);
    }
    let released: Failure | undefined;
    if (hasIp) {
      connections.ipv4[slot] = this.lineIpv4;
      connections.ip[slot] = this.lineIpv4 === -1 ? this.lineIp : undefined;
      const pending = connections.pending[slot];
      if (pending !== undefined) {
        released = withAddress(pending, this.lineAddress(text));
        connections.pending[slot] = undefined;
        connections.source[slot] = undefined;
      }
    }
    let counted: Failure | undefined;
    if (counts && this.countsForConnection(slot, pattern)) {
      connections.counted[slot]++;
      const address = hasIp ? this.lineAddress(text) : connectionAddress(connections, slot);
      if (address !== undefined) counted = this.failure(text, end, line, pattern, context, address);
      else if (connections.pending[slot] === undefined) {
        connections.pending[slot] = this.pending(text, end, line, pattern, context);
        // sshd named the source but not as an address (`from example.com` with UseDNS): a later line of the
        // connection may still name the address; if none does, the failure is reported as unbannable.
        if (match.ipStart !== -1 && isSourceText(text, match.ipStart, match.ipEnd))
          connections.source[slot] = detach(text.slice(match.ipStart, match.ipEnd));
      }
    }
    let refused: readonly Failure[] = NONE;
    if (pattern === SSHD.pamModuleFailure) {
      if (match.userStart !== -1) this.holdRefusal(slot, text, end, line, context);
    } else if (pattern === SSHD.accepted) {
      if (connections.refusals[slot] !== undefined) refused = this.otherUsersRefused(slot, text);
    } else if (pattern.role !== "helper" && pattern.role !== "summary") {
      // sshd's own line for the attempt: what PAM refused before it is this attempt, counted (or not) here.
      connections.refusals[slot] = undefined;
    }
    if (pattern.nextRound && connections.open[slot] === OPEN_CREDENTIAL) connections.open[slot] = OPEN_NONE;
    if (pattern.closes) {
      connections.closed[slot] = 1;
      connections.open[slot] = OPEN_NONE;
      connections.lastSeen[slot] =
        this.clock.timeOf(line, context.receivedAt) ?? context.receivedAt ?? Number.NaN;
    }
    if (refused.length > 0) return released === undefined ? refused : [released, ...refused];
    if (released !== undefined) return counted === undefined ? [released] : [released, counted];
    return counted === undefined ? NONE : [counted];
  }

  /** Keeps a PAM module's refusal of the connection (at most MAX_REFUSALS) until sshd says what came of it. */
  private holdRefusal(slot: number, text: string, end: number, line: LogLine, context: LineContext): void {
    const refusals = this.connections.refusals;
    const held = refusals[slot] ?? [];
    if (held.length >= MAX_REFUSALS) return;
    held.push(this.pending(text, end, line, SSHD.pamModuleFailure, context));
    refusals[slot] = held;
  }

  /**
   * The connection logged in (`Accepted ... for U from A`): a PAM module's refusal for U was another module's
   * success (gh-2070: pam_unix then pam_ldap) and counts nothing; one for another user name was a failed
   * attempt, counted once per user name, for the address of the `Accepted` line (sshd's, never PAM's text).
   */
  private otherUsersRefused(slot: number, text: string): readonly Failure[] {
    const connections = this.connections;
    const held = connections.refusals[slot] as PendingFailure[];
    connections.refusals[slot] = undefined;
    const match = this.match;
    if (match.ipStart === -1 || match.userStart === -1) return NONE;
    const ip = this.addresses.canonical(text, match.ipStart, match.ipEnd);
    if (ip === undefined) return NONE;
    const accepted = userText(text, match.userStart, match.userEnd);
    const users = new Set<string>();
    const found: Failure[] = [];
    for (const refusal of held) {
      const user = refusal.user as string;
      if (user === accepted || users.has(user)) continue;
      users.add(user);
      countHit(this.stats, refusal.patternId);
      connections.counted[slot]++;
      found.push(withAddress(refusal, ip));
    }
    return found;
  }

  /** Decides whether the line counts in its connection, and updates whether an attempt is open. */
  private countsForConnection(slot: number, pattern: SshdPattern): boolean {
    const open = this.connections.open;
    switch (pattern.role) {
      case "precursor": {
        if (open[slot] !== OPEN_NONE) return false;
        open[slot] = OPEN_PRECURSOR;
        return true;
      }
      case "credential": {
        const counts = open[slot] === OPEN_NONE;
        open[slot] = OPEN_CREDENTIAL;
        return counts;
      }
      case "attempt": {
        const counts = open[slot] === OPEN_NONE;
        open[slot] = OPEN_NONE;
        return counts;
      }
      case "summary":
        return this.connections.counted[slot] === 0;
      case "helper":
        return false;
    }
  }

  /** A reused pid: another address, or an attempt after the connection ended, or a long silence after it. */
  private isNewConnection(
    slot: number,
    line: LogLine,
    pattern: SshdPattern,
    counts: boolean,
    hasIp: boolean,
    context: LineContext,
  ): boolean {
    if (hasIp && !this.isConnectionAddress(slot)) return true;
    if (this.connections.closed[slot] === 0) return false;
    if (counts && pattern.role !== "summary") return true;
    const time = this.clock.timeOf(line, context.receivedAt) ?? context.receivedAt;
    return time !== undefined && time - (this.connections.lastSeen[slot] as number) > CONNECTION_GAP_MS;
  }

  private failure(
    text: string,
    end: number,
    line: LogLine,
    pattern: SshdPattern,
    context: LineContext,
    ip: string,
  ): Failure {
    const match = this.match;
    return {
      ip,
      at: this.clock.timeOf(line, context.receivedAt) ?? context.receivedAt,
      patternId: pattern.id,
      family: pattern.family,
      user: match.userStart === -1 ? undefined : userText(text, match.userStart, match.userEnd),
      host: this.hostOf(line),
      pid: line.pid,
      line: context.line,
      text: displayText(text, end),
    };
  }

  private hostOf(line: LogLine): string | undefined {
    const last = this.lastHost;
    if (line.hostStart === -1) return undefined;
    if (
      last !== undefined &&
      line.hostEnd - line.hostStart === last.length &&
      line.text.startsWith(last, line.hostStart)
    ) {
      return last;
    }
    this.lastHost = line.host;
    return this.lastHost;
  }

  private pending(
    text: string,
    end: number,
    line: LogLine,
    pattern: SshdPattern,
    context: LineContext,
  ): PendingFailure {
    const match = this.match;
    return {
      at: this.clock.timeOf(line, context.receivedAt) ?? context.receivedAt,
      patternId: pattern.id,
      family: pattern.family,
      // Held until a later line names the address: copies, so that it pins no log text.
      user: match.userStart === -1 ? undefined : detach(userText(text, match.userStart, match.userEnd)),
      host: line.host === undefined ? undefined : detach(line.host),
      pid: line.pid,
      line: context.line,
      text: detach(displayText(text, end)),
    };
  }

  /**
   * Reads the address written at `text[start, end)` into lineIpv4 / lineIp; false when it is not an address.
   * The common plain IPv4 costs no allocation.
   */
  private readAddress(text: string, start: number, end: number): boolean {
    const plain = plainIpv4Value(text, start, end);
    this.lineIpStart = start;
    this.lineIpEnd = end;
    if (plain !== -1) {
      this.lineIpv4 = plain;
      this.lineIp = undefined;
      return true;
    }
    const ip = this.addresses.canonical(text, start, end);
    if (ip === undefined) return false;
    this.lineIpv4 = plainIpv4Value(ip, 0, ip.length);
    this.lineIp = ip;
    return true;
  }

  /** The canonical text of the address readAddress read. */
  private lineAddress(text: string): string {
    this.lineIp ??= detach(text.slice(this.lineIpStart, this.lineIpEnd));
    return this.lineIp;
  }

  /** True when the connection has no address yet or has the one readAddress read. */
  private isConnectionAddress(slot: number): boolean {
    const ipv4 = this.connections.ipv4[slot];
    if (ipv4 !== -1) return ipv4 === this.lineIpv4;
    const ip = this.connections.ip[slot];
    return ip === undefined || (this.lineIpv4 === -1 && ip === this.lineIp);
  }

  private ignored(message: string): boolean {
    for (const pattern of this.ignore) if (pattern.test(message)) return true;
    return false;
  }
}
