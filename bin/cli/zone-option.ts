import { WallClockZone } from "../../lambda/core/stamp-reconcile";
import { UsageError } from "./errors";

/** The help text of `--zone`, shared by `test-filter` and `replay`. */
export const ZONE_OPTION_HELP =
  "zone of syslog time stamps that carry none: an IANA name (Asia/Kolkata), UTC, or an offset (+05:45) " +
  "(default: this machine's zone, as fail2ban does)";

/**
 * The zone a log's year-less, zone-less syslog stamps are read in: `--zone` when given, else this machine's (the
 * `TZ` variable, else the system's), as fail2ban reads logs; its name as resolved (`Asia/Katmandu`). Throws
 * UsageError for a zone that does not exist.
 */
export function logZone(text: string | undefined): string {
  const zone = text ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    return new WallClockZone(zone).name;
  } catch {
    throw new UsageError(
      `unknown --zone "${zone}" (an IANA name such as Europe/Berlin, UTC, or an offset like +05:30)`,
    );
  }
}

/** The line the outputs print: which zone was assumed, and that stamps with an offset are taken as written. */
export function zoneNote(zone: string): string {
  return `Time zone assumed: ${zone} (syslog stamps without one; stamps with an offset are read as written; --zone to change)`;
}
