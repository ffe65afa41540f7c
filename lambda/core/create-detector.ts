/**
 * The detector of a jail's filter: the one entry point every caller uses (the responder Lambda, `test-filter`,
 * `replay`, the demo). It turns log lines into counted failures, each attributed to the address sshd wrote.
 */

import { CustomDetector } from "./custom-detector";
import { compileCustomFilter, compileIgnoreRegex } from "./custom-filter";
import type { Detector, DetectorOptions } from "./detector-api";
import { FilterConfigError } from "./filter-config-error";
import { SshdDetector } from "./sshd-detector";
import { familyMask } from "./sshd-patterns";
import { StampClock } from "./stamp-clock";

/** Builds the detector of a jail's filter; throws FilterConfigError for a bad custom filter or `recidive`. */
export function createDetector(options: DetectorOptions): Detector {
  const { filter } = options;
  if (filter.filter === "recidive") {
    throw new FilterConfigError('filter "recidive" reads no log lines: the jail engine counts its bans');
  }
  const clock = new StampClock(options.now, options.year, options.zone);
  if (filter.filter === "custom") {
    return new CustomDetector(compileCustomFilter(filter.failregex ?? [], filter.ignoreregex), clock);
  }
  return new SshdDetector(familyMask(filter.mode), compileIgnoreRegex(filter.ignoreregex ?? []), clock);
}
