import type { CustomFilter } from "./custom-filter";
import { countHit, type Detector, type LineContext, NONE, newStats, screenedOut } from "./detector-api";
import { canonicalIp } from "./ip";
import { contentEnd, DISPLAY_USER, displayText } from "./line-limits";
import { parseLogLine } from "./log-line-parser";
import type { StampClock } from "./stamp-clock";
import type { Failure } from "./types";
import type { UnbannableFailure } from "./unbannable-sources";

/** A jail's own failregex/ignoreregex: every matching line is one failure (no correlation). */
export class CustomDetector implements Detector {
  readonly stats = newStats();

  constructor(
    private readonly filter: CustomFilter,
    private readonly clock: StampClock,
  ) {}

  push(text: string, context: LineContext): readonly Failure[] {
    const stats = this.stats;
    if (screenedOut(stats, text)) return NONE;
    const line = parseLogLine(text);
    const end = contentEnd(text);
    const message = line === undefined ? text.slice(0, end) : line.message;
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
    const at =
      (line === undefined ? undefined : this.clock.timeOf(line, context.receivedAt)) ?? context.receivedAt;
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

  /** A failregex's `<HOST>` that is not an address is a miss (fail2ban's own filters resolve names; we do not). */
  takeUnbannable(): readonly UnbannableFailure[] {
    return [];
  }
}
