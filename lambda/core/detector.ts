import {
  ConnectionTable,
  OPEN_CREDENTIAL,
  OPEN_NONE,
  OPEN_PRECURSOR,
  type PendingFailure,
} from "./connection-table";
import { type CustomFilter, compileCustomFilter, compileIgnoreRegex } from "./custom-filter";
import { FilterConfigError } from "./filter-config-error";
import { canonicalIp } from "./ip";
import { LogLine, parseLogLine as parseLogLineImport, StampClock } from "./log-line";
import { matchSshdMessage as matchSshdMessageImport, SshdMatch } from "./sshd-filter";
import { familyMask, type SshdPattern } from "./sshd-patterns";
import type { Failure, JailConfig } from "./types";

export { FilterConfigError };

/** Which filter a detector runs: the fields of a jail that concern detection. */
export type FilterSpec = Pick<JailConfig, "filter" | "mode" | "failregex" | "ignoreregex">;

export interface DetectorOptions {
  readonly filter: FilterSpec;
  /** Epoch ms now: year-less syslog stamps get this year unless that lies in the future, then the year before. */
  readonly now: number;
  /** Overrides the year of year-less syslog stamps (`--year`). */
  readonly year?: number;
}

export interface LineContext {
  /** 1-based line number (file) or event index (batch). */
  readonly line: number;
  /** Epoch ms the line was received (CloudWatch event timestamp); used when the line carries no time. */
  readonly receivedAt?: number;
}

export interface DetectorStats {
  read: number;
  matched: number;
  missed: number;
  ignored: number;
  skipped: number;
  readonly hitsByPattern: Map<string, number>;
}

export interface Detector {
  /** Feeds one line; returns the failures that became countable with it (usually 0 or 1). Never throws on input. */
  push(text: string, context: LineContext): readonly Failure[];
  /**
   * Ends the input; returns failures still held for correlation. An IP-less line (`kex_exchange_identification`)
   * is released as soon as a later line of its sshd process names the address; one still held at the end
   * never got an address and cannot be attributed, so this returns nothing for it.
   */
  end(): readonly Failure[];
  readonly stats: DetectorStats;
}

// Module-local bindings for the per-line calls: the CommonJS that tsx/esbuild emit reads an imported binding
// through a getter at every use.
const parseLogLine = parseLogLineImport;
const matchSshdMessage = matchSshdMessageImport;

/** Lines longer than this are skipped without any pattern work: sshd's own log buffer holds 1 KiB. */
export const MAX_LINE_LENGTH = 8192;
/** sshd processes whose connection state is kept (a power of two: see ConnectionTable). */
export const MAX_CONNECTIONS = 1 << 16;
/** A closed connection's pid seen again after this long is a new connection (pid reuse). */
const CONNECTION_GAP_MS = 60_000;
const DISPLAY_TEXT = 300;
const DISPLAY_USER = 256;
const NONE: readonly Failure[] = Object.freeze([]);

/** Builds the detector of a jail's filter; throws FilterConfigError for a bad custom filter or `recidive`. */
export function createDetector(options: DetectorOptions): Detector {
  const { filter } = options;
  if (filter.filter === "recidive") {
    throw new FilterConfigError('filter "recidive" reads no log lines: the jail engine counts its bans');
  }
  const clock = new StampClock(options.now, options.year);
  if (filter.filter === "custom") {
    return new CustomDetector(compileCustomFilter(filter.failregex ?? [], filter.ignoreregex), clock);
  }
  return new SshdDetector(familyMask(filter.mode), compileIgnoreRegex(filter.ignoreregex ?? []), clock);
}

function newStats(): DetectorStats {
  return { read: 0, matched: 0, missed: 0, ignored: 0, skipped: 0, hitsByPattern: new Map() };
}

function countHit(stats: DetectorStats, patternId: string): void {
  stats.matched++;
  stats.hitsByPattern.set(patternId, (stats.hitsByPattern.get(patternId) ?? 0) + 1);
}

/** NUL or U+FFFD (what invalid UTF-8 decodes to): sshd escapes every such byte, so the line is not sshd's. */
function isBinary(text: string): boolean {
  return text.indexOf("\0") !== -1 || text.indexOf("\uFFFD") !== -1;
}

/** End of the line without trailing CR, LF, spaces or tabs. */
function contentEnd(text: string): number {
  let end = text.length;
  for (let code = text.charCodeAt(end - 1); code === 13 || code === 10 || code === 32 || code === 9; ) {
    code = text.charCodeAt(--end - 1);
  }
  return end;
}

function displayText(text: string, end: number): string {
  return text.slice(0, Math.min(end, DISPLAY_TEXT));
}

function isSshdProgram(line: LogLine): boolean {
  return line.isProgram("sshd") || line.isProgram("sshd-session") || line.isProgram("sshd-auth");
}

/**
 * A copy of `part` that does not keep its parent alive. V8 makes a slice of 13 characters or more a view into the
 * string it was cut from, and a log line is itself a view into the whole decoded chunk: an address kept in the
 * connection table would pin a megabyte of log text. Concatenating first makes V8 copy the characters.
 */
function detach(part: string): string {
  return `${part} `.slice(0, -1);
}

function userText(text: string, start: number, end: number): string {
  return text.slice(start, Math.min(end, start + DISPLAY_USER));
}

/**
 * The value of `text[start, end)` when it is a dotted quad without leading zeros, octets at most 255 (the form
 * sshd writes, already canonical for canonicalIp); -1 otherwise. A fast path only: every other form goes
 * through canonicalIp.
 */
