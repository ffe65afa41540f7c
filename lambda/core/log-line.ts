/**
 * The prefix of one auth-log line: when, which host, which program and process wrote it, and where the
 * message starts and ends. The one place every prefix form is read (a later journald JSON reader and time-zone
 * reconciliation grow here). Recognised forms:
 * - traditional syslog (RHEL / Amazon Linux `/var/log/secure`): `Nov 25 10:59:25 host sshd[7172]: ...`, the day
 *   space-padded or not (`Jun 7 01:10:56`), with a fraction as `journalctl -o short-precise` writes it
 *   (`Nov 25 10:59:25.013160 host ...`); `journalctl -o short` is this form
 * - RFC 3339 (Debian / Ubuntu `auth.log`): `2026-11-25T10:59:25.013160+00:00 host sshd[7172]: ...`, and
 *   `journalctl -o short-iso` / `short-iso-precise` (`2026-11-25T10:59:25+0000`, `...25.013160+00:00`)
 * - RFC 5424: `<38>1 2019-07-08T17:40:16.95-04:00 host sshd 57915 - - ...`, with or without structured data
 * - journal short form without a time: `host sshd[7172]: ...` (and a bare `sshd[7172]: ...`)
 * - the tag as `program[pid]:`, `program:`, `[program]:` or `[program]`; a UTF-8 byte-order mark before the line
 * - inside the message: Solaris' `[ID 800047 auth.info] `, a kernel-ring prefix some journal exports put there
 *   (`kernel: [  970.699397] `), and rsyslog's `message repeated N times: [ <message>]` (see `repeats`)
 * Parsing is index arithmetic on the string, linear in the prefix length, and never throws.
 */
import { isRfc3339Start, isSyslogStamp, syslogStampEnd } from "./stamp-clock";

export { StampClock, type StampFormat } from "./stamp-clock";

/**
 * The parsed prefix of one line, as positions in it. The detector reuses one instance for every line so that
 * its hot path allocates nothing; the text getters slice only when asked.
 */
export class LogLine {
  text = "";
  stampFormat: "syslog" | "rfc3339" | "none" = "none";
  stampStart = 0;
  stampEnd = 0;
  /** -1 when the line names no host. */
  hostStart = -1;
  hostEnd = -1;
  programStart = 0;
  programEnd = 0;
  pid: number | undefined = undefined;
  /** Index in the line where the message after the prefix starts. */
  messageStart = 0;
  /** Index just after the message: trailing spaces, CR and LF (and a `repeated` wrapper's `]`) excluded. */
  messageEnd = 0;
  /** How many times the message was logged: rsyslog folds identical messages into `message repeated N times`. */
  repeats = 1;

  /** The time text as written; empty when the line carries none. */
  get stamp(): string {
    return this.text.slice(this.stampStart, this.stampEnd);
  }

  get host(): string | undefined {
    return this.hostStart === -1 ? undefined : this.text.slice(this.hostStart, this.hostEnd);
  }

  /** Program (syslog tag / RFC 5424 APP-NAME), e.g. `sshd` or `sshd-session`. */
  get program(): string {
    return this.text.slice(this.programStart, this.programEnd);
  }

  /** The message after the prefix, without trailing whitespace. */
  get message(): string {
    return this.text.slice(this.messageStart, this.messageEnd);
  }

  /** True when the program is exactly `name`, without slicing. */
  isProgram(name: string): boolean {
    return (
      this.programEnd - this.programStart === name.length && this.text.startsWith(name, this.programStart)
    );
  }
}

const SPACE = 32;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const BACKSLASH = 92;
const QUOTE = 34;
const BYTE_ORDER_MARK = 0xfeff;
/** Longest host name or tag we accept; anything longer is not a syslog prefix. */
const MAX_TOKEN = 255;
/** rsyslog writes `message repeated N times` for any N; more than this is not believed (see `repeats`). */
export const MAX_REPEATS = 1000;

/**
 * Parses the prefix of `text` into `into` (a fresh LogLine by default); undefined when the line has no
 * recognisable `program[pid]:` prefix.
 */
