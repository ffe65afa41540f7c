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

export interface LogLine {
  /** The time text as written; empty when the line carries none. */
  readonly stamp: string;
  readonly stampFormat: StampFormat;
  readonly host: string | undefined;
  /** Program (syslog tag / RFC 5424 APP-NAME), e.g. `sshd` or `sshd-session`. */
  readonly program: string;
  readonly pid: number | undefined;
  /** Index in the line where the message after the prefix starts. */
  readonly messageStart: number;
}

const SPACE = 32;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const BACKSLASH = 92;
/** Longest host name or tag we accept; anything longer is not a syslog prefix. */
const MAX_TOKEN = 255;

/** Parses the prefix of `text`; undefined when the line has no recognisable `program[pid]:` prefix. */
export function parseLogLine(text: string): LogLine | undefined {
  let position = 0;
  if (text.charCodeAt(0) === 60 /* < */) {
    const close = priorityEnd(text);
    if (close === -1) return undefined;
    if (text.charCodeAt(close + 1) === 49 /* 1 */ && text.charCodeAt(close + 2) === SPACE) {
      return parseRfc5424(text, close + 3);
    }
    position = close + 1;
  }
  let stamp = "";
  let stampFormat: StampFormat = "none";
  if (isSyslogStamp(text, position)) {
    stamp = text.slice(position, position + 15);
    stampFormat = "syslog";
    position += 16;
  } else if (isRfc3339Start(text, position)) {
    const end = tokenEnd(text, position, 40);
    if (end === -1) return undefined;
    stamp = text.slice(position, end);
    stampFormat = "rfc3339";
    position = end + 1;
  }
  const firstEnd = tokenEnd(text, position, MAX_TOKEN);
  if (firstEnd === -1) return undefined;
  let host: string | undefined;
  let tagStart = position;
  if (text.charCodeAt(firstEnd - 1) !== COLON) {
    host = text.slice(position, firstEnd);
    tagStart = firstEnd + 1;
  }
  return parseTag(text, tagStart, stamp, stampFormat, host);
}

/** `program[pid]: ` or `program: ` starting at `start`. */
function parseTag(
  text: string,
  start: number,
  stamp: string,
  stampFormat: StampFormat,
  host: string | undefined,
): LogLine | undefined {
  const limit = Math.min(text.length, start + MAX_TOKEN);
  let position = start;
  while (position < limit) {
    const code = text.charCodeAt(position);
    if (code === OPEN_BRACKET || code === COLON || code === SPACE) break;
    position++;
  }
  if (position === start || position >= limit) return undefined;
  const program = text.slice(start, position);
  let pid: number | undefined;
  if (text.charCodeAt(position) === OPEN_BRACKET) {
    let value = 0;
    let digits = 0;
    position++;
    for (let code = text.charCodeAt(position); code >= 48 && code <= 57; code = text.charCodeAt(++position)) {
      value = value * 10 + (code - 48);
      if (++digits > 10) return undefined;
    }
    if (digits === 0 || text.charCodeAt(position) !== CLOSE_BRACKET) return undefined;
    pid = value;
    position++;
  }
  if (text.charCodeAt(position) !== COLON) return undefined;
  position++;
  if (text.charCodeAt(position) === SPACE) position++;
  return { stamp, stampFormat, host, program, pid, messageStart: position };
}

/** `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]` from just after `<PRI>1 `. */
function parseRfc5424(text: string, start: number): LogLine | undefined {
  const fields: string[] = [];
  let position = start;
  for (let field = 0; field < 5; field++) {
    const end = tokenEnd(text, position, MAX_TOKEN);
    if (end === -1) return undefined;
    fields.push(text.slice(position, end));
    position = end + 1;
  }
  const [stamp, host, program, procId] = fields as [string, string, string, string];
  position = structuredDataEnd(text, position);
  if (position === -1) return undefined;
  if (text.charCodeAt(position) === SPACE) position++;
  if (text.charCodeAt(position) === 0xfeff) position++;
  const pid = /^\d{1,10}$/.test(procId) ? Number(procId) : undefined;
  return {
    stamp: stamp === "-" ? "" : stamp,
    stampFormat: stamp === "-" ? "none" : "rfc3339",
    host: host === "-" ? undefined : host,
    program,
    pid,
    messageStart: position,
  };
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

const MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
const DAY_MS = 86_400_000;

/**
 * Turns stamps into epoch milliseconds. Year-less syslog stamps are read as UTC in `year` when given, else
 * in the year of `now` unless that lies more than a day in the future (a stamp written in local time east
 * of UTC may run up to 14 hours ahead), in which case the year before: December lines read in January.
 */
export class StampClock {
  private lastStamp = "";
  private lastTime: number | undefined;
  private readonly nowYear: number;

  constructor(
    private readonly now: number,
    private readonly year?: number,
  ) {
    this.nowYear = new Date(now).getUTCFullYear();
  }

  /** Epoch ms of the line's stamp, or undefined when it has none or it is not a valid time. */
  timeOf(line: LogLine): number | undefined {
    if (line.stampFormat === "none") return undefined;
    if (line.stamp === this.lastStamp) return this.lastTime;
    const time = line.stampFormat === "syslog" ? this.syslogTime(line.stamp) : rfc3339Time(line.stamp);
    this.lastStamp = line.stamp;
    this.lastTime = time;
    return time;
  }

  private syslogTime(stamp: string): number | undefined {
    const monthIndex = MONTHS.indexOf(stamp.substring(0, 3));
    if (monthIndex === -1 || monthIndex % 3 !== 0) return undefined;
    const day = digitsAt(stamp, 4, 2);
    const hours = digitsAt(stamp, 7, 2);
    const minutes = digitsAt(stamp, 10, 2);
    const seconds = digitsAt(stamp, 13, 2);
    if (day < 1 || day > 31 || Math.min(hours, minutes, seconds) < 0) return undefined;
    if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
    const month = monthIndex / 3;
    if (this.year !== undefined) return Date.UTC(this.year, month, day, hours, minutes, seconds);
    const time = Date.UTC(this.nowYear, month, day, hours, minutes, seconds);
    return time > this.now + DAY_MS ? Date.UTC(this.nowYear - 1, month, day, hours, minutes, seconds) : time;
  }
}

/** `YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|+hhmm)`; undefined when malformed. */
function rfc3339Time(stamp: string): number | undefined {
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
