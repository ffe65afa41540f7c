/**
 * Log-line time stamps: where they are in a line (used by log-line.ts) and what time they mean (StampClock).
 */
import type { LogLine } from "./log-line";
import { reconcileWithEvent, WallClockZone } from "./stamp-reconcile";

/** How the line wrote its time. */
export type StampFormat = "syslog" | "rfc3339" | "none";

const SPACE = 32;
const COLON = 58;

function isDigit(text: string, position: number): boolean {
  const code = text.charCodeAt(position);
  return code >= 48 && code <= 57;
}

/**
 * Where `hh:mm:ss` starts in a syslog stamp at `position`: after a two-character day (`25`, ` 5`) or, as some
 * writers have it, a one-digit day without padding (`Jun 7 01:10:56`); -1 when the day is neither.
 */
function syslogTimeStart(text: string, position: number): number {
  if (text.charCodeAt(position + 3) !== SPACE) return -1;
  if (isDigit(text, position + 5)) {
    const first = text.charCodeAt(position + 4);
    return (first === SPACE || isDigit(text, position + 4)) && text.charCodeAt(position + 6) === SPACE
      ? position + 7
      : -1;
  }
  return isDigit(text, position + 4) && text.charCodeAt(position + 5) === SPACE ? position + 6 : -1;
}

/** `Mmm dd hh:mm:ss[.ffffff] ` (day space-padded or not; the fraction as `journalctl -o short-precise` writes). */
export function isSyslogStamp(text: string, position: number): boolean {
  const upper = text.charCodeAt(position);
  if (upper < 65 || upper > 90) return false;
  const time = syslogTimeStart(text, position);
  return (
    time !== -1 &&
    isDigit(text, time) &&
    text.charCodeAt(time + 2) === COLON &&
    text.charCodeAt(time + 5) === COLON &&
    syslogStampEnd(text, position) !== -1
  );
}

/** Index of the space ending the syslog stamp at `position` (after its optional fraction), or -1. */
export function syslogStampEnd(text: string, position: number): number {
  let end = syslogTimeStart(text, position) + 8;
  if (text.charCodeAt(end) === 46 /* . */) {
    const digits = end + 1;
    end = digits;
    while (isDigit(text, end) && end - digits < 9) end++;
    if (end === digits) return -1;
  }
  return text.charCodeAt(end) === SPACE ? end : -1;
}

/** `YYYY-MM-DDT` */
export function isRfc3339Start(text: string, position: number): boolean {
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
 * Turns stamps into epoch milliseconds. Stamps with an offset are taken as written. A year-less, zone-less syslog
 * stamp is placed by its line's event time when it has one (the responder: stamp-reconcile.ts); otherwise it is
 * read in `zone` (default UTC), in `year` when given, else in the year of `now` unless that lies more than a day
 * in the future, in which case the year before: December lines read in January.
 */
export class StampClock {
  private readonly nowYear: number;
  private readonly zone: WallClockZone | undefined;
  /** The start of the last day seen (`month * 32 + day`), this year and the year before. */
  private dayKey = -1;
  private dayStart = 0;
  private dayStartYearBefore = 0;

  /** `zone`: see {@link WallClockZone}; throws RangeError when unknown. */
  constructor(
    private readonly now: number,
    private readonly year?: number,
    zone?: string,
  ) {
    this.nowYear = year ?? new Date(now).getUTCFullYear();
    this.zone = zone === undefined ? undefined : new WallClockZone(zone);
  }

  /**
   * Epoch ms of the line's stamp, or undefined when it has none or it is not a valid time. `receivedAt`: the
   * epoch ms of the line's CloudWatch event, which places a syslog stamp.
   */
  timeOf(line: LogLine, receivedAt?: number): number | undefined {
    if (line.stampFormat === "none") return undefined;
    if (line.stampFormat === "rfc3339") return rfc3339Time(line.text, line.stampStart, line.stampEnd);
    return this.syslogTime(line.text, line.stampStart, receivedAt);
  }

  /** `Mmm dd hh:mm:ss[.ffffff]` at `start`. */
  private syslogTime(text: string, start: number, receivedAt: number | undefined): number | undefined {
    const month = monthIndex(text, start);
    const clock = syslogTimeStart(text, start);
    if (clock === -1) return undefined;
    const day = digitsAt(text, start + 4, clock - start - 5);
    const hours = digitsAt(text, clock, 2);
    const minutes = digitsAt(text, clock + 3, 2);
    const seconds = digitsAt(text, clock + 6, 2);
    if (month === -1 || day < 1 || day > 31 || Math.min(hours, minutes, seconds) < 0) return undefined;
    if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
    const timeOfDay = ((hours * 60 + minutes) * 60 + seconds) * 1000 + fractionMs(text, clock + 8);
    if (receivedAt !== undefined) return reconcileWithEvent(month, day, timeOfDay, receivedAt);
    const key = month * 32 + day;
    if (key !== this.dayKey) {
      this.dayKey = key;
      this.dayStart = Date.UTC(this.nowYear, month, day);
      this.dayStartYearBefore = Date.UTC(this.nowYear - 1, month, day);
    }
    const zone = this.zone;
    const time = zone === undefined ? this.dayStart + timeOfDay : zone.toUtc(this.dayStart + timeOfDay);
    if (this.year !== undefined || time <= this.now + DAY_MS) return time;
    const yearBefore = this.dayStartYearBefore + timeOfDay;
    return zone === undefined ? yearBefore : zone.toUtc(yearBefore);
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

/** Milliseconds of a `.ffffff` fraction at `position` (0 when there is none). */
function fractionMs(text: string, position: number): number {
  if (text.charCodeAt(position) !== 46 /* . */) return 0;
  let milliseconds = 0;
  let scale = 100;
  for (let index = position + 1; isDigit(text, index) && scale >= 1; index++) {
    milliseconds += (text.charCodeAt(index) - 48) * scale;
    scale /= 10;
  }
  return milliseconds;
}
