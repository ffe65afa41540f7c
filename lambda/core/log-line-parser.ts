/**
 * Reads the prefix of one auth-log line into a {@link LogLine}: when, which host, which program and process wrote
 * it, and where the message starts and ends. The one place every prefix form is read (a later journald JSON reader
 * and time-zone reconciliation grow here). Recognised forms:
 * - traditional syslog (RHEL / Amazon Linux `/var/log/secure`): `Nov 25 10:59:25 host sshd[7172]: ...`, the day
 *   space-padded or not (`Jun 7 01:10:56`), with a fraction as `journalctl -o short-precise` writes it
 *   (`Nov 25 10:59:25.013160 host ...`); `journalctl -o short` is this form
 * - RFC 3339 (Debian / Ubuntu `auth.log`): `2026-11-25T10:59:25.013160+00:00 host sshd[7172]: ...`, and
 *   `journalctl -o short-iso` / `short-iso-precise` (`2026-11-25T10:59:25+0000`, `...25.013160+00:00`)
 * - RFC 5424: `<38>1 2019-07-08T17:40:16.95-04:00 host sshd 57915 - - ...`, with or without structured data
 * - journal short form without a time: `host sshd[7172]: ...` (and a bare `sshd[7172]: ...`)
 * - the tag as `program[pid]:`, `program:`, `[program]:` or `[program]`; a UTF-8 byte-order mark before the line
 * - inside the message: Solaris' `[ID 800047 auth.info] `, a kernel-ring prefix some journal exports put there
 *   (`kernel: [  970.699397] `), and rsyslog's `message repeated N times: [ <message>]` (see `repeats`), stepped
 *   over by message-wrappers.ts
 * Parsing is index arithmetic on the string, linear in the prefix length, and never throws.
 */
import { LogLine } from "./log-line";
import { unwrapMessage } from "./message-wrappers";
import { isRfc3339Start, isSyslogStamp, syslogStampEnd } from "./stamp-clock";

const SPACE = 32;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const BACKSLASH = 92;
const QUOTE = 34;
const BYTE_ORDER_MARK = 0xfeff;
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
  line.repeats = 1;
  let position = text.charCodeAt(0) === BYTE_ORDER_MARK ? 1 : 0;
  if (text.charCodeAt(position) === 60 /* < */) {
    const close = priorityEnd(text, position);
    if (close === -1) return undefined;
    if (text.charCodeAt(close + 1) === 49 /* 1 */ && text.charCodeAt(close + 2) === SPACE) {
      return parseRfc5424(text, close + 3, line) ? unwrapMessage(text, line) : undefined;
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
  return parseTag(text, position, line) ? unwrapMessage(text, line) : undefined;
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
