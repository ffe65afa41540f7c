import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseLogLine } from "../../../lambda/core/log-line-parser";
import { StampClock } from "../../../lambda/core/stamp-clock";
import { reconcileWithEvent, WallClockZone } from "../../../lambda/core/stamp-reconcile";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The syslog stamp a host `offset` ms east of UTC writes at `at`, placed by its event read `delay` ms later. */
function placed(at: number, offset: number, delay = 2000): number {
  const wall = new Date(at + offset);
  const timeOfDay = wall.getTime() - Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate());
  return reconcileWithEvent(wall.getUTCMonth(), wall.getUTCDate(), timeOfDay, at + delay);
}

const AT = Date.parse("2026-11-25T12:00:00Z");

describe("a year-less, zone-less syslog stamp placed by its CloudWatch event", () => {
  it("is right for a host in every zone from UTC-12 to UTC+14, the half- and quarter-hour ones included", () => {
    for (const hours of [-12, -9.5, -5, -3.5, 0, 1, 2, 5.5, 5.75, 8.75, 9.5, 12.75, 13, 14]) {
      expect(placed(AT, hours * HOUR), `UTC${hours}`).toBe(AT);
    }
  });

  it("is right for any quarter-hour zone, any time of year, and an agent reading up to 12 minutes late", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -48, max: 56 }),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
        fc.integer({ min: 0, max: 12 * MINUTE }),
        (quarters, at, delay) => {
          const second = at - (at % 1000);
          expect(placed(second, quarters * 15 * MINUTE, delay)).toBe(second);
        },
      ),
    );
  });

  it("crosses New Year both ways: December stamps read in January, January stamps read in December", () => {
    const newYearUtc = Date.parse("2027-01-01T00:00:00Z");
    // UTC-5: local Dec 31 23:59:50 is 04:59:50 UTC in the new year.
    expect(placed(newYearUtc + 5 * HOUR - 10_000, -5 * HOUR)).toBe(newYearUtc + 5 * HOUR - 10_000);
    // UTC+9: local Jan 1 00:00:10 is Dec 31 15:00:10 UTC, the year before.
    expect(placed(newYearUtc - 9 * HOUR + 10_000, 9 * HOUR)).toBe(newYearUtc - 9 * HOUR + 10_000);
    // Feb 29 exists only in a leap year.
    expect(placed(Date.parse("2028-02-29T23:00:00Z"), 2 * HOUR)).toBe(Date.parse("2028-02-29T23:00:00Z"));
  });

  it("is the event's time when no zone fits (a backlog read a day late)", () => {
    const wall = new Date(AT - 30 * HOUR);
    const timeOfDay = wall.getTime() - Date.UTC(2026, 10, wall.getUTCDate());
    expect(reconcileWithEvent(10, wall.getUTCDate(), timeOfDay, AT)).toBe(AT);
  });

  it("takes a stamp with an offset as written, whatever the event says", () => {
    const clock = new StampClock(AT);
    const line = parseLogLine(
      "2026-11-25T07:00:00-05:00 web-1 sshd[1]: Failed password for root from 1.2.3.4 port 1 ssh2",
    );
    expect(line && clock.timeOf(line, AT + 3 * HOUR)).toBe(AT);
  });
});

describe("a syslog stamp read in a named zone (test-filter, replay)", () => {
  const timeIn = (zone: string, text: string, year = 2026) => {
    const line = parseLogLine(`${text} web-1 sshd[1]: x`);
    return line && new StampClock(Date.parse("2026-12-01T00:00:00Z"), year, zone).timeOf(line);
  };

  it("reads IANA zones with their DST, and fixed offsets", () => {
    expect(timeIn("America/New_York", "Jul  1 08:00:00")).toBe(Date.parse("2026-07-01T12:00:00Z"));
    expect(timeIn("America/New_York", "Dec  1 07:00:00")).toBe(Date.parse("2026-12-01T12:00:00Z"));
    expect(timeIn("Asia/Kathmandu", "Nov 25 17:45:00")).toBe(Date.parse("2026-11-25T12:00:00Z"));
    expect(timeIn("Asia/Kolkata", "Nov 25 17:30:00")).toBe(Date.parse("2026-11-25T12:00:00Z"));
    expect(timeIn("+05:45", "Nov 25 17:45:00")).toBe(Date.parse("2026-11-25T12:00:00Z"));
    expect(timeIn("UTC-12", "Nov 25 00:00:00")).toBe(Date.parse("2026-11-25T12:00:00Z"));
    expect(timeIn("UTC", "Nov 25 12:00:00")).toBe(Date.parse("2026-11-25T12:00:00Z"));
  });

  it("is right on both sides of a DST change, and moves a time the spring change skips forward", () => {
    // 2026-03-08: New York skips 02:00-03:00 local; 2026-11-01: it repeats 01:00-02:00.
    expect(timeIn("America/New_York", "Mar  8 01:59:00")).toBe(Date.parse("2026-03-08T06:59:00Z"));
    expect(timeIn("America/New_York", "Mar  8 03:00:00")).toBe(Date.parse("2026-03-08T07:00:00Z"));
    expect(timeIn("America/New_York", "Mar  8 02:30:00")).toBe(Date.parse("2026-03-08T07:30:00Z"));
    expect(timeIn("America/New_York", "Nov  1 00:59:00")).toBe(Date.parse("2026-11-01T04:59:00Z"));
    expect(timeIn("America/New_York", "Nov  1 02:00:00")).toBe(Date.parse("2026-11-01T07:00:00Z"));
    expect(timeIn("Europe/Berlin", "Mar 29 03:30:00")).toBe(Date.parse("2026-03-29T01:30:00Z"));
  });

  it("refuses a zone it does not know", () => {
    expect(() => new WallClockZone("Mars/Olympus_Mons")).toThrow(RangeError);
    expect(new WallClockZone("Asia/Kathmandu").name).toBe("Asia/Katmandu");
  });
});
