/**
 * What some writers put between a line's tag and the program's own words, stepped over so that the message starts
 * where sshd's text does: rsyslog's `message repeated N times: [ <message>]`, Solaris' `[ID 800047 auth.info] `, a
 * kernel-ring stamp some journal exports put there (`kernel: [  970.699397] `). Index arithmetic, never throws.
 */
import type { LogLine } from "./log-line";

const SPACE = 32;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
/** rsyslog writes `message repeated N times` for any N; more than this is not believed (see `repeats`). */
export const MAX_REPEATS = 1000;

/**
 * Sets the message's end, and steps over what some writers put between the tag and the program's own words:
 * Solaris' message id, a kernel-ring stamp, rsyslog's `message repeated N times: [ ... ]`.
 */
export function unwrapMessage(text: string, line: LogLine): LogLine {
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

function isDigit(text: string, position: number): boolean {
  const code = text.charCodeAt(position);
  return code >= 48 && code <= 57;
}