export function parseLogLine(text: string, into: LogLine = new LogLine()): LogLine | undefined {
  const line = into;
  line.text = text;
  line.stampFormat = "none";
  line.stampStart = 0;
  line.stampEnd = 0;
  line.hostStart = -1;
  line.hostEnd = -1;
  line.pid = undefined;
  line.repeats = 1;
  let position = text.charCodeAt(0) === BYTE_ORDER_MARK ? 1 : 0;
  if (text.charCodeAt(position) === 60 /* < */) {
    const close = priorityEnd(text, position);
    if (close === -1) return undefined;
    if (text.charCodeAt(close + 1) === 49 /* 1 */ && text.charCodeAt(close + 2) === SPACE) {
      return parseRfc5424(text, close + 3, line) ? parseMessage(text, line) : undefined;
    }
    position = close + 1;
  }
  if (isSyslogStamp(text, position)) {
    const end = syslogStampEnd(text, position);
    line.stampFormat = "syslog";
    line.stampStart = position;
    line.stampEnd = end;
    position = end + 1;
  } else if (isRfc3339Start(text, position)) {
    const end = tokenEnd(text, position, 40);
    if (end === -1) return undefined;
    line.stampFormat = "rfc3339";
    line.stampStart = position;
    line.stampEnd = end;
    position = end + 1;
  }
  const firstEnd = tokenEnd(text, position, MAX_TOKEN);
  if (firstEnd === -1) return undefined;
  if (text.charCodeAt(firstEnd - 1) !== COLON && !isBracketedTag(text, position, firstEnd)) {
    line.hostStart = position;
    line.hostEnd = firstEnd;
    position = firstEnd + 1;
  }
  return parseTag(text, position, line) ? parseMessage(text, line) : undefined;
}

/** `[program]` or `[program]:` (a tag some syslog daemons write without a pid). */
function isBracketedTag(text: string, start: number, end: number): boolean {
  if (text.charCodeAt(start) !== OPEN_BRACKET) return false;
  const last = text.charCodeAt(end - 1) === COLON ? end - 2 : end - 1;
  return last > start + 1 && text.charCodeAt(last) === CLOSE_BRACKET;
}

/** `program[pid]: `, `program: `, `[program]: ` or `[program] ` starting at `start`. */
function parseTag(text: string, start: number, line: LogLine): boolean {
  if (text.charCodeAt(start) === OPEN_BRACKET) {
    const close = text.indexOf("]", start);
    if (close === -1 || close - start > MAX_TOKEN || close === start + 1) return false;
    line.programStart = start + 1;
    line.programEnd = close;
    let position = close + 1;
    if (text.charCodeAt(position) === COLON) position++;
    if (text.charCodeAt(position) !== SPACE) return false;
    line.messageStart = position + 1;
    return true;
  }
  const limit = Math.min(text.length, start + MAX_TOKEN);
  let position = start;
  while (position < limit) {
    const code = text.charCodeAt(position);
    if (code === OPEN_BRACKET || code === COLON || code === SPACE) break;
    position++;
  }
  if (position === start || position >= limit) return false;
  line.programStart = start;
  line.programEnd = position;
  if (text.charCodeAt(position) === OPEN_BRACKET) {
    let value = 0;
    let digits = 0;
    position++;
    for (let code = text.charCodeAt(position); code >= 48 && code <= 57; code = text.charCodeAt(++position)) {
      value = value * 10 + (code - 48);
      if (++digits > 10) return false;
    }
    if (digits === 0 || text.charCodeAt(position) !== CLOSE_BRACKET) return false;
    line.pid = value;
    position++;
  }
  if (text.charCodeAt(position) !== COLON) return false;
  position++;
  if (text.charCodeAt(position) === SPACE) position++;
  line.messageStart = position;
  return true;
}

/**
 * Sets the message's end, and steps over what some writers put between the tag and the program's own words:
 * Solaris' message id, a kernel-ring stamp, rsyslog's `message repeated N times: [ ... ]`.
 */
function parseMessage(text: string, line: LogLine): LogLine {
  let end = text.length;
  for (let code = text.charCodeAt(end - 1); code === 13 || code === 10 || code === SPACE || code === 9; ) {
    code = text.charCodeAt(--end - 1);
  }
  let position = line.messageStart;
  if (text.startsWith("message repeated ", position)) {
    const inner = repeatedMessage(text, position + 17, end, line);
    if (inner !== -1) {
      position = inner;
      end--;
    }
  }
  if (text.startsWith("[ID ", position)) position = solarisIdEnd(text, position + 4, end);
  if (text.startsWith("kernel:", position)) position = kernelStampEnd(text, position + 7, end);
  line.messageStart = position;
  line.messageEnd = Math.max(position, end);
  return line;
}

/** `N times: [ <message>]` from after `message repeated `: sets `repeats`, returns where the message starts. */
function repeatedMessage(text: string, start: number, end: number, line: LogLine): number {
  let position = start;
  let count = 0;
  while (isDigit(text, position) && position - start < 10)
    count = count * 10 + text.charCodeAt(position++) - 48;
  if (
    position === start ||
    !text.startsWith(" times: [", position) ||
    text.charCodeAt(end - 1) !== CLOSE_BRACKET
  ) {
    return -1;
  }
  line.repeats = Math.min(Math.max(count, 1), MAX_REPEATS);
  position += 9;
  return text.charCodeAt(position) === SPACE ? position + 1 : position;
}