function plainIpv4Value(text: string, start: number, end: number): number {
  let dots = 0;
  let address = 0;
  let octet = 0;
  let digits = 0;
  for (let position = start; position < end; position++) {
    const code = text.charCodeAt(position);
    if (code === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return -1;
      address = address * 256 + octet;
      digits = 0;
      octet = 0;
    } else if (code >= 48 && code <= 57) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + code - 48;
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? address * 256 + octet : -1;
}

function ipv4Text(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
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
class SshdDetector implements Detector {
  readonly stats = newStats();
  private readonly match = new SshdMatch();
  private readonly connections = new ConnectionTable(MAX_CONNECTIONS);
  private readonly addresses = new Map<string, string | null>();
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
    stats.read++;
    if (text.length > MAX_LINE_LENGTH || isBinary(text)) {
      stats.skipped++;
      return NONE;
    }
    // Cheap rejection of the (usually many) lines that cannot be sshd's, before any parsing.
    if (text.indexOf("sshd") === -1) {
      stats.missed++;
      return NONE;
    }
    const line = parseLogLine(text, this.line);
    const end = contentEnd(text);
    const match = this.match;
    if (
      line === undefined ||
      !isSshdProgram(line) ||
      !matchSshdMessage(text, line.messageStart, end, match)
    ) {
      stats.missed++;
      return NONE;
    }
    const pattern = match.pattern;
    const counts = (pattern.bit & this.mask) !== 0;
    if (counts) {
      if (this.ignore.length > 0 && this.ignored(text.slice(line.messageStart, end))) {
        stats.ignored++;
        return NONE;
      }
      countHit(stats, pattern.id);
    } else {
      stats.missed++;
    }
    if (line.pid === undefined || !pattern.correlated) {
      const ip = counts && match.ipStart !== -1 ? this.address(text, match.ipStart, match.ipEnd) : undefined;
      return ip === undefined ? NONE : [this.failure(text, end, line, pattern, context, ip)];
    }
    return this.correlate(text, end, line, line.pid, pattern, counts, context);
  }

  end(): readonly Failure[] {
    this.connections.clear();
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
      }
    }
    let counted: Failure | undefined;
    if (counts && this.countsForConnection(slot, pattern)) {
      connections.counted[slot]++;
      const address = hasIp ? this.lineAddress(text) : connectionAddress(connections, slot);
      if (address !== undefined) counted = this.failure(text, end, line, pattern, context, address);
      else if (connections.pending[slot] === undefined)
        connections.pending[slot] = this.pending(text, end, line, pattern, context);
    }
    if (pattern.nextRound && connections.open[slot] === OPEN_CREDENTIAL) connections.open[slot] = OPEN_NONE;
    if (pattern.closes) {
      connections.closed[slot] = 1;
      connections.open[slot] = OPEN_NONE;
      connections.lastSeen[slot] = this.clock.timeOf(line) ?? context.receivedAt ?? Number.NaN;
    }
    if (released !== undefined) return counted === undefined ? [released] : [released, counted];
    return counted === undefined ? NONE : [counted];
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
    const time = this.clock.timeOf(line) ?? context.receivedAt;
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
      at: this.clock.timeOf(line) ?? context.receivedAt,
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
      at: this.clock.timeOf(line) ?? context.receivedAt,
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
    const ip = this.address(text, start, end);
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

  /** The canonical address written at `text[start, end)`. */
  private address(text: string, start: number, end: number): string | undefined {
    if (plainIpv4Value(text, start, end) !== -1) return detach(text.slice(start, end));
    const raw = detach(text.slice(start, end));
    const cached = this.addresses.get(raw);
    if (cached !== undefined) return cached ?? undefined;
    if (this.addresses.size >= 4096) this.addresses.clear();
    const ip = canonicalIp(raw);
    this.addresses.set(raw, ip ?? null);
    return ip;
  }

  private ignored(message: string): boolean {
    for (const pattern of this.ignore) if (pattern.test(message)) return true;
    return false;
  }
}

/** A jail's own failregex/ignoreregex: every matching line is one failure (no correlation). */
class CustomDetector implements Detector {
  readonly stats = newStats();

  constructor(
    private readonly filter: CustomFilter,
    private readonly clock: StampClock,
  ) {}

  push(text: string, context: LineContext): readonly Failure[] {
    const stats = this.stats;
    stats.read++;
    if (text.length > MAX_LINE_LENGTH || isBinary(text)) {
      stats.skipped++;
      return NONE;
    }
    const line = parseLogLine(text);
    const end = contentEnd(text);
    const message = text.slice(line?.messageStart ?? 0, end);
    const match = this.filter.match(message);
    const ip = match === undefined ? undefined : canonicalIp(match.host);
    if (match === undefined || ip === undefined) {
      stats.missed++;
      return NONE;
    }
    if (this.filter.ignores(message)) {
      stats.ignored++;
      return NONE;
    }
    const patternId = `custom.${match.index}`;
    countHit(stats, patternId);
    const at = (line === undefined ? undefined : this.clock.timeOf(line)) ?? context.receivedAt;
    return [
      {
        ip,
        at,
        patternId,
        family: "custom",
        user: match.user?.slice(0, DISPLAY_USER),
        host: line?.host,
        pid: line?.pid,
        line: context.line,
        text: displayText(text, end),
      },
    ];
  }

  end(): readonly Failure[] {
    return NONE;
  }
}
