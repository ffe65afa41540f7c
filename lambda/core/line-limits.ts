/**
 * The sizes the detector relies on, and the cheap screening of a line before any pattern work.
 *
 * OpenSSH formats a message into a 1 KiB buffer, escapes it (`strnvis`, VIS_SAFE | VIS_OCTAL: control and
 * non-ASCII bytes become `\ooo`, spaces stay) and hands syslog at most 500 bytes of the result (`"%.500s"` in
 * log.c, every release from 7.4 to 10.x). User names are cut to 100 characters (`%.100s`) in `Invalid user`,
 * `Failed ...`, `Accepted ...`, `User ... not allowed`, `maximum authentication attempts` and sshd's PAM errors.
 * So an sshd message longer than 500 characters was not written by sshd as it stands: it is skipped (counted
 * in `skipped`), never read for an address.
 */

/** Lines longer than this are skipped without any pattern work; the line reader keeps at most this much. */
export const MAX_LINE_LENGTH = 8192;
/** Longest message sshd hands syslog (log.c: `syslog(pri, "%.500s", fmtbuf)`), after escaping. */
export const MAX_SSHD_MESSAGE = 500;
/** sshd cuts user names to this many characters (`%.100s`) before escaping. */
export const MAX_SSHD_USER = 100;

/** How much of a line a Failure carries for display. */
export const DISPLAY_TEXT = 300;
/** How much of a user name a Failure carries for display. */
export const DISPLAY_USER = 256;

/** NUL or U+FFFD (what invalid UTF-8 decodes to): sshd escapes every such byte, so the line is not sshd's. */
export function isBinary(text: string): boolean {
  return text.indexOf("\0") !== -1 || text.indexOf("\uFFFD") !== -1;
}

/** End of the line without trailing CR, LF, spaces or tabs. */
export function contentEnd(text: string): number {
  let end = text.length;
  for (let code = text.charCodeAt(end - 1); code === 13 || code === 10 || code === 32 || code === 9; ) {
    code = text.charCodeAt(--end - 1);
  }
  return end;
}

export function displayText(text: string, end: number): string {
  return text.slice(0, Math.min(end, DISPLAY_TEXT));
}

/**
 * The characters sshd's `%.100s` saw for the escaped text `text[start, end)`: `\ooo` (and `\\`) was one
 * character before escaping.
 */
export function unescapedLength(text: string, start: number, end: number): number {
  let length = end - start;
  for (let at = text.indexOf("\\", start); at !== -1 && at < end; at = text.indexOf("\\", at)) {
    const octal = isOctal(text, at + 1) && isOctal(text, at + 2) && isOctal(text, at + 3);
    const skip = octal ? 3 : 1;
    length -= skip;
    at += skip + 1;
  }
  return length;
}

function isOctal(text: string, position: number): boolean {
  const code = text.charCodeAt(position);
  return code >= 48 && code <= 55;
}
