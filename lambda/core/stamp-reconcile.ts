/**
 * What a traditional syslog stamp means. `Nov 25 10:59:25` carries no year and no zone, and Red Hat-family hosts
 * write it in local time. Two ways to place it:
 * - with the CloudWatch event's timestamp (the agent's reading time, on the same host clock): the host's offset is
 *   the whole number of quarter hours (every zone, UTC−12 to UTC+14, +5:30, +5:45, +12:45, is one) that puts the
 *   stamp just before its event; the year is the one that puts it nearest. Each line is placed by its own event,
 *   so a DST change or New Year inside a batch needs nothing more, and a skewed host clock skews both alike.
 * - without one (a log file read by `test-filter` or `replay`): in a zone the user names (IANA, e.g.
 *   `America/New_York`), as fail2ban reads logs in the machine's zone.
 * Stamps that carry an offset (RFC 3339, RFC 5424, journald's) are taken as written and never come here.
 */

/** Every zone's offset from UTC is a whole number of these. */
export const QUARTER_HOUR_MS = 900_000;
/**
 * How far a stamp may lie after its event's time (the agent reads a line after it was written; a few seconds of
 * slack for the two clock reads). A line read more than 15 minutes minus this after it was written (an agent
 * catching up) lands a quarter hour late; see docs/journald-and-time.md.
 */
export const STAMP_LEAD_MS = 120_000;
/** UTC−12 (Baker Island) to UTC+14 (Line Islands), in quarter hours. */
const WESTMOST_QUARTERS = -48;
const EASTMOST_QUARTERS = 56;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Epoch ms of a year-less, zone-less stamp (`month` 0-11, `day` 1-31, `timeOfDay` ms since its midnight) read by
 * the agent at `eventTime` (epoch ms). When no zone from UTC−12 to UTC+14 fits (the agent read a backlog hours
 * late, or the host clock is wrong by hours), the event's time is the best there is, and is returned.
 */
export function reconcileWithEvent(month: number, day: number, timeOfDay: number, eventTime: number): number {
  const eventYear = new Date(eventTime).getUTCFullYear();
  let wall = Number.NaN;
  for (const year of [eventYear - 1, eventYear, eventYear + 1]) {
    const candidate = Date.UTC(year, month, day) + timeOfDay;
    // Feb 29 of a common year would roll over into March: not that year's stamp.
    if (day > (Date.UTC(year, month + 1, 1) - Date.UTC(year, month, 1)) / DAY_MS) continue;
    if (Number.isNaN(wall) || Math.abs(candidate - eventTime) < Math.abs(wall - eventTime)) wall = candidate;
  }
  if (Number.isNaN(wall)) return eventTime;
  const quarters = Math.ceil((wall - eventTime - STAMP_LEAD_MS) / QUARTER_HOUR_MS);
  if (quarters < WESTMOST_QUARTERS || quarters > EASTMOST_QUARTERS) return eventTime;
  return wall - quarters * QUARTER_HOUR_MS;
}

/** `+05:45`, `UTC-3`, `GMT+10`, `-0930`: a fixed offset, in ms east of UTC; undefined for anything else. */
function fixedOffset(zone: string): number | undefined {
  const match = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone);
  if (match === null) return undefined;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? 0);
  if (hours > 14 || minutes > 59) return undefined;
  return (match[1] === "-" ? -1 : 1) * (hours * HOUR_MS + minutes * 60_000);
}

/** A time zone that turns wall-clock readings into epoch ms (DST included), for logs read without events. */
export class WallClockZone {
  private readonly format: Intl.DateTimeFormat | undefined;
  /** The offset of the last wall-clock hour converted: a log's lines come in order, hours repeat. */
  private lastHour = Number.NaN;
  private lastOffset = 0;
  /** The zone's name as Intl resolves it (`Asia/Katmandu` for `Asia/Kathmandu`), or the offset as given. */
  readonly name: string;

  /**
   * `zone`: an IANA name (`Asia/Kathmandu`), `UTC`, or a fixed offset (`+05:45`, `UTC-3`); throws RangeError
   * when it is none of these.
   */
  constructor(zone: string) {
    const fixed = fixedOffset(zone);
    if (fixed !== undefined) {
      this.format = undefined;
      this.lastOffset = fixed;
      this.name = zone;
      return;
    }
    const format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    this.name = format.resolvedOptions().timeZone;
    this.format = this.name === "UTC" ? undefined : format;
  }

  /** Epoch ms of `wall` (the local date and time read as if they were UTC). Times a DST gap skips move forward. */
  toUtc(wall: number): number {
    if (this.format === undefined) return wall - this.lastOffset;
    const hour = Math.floor(wall / HOUR_MS);
    if (hour !== this.lastHour) {
      // The offset at a first guess, then at the time it gives; when that time does not have it, the wall
      // time is in a gap a DST change skips, and the offset before the change moves it forward.
      const guess = this.offsetAt(wall);
      const second = this.offsetAt(wall - guess);
      const offset = second === guess || this.offsetAt(wall - second) === second ? second : guess;
      this.lastHour = hour;
      this.lastOffset = offset;
    }
    return wall - this.lastOffset;
  }

  /** The zone's offset from UTC (ms, east positive) at `time`. */
  private offsetAt(time: number): number {
    const parts = (this.format as Intl.DateTimeFormat).formatToParts(new Date(time));
    const value = (type: string) => Number(parts.find((part) => part.type === type)?.value);
    const local = Date.UTC(
      value("year"),
      value("month") - 1,
      value("day"),
      value("hour"),
      value("minute"),
      value("second"),
    );
    return local - (time - (((time % 1000) + 1000) % 1000));
  }
}