/** `<n> <facility.level>] ` from after `[ID `; `start - 4` when it is not one. */
function solarisIdEnd(text: string, start: number, end: number): number {
  const close = text.indexOf("] ", start);
  if (close === -1 || close > end || close - start > 40 || !isDigit(text, start)) return start - 4;
  return close + 2;
}

/** ` [  970.699397] `, `[12970.699398]: ` from after `kernel:`; `start - 7` when it is not one. */
function kernelStampEnd(text: string, start: number, end: number): number {
  let position = text.charCodeAt(start) === SPACE ? start + 1 : start;
  if (text.charCodeAt(position) !== OPEN_BRACKET) return start - 7;
  const close = text.indexOf("]", position);
  if (close === -1 || close > end || close - position > 20) return start - 7;
  position = close + 1;
  if (text.charCodeAt(position) === COLON) position++;
  return text.charCodeAt(position) === SPACE ? position + 1 : start - 7;
}

/** `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]` from just after `<PRI>1 `. */
function parseRfc5424(text: string, start: number, line: LogLine): boolean {
  const stampEnd = tokenEnd(text, start, MAX_TOKEN);
  const hostEnd = stampEnd === -1 ? -1 : tokenEnd(text, stampEnd + 1, MAX_TOKEN);
  const programEnd = hostEnd === -1 ? -1 : tokenEnd(text, hostEnd + 1, MAX_TOKEN);
  const procIdEnd = programEnd === -1 ? -1 : tokenEnd(text, programEnd + 1, MAX_TOKEN);
  const msgIdEnd = procIdEnd === -1 ? -1 : tokenEnd(text, procIdEnd + 1, MAX_TOKEN);
  if (msgIdEnd === -1) return false;
  if (!isNil(text, start, stampEnd)) {
    line.stampFormat = "rfc3339";
    line.stampStart = start;
    line.stampEnd = stampEnd;
  }
  if (!isNil(text, stampEnd + 1, hostEnd)) {
    line.hostStart = stampEnd + 1;
    line.hostEnd = hostEnd;
  }
  line.programStart = hostEnd + 1;
  line.programEnd = programEnd;
  const procId = text.slice(programEnd + 1, procIdEnd);
  line.pid = /^\d{1,10}$/.test(procId) ? Number(procId) : undefined;
  let position = structuredDataEnd(text, msgIdEnd + 1);
  if (position === -1) return false;
  if (text.charCodeAt(position) === SPACE) position++;
  if (text.charCodeAt(position) === BYTE_ORDER_MARK) position++;
  line.messageStart = position;
  return true;
}

/** RFC 5424's NILVALUE `-`. */
function isNil(text: string, start: number, end: number): boolean {
  return end - start === 1 && text.charCodeAt(start) === 45;
}

/**
 * Index just after RFC 5424 STRUCTURED-DATA (`-` or `[id k="v"]...`), or -1. Inside a quoted value `\` escapes
 * the next character and a `]` is text (some senders do not escape it, as RFC 5424 asks).
 */
function structuredDataEnd(text: string, start: number): number {
  if (text.charCodeAt(start) === 45 /* - */) return start + 1;
  let position = start;
  while (text.charCodeAt(position) === OPEN_BRACKET) {
    position++;
    let quoted = false;
    for (;;) {
      if (position >= text.length) return -1;
      const code = text.charCodeAt(position);
      if (code === BACKSLASH) position += 2;
      else if (code === QUOTE) {
        quoted = !quoted;
        position++;
      } else if (code === CLOSE_BRACKET && !quoted) break;
      else position++;
    }
    position++;
  }
  return position === start ? -1 : position;
}

/** Index of the `>` closing a leading `<PRI>` (1-3 digits) at `start`, or -1. */
function priorityEnd(text: string, start: number): number {
  for (let position = start + 1; position <= start + 4; position++) {
    const code = text.charCodeAt(position);
    if (code === 62 /* > */) return position > start + 1 ? position : -1;
    if (code < 48 || code > 57) return -1;
  }
  return -1;
}

/** Index of the space ending the token at `start` (at most `max` long), or -1. */
function tokenEnd(text: string, start: number, max: number): number {
  const end = text.indexOf(" ", start);
  return end > start && end - start <= max ? end : -1;
}

function isDigit(text: string, position: number): boolean {
  const code = text.charCodeAt(position);
  return code >= 48 && code <= 57;
}
