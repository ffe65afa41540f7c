/**
 * The prefix of one auth-log line: when, which host, which program and process wrote it, and where the
 * message starts. Recognised forms:
 * - traditional syslog (RHEL / Amazon Linux `/var/log/secure`): `Nov 25 10:59:25 host sshd[7172]: ...`
 * - rsyslog RFC 3339 (Debian / Ubuntu `auth.log`): `2026-11-25T10:59:25.013160+00:00 host sshd[7172]: ...`
 * - RFC 5424: `<38>1 2019-07-08T17:40:16.95-04:00 host sshd 57915 - - ...`, with or without structured data
 * - journal short form without a time: `host sshd[7172]: ...` (and a bare `sshd[7172]: ...`)
 * Parsing is index arithmetic on the string, linear in the prefix length, and never throws.
 */

/** How the line wrote its time. */
export type StampFormat = "syslog" | "rfc3339" | "none";

/**
 * The parsed prefix of one line, as positions in it. The detector reuses one instance for every line so that
 * its hot path allocates nothing; the text getters slice only when asked.
 */
export class LogLine {
  text = "";
  stampFormat: StampFormat = "none";
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
/** Longest host name or tag we accept; anything longer is not a syslog prefix. */
const MAX_TOKEN = 255;

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
  let position = 0;
  if (text.charCodeAt(0) === 60 /* < */) {
    const close = priorityEnd(text);
    if (close === -1) return undefined;
    if (text.charCodeAt(close + 1) === 49 /* 1 */ && text.charCodeAt(close + 2) === SPACE) {
      return parseRfc5424(text, close + 3, line);
    }
    position = close + 1;
  }
  if (isSyslogStamp(text, position)) {
    line.stampFormat = "syslog";
    line.stampStart = position;
    line.stampEnd = position + 15;
    position += 16;
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
  if (text.charCodeAt(firstEnd - 1) !== COLON) {
    line.hostStart = position;
    line.hostEnd = firstEnd;
    position = firstEnd + 1;
  }
  return parseTag(text, position, line);
}

/** `program[pid]: ` or `program: ` starting at `start`. */
function parseTag(text: string, start: number, line: LogLine): LogLine | undefined {
  const limit = Math.min(text.length, start + MAX_TOKEN);
  let position = start;
  while (position < limit) {
    const code = text.charCodeAt(position);
    if (code === OPEN_BRACKET || code === COLON || code === SPACE) break;
    position++;
  }
  if (position === start || position >= limit) return undefined;
  line.programStart = start;
  line.programEnd = position;
  if (text.charCodeAt(position) === OPEN_BRACKET) {
    let value = 0;
    let digits = 0;
    position++;
    for (let code = text.charCodeAt(position); code >= 48 && code <= 57; code = text.charCodeAt(++position)) {
      value = value * 10 + (code - 48);
      if (++digits > 10) return undefined;
    }
    if (digits === 0 || text.charCodeAt(position) !== CLOSE_BRACKET) return undefined;
    line.pid = value;
    position++;
  }
  if (text.charCodeAt(position) !== COLON) return undefined;
  position++;
  if (text.charCodeAt(position) === SPACE) position++;
  line.messageStart = position;
  return line;
}

/** `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]` from just after `<PRI>1 `. */
function parseRfc5424(text: string, start: number, line: LogLine): LogLine | undefined {
  const stampEnd = tokenEnd(text, start, MAX_TOKEN);
  const hostEnd = stampEnd === -1 ? -1 : tokenEnd(text, stampEnd + 1, MAX_TOKEN);
  const programEnd = hostEnd === -1 ? -1 : tokenEnd(text, hostEnd + 1, MAX_TOKEN);
  const procIdEnd = programEnd === -1 ? -1 : tokenEnd(text, programEnd + 1, MAX_TOKEN);
  const msgIdEnd = procIdEnd === -1 ? -1 : tokenEnd(text, procIdEnd + 1, MAX_TOKEN);
  if (msgIdEnd === -1) return undefined;
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
  if (position === -1) return undefined;
  if (text.charCodeAt(position) === SPACE) position++;
  if (text.charCodeAt(position) === 0xfeff) position++;
  line.messageStart = position;
  return line;
}

/** RFC 5424's NILVALUE `-`. */
function isNil(text: string, start: number, end: number): boolean {
  return end - start === 1 && text.charCodeAt(start) === 45;
}

/** Index just after RFC 5424 STRUCTURED-DATA (`-` or `[id k="v"]...`, `\]` escaped), or -1. */
function structuredDataEnd(text: string, start: number): number {
  if (text.charCodeAt(start) === 45 /* - */) return start + 1;
  let position = start;
  while (text.charCodeAt(position) === OPEN_BRACKET) {
    position++;
    for (;;) {
      if (position >= text.length) return -1;
      const code = text.charCodeAt(position);
      if (code === BACKSLASH) position += 2;
      else if (code === CLOSE_BRACKET) break;
      else position++;
    }
    position++;
  }
  return position === start ? -1 : position;
}

/** Index of the `>` closing a leading `<PRI>` (1-3 digits), or -1. */
function priorityEnd(text: string): number {
  for (let position = 1; position <= 4; position++) {
    const code = text.charCodeAt(position);
    if (code === 62 /* > */) return position > 1 ? position : -1;
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

/** `Mmm dd hh:mm:ss ` (day space-padded). */
function isSyslogStamp(text: string, position: number): boolean {
  const upper = text.charCodeAt(position);
  return (
    upper >= 65 &&
    upper <= 90 &&
    text.charCodeAt(position + 3) === SPACE &&
    (text.charCodeAt(position + 4) === SPACE || isDigit(text, position + 4)) &&
    isDigit(text, position + 5) &&
    text.charCodeAt(position + 6) === SPACE &&
    text.charCodeAt(position + 9) === COLON &&
    text.charCodeAt(position + 12) === COLON &&
    text.charCodeAt(position + 15) === SPACE
  );
}

/** `YYYY-MM-DDT` */
function isRfc3339Start(text: string, position: number): boolean {
  return (
    isDigit(text, position) &&
    isDigit(text, position + 3) &&
    text.charCodeAt(position + 4) === 45 &&
    text.charCodeAt(position + 7) === 45 &&
    text.charCodeAt(position + 10) === 84 /* T */
  );
}

const DAY_MS = 86_400_000;

/**
 * Turns stamps into epoch milliseconds. Year-less syslog stamps are read as UTC in `year` when given, else
 * in the year of `now` unless that lies more than a day in the future (a stamp written in local time east
 * of UTC may run up to 14 hours ahead), in which case the year before: December lines read in January.
 */
export class StampClock {
  private readonly nowYear: number;
  /** The start of the last day seen (`month * 32 + day`), this year and the year before. */
  private dayKey = -1;
  private dayStart = 0;
  private dayStartYearBefore = 0;

  constructor(
    private readonly now: number,
    private readonly year?: number,
  ) {
    this.nowYear = year ?? new Date(now).getUTCFullYear();
  }

  /** Epoch ms of the line's stamp, or undefined when it has none or it is not a valid time. */
  timeOf(line: LogLine): number | undefined {
    if (line.stampFormat === "none") return undefined;
    if (line.stampFormat === "rfc3339") return rfc3339Time(line.text, line.stampStart, line.stampEnd);
    return this.syslogTime(line.text, line.stampStart);
  }

  /** `Mmm dd hh:mm:ss` at `start`. */
  private syslogTime(text: string, start: number): number | undefined {
    const month = monthIndex(text, start);
    const day = digitsAt(text, start + 4, 2);
    const hours = digitsAt(text, start + 7, 2);
    const minutes = digitsAt(text, start + 10, 2);
    const seconds = digitsAt(text, start + 13, 2);
    if (month === -1 || day < 1 || day > 31 || Math.min(hours, minutes, seconds) < 0) return undefined;
    if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
    const key = month * 32 + day;
    if (key !== this.dayKey) {
      this.dayKey = key;
      this.dayStart = Date.UTC(this.nowYear, month, day);
      this.dayStartYearBefore = Date.UTC(this.nowYear - 1, month, day);
    }
    const timeOfDay = ((hours * 60 + minutes) * 60 + seconds) * 1000;
    const time = this.dayStart + timeOfDay;
    if (this.year !== undefined || time <= this.now + DAY_MS) return time;
    return this.dayStartYearBefore + timeOfDay;
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** 0-11 for `Jan`-`Dec` at `start`, else -1; picks by letters, then checks the whole name, without slicing. */
function monthIndex(text: string, start: number): number {
  const second = text.charCodeAt(start + 1);
  const third = text.charCodeAt(start + 2);
  let month: number;
  switch (text.charCodeAt(start)) {
    case 74: // J
      month = second === 97 ? 0 : third === 110 ? 5 : 6;
      break;
    case 70: // F
      month = 1;
      break;
    case 77: // M
      month = third === 114 ? 2 : 4;
      break;
    case 65: // A
      month = second === 112 ? 3 : 7;
      break;
    case 83: // S
      month = 8;
      break;
    case 79: // O
      month = 9;
      break;
    case 78: // N
      month = 10;
      break;
    case 68: // D
      month = 11;
      break;
    default:
      return -1;
  }
  return text.startsWith(MONTHS[month] as string, start) ? month : -1;
}

/** `YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|+hhmm)` in `text[start, end)`; undefined when malformed. */
function rfc3339Time(text: string, start: number, end: number): number | undefined {
  const stamp = text.slice(start, end);
  if (stamp.length < 19 || stamp.charCodeAt(13) !== COLON || stamp.charCodeAt(16) !== COLON) return undefined;
  const year = digitsAt(stamp, 0, 4);
  const month = digitsAt(stamp, 5, 2);
  const day = digitsAt(stamp, 8, 2);
  const hours = digitsAt(stamp, 11, 2);
  const minutes = digitsAt(stamp, 14, 2);
  const seconds = digitsAt(stamp, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (Math.min(hours, minutes, seconds) < 0 || hours > 23 || minutes > 59 || seconds > 60) return undefined;
  let position = 19;
  let milliseconds = 0;
  if (stamp.charCodeAt(position) === 46 /* . */) {
    position++;
    let scale = 100;
    while (isDigit(stamp, position)) {
      milliseconds += (stamp.charCodeAt(position) - 48) * scale;
      scale /= 10;
      position++;
    }
    milliseconds = Math.floor(milliseconds);
  }
  const offset = offsetMinutes(stamp, position);
  if (offset === undefined) return undefined;
  return Date.UTC(year, month - 1, day, hours, minutes, seconds, milliseconds) - offset * 60_000;
}

/** Minutes east of UTC written from `position` to the end: `Z`, `+hh:mm` or `+hhmm`. */
function offsetMinutes(stamp: string, position: number): number | undefined {
  const rest = stamp.length - position;
  const sign = stamp.charCodeAt(position);
  if (sign === 90 /* Z */ || sign === 122 /* z */) return rest === 1 ? 0 : undefined;
  if (sign !== 43 /* + */ && sign !== 45 /* - */) return undefined;
  const colon = stamp.charCodeAt(position + 3) === COLON;
  if (rest !== (colon ? 6 : 5)) return undefined;
  const hours = digitsAt(stamp, position + 1, 2);
  const minutes = digitsAt(stamp, position + (colon ? 4 : 3), 2);
  if (hours < 0 || minutes < 0 || hours > 23 || minutes > 59) return undefined;
  const value = hours * 60 + minutes;
  return sign === 45 ? -value : value;
}

/** The decimal number in `count` characters at `position` (leading spaces allowed), or -1. */
function digitsAt(text: string, position: number, count: number): number {
  let value = 0;
  let seen = false;
  for (let index = position; index < position + count; index++) {
    const code = text.charCodeAt(index);
    if (code === SPACE && !seen) continue;
    if (code < 48 || code > 57) return -1;
    value = value * 10 + (code - 48);
    seen = true;
  }
  return seen ? value : -1;
}
