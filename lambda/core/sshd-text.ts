/**
 * Scanning primitives for sshd's messages: fixed words, address-shaped tokens, sshd's ` port <N>` tails. No
 * regular expression, bounded scans only, so reading a line costs time linear in its length.
 */

export const SPACE = 32;
/** Longest address text sshd writes (an IPv6 address with an embedded IPv4 is 45). */
export const MAX_IP = 45;

/**
 * The index just past `prefix` when `text` has it at `position`, else -1. Every offset past sshd's fixed words
 * comes from here, from the literal itself: a hand-counted length one off reads an address a digit short
 * (`123.235.32.19` counted as `23.235.32.19`).
 */
export function after(text: string, position: number, prefix: string): number {
  return text.startsWith(prefix, position) ? position + prefix.length : -1;
}

export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

export function isAddressChar(code: number): boolean {
  return (
    (code >= 48 && code <= 58) /* 0-9 : */ ||
    code === 46 /* . */ ||
    (code >= 97 && code <= 102) /* a-f */ ||
    (code >= 65 && code <= 70) /* A-F */
  );
}

/** End of the address-like characters (hex digits, `:`, `.`) at `start` when a space or `end` follows; else -1. */
export function addressEnd(text: string, start: number, end: number): number {
  const limit = Math.min(end, start + MAX_IP + 1);
  let position = start;
  while (position < limit && isAddressChar(text.charCodeAt(position))) position++;
  if (position === start || position - start > MAX_IP) return -1;
  return position === end || text.charCodeAt(position) === SPACE ? position : -1;
}

/** End of the address-like characters at `start` when `close` (e.g. `]`) follows; else -1. */
export function addressEndAt(text: string, start: number, close: number): number {
  let position = start;
  while (position - start <= MAX_IP && isAddressChar(text.charCodeAt(position))) position++;
  if (position === start || position - start > MAX_IP) return -1;
  return text.charCodeAt(position) === close ? position : -1;
}

export function endsWith(text: string, start: number, end: number, suffix: string): boolean {
  return end - suffix.length >= start && text.startsWith(suffix, end - suffix.length);
}

export function withoutSuffix(text: string, start: number, end: number, suffix: string): number {
  return endsWith(text, start, end, suffix) ? end - suffix.length : end;
}

/** When `text[start, end)` ends with ` port <digits>`, the index of that space; else -1. */
export function portBefore(text: string, start: number, end: number): number {
  let position = end;
  while (position > start && end - position <= 5 && isDigit(text.charCodeAt(position - 1))) position--;
  if (position === end || end - position > 5) return -1;
  return endsWith(text, start, position, " port ") ? position - 6 : -1;
}

/** Start of the address-sized token ending at `end` and preceded by a space inside `[start, end)`; else -1. */
export function tokenBefore(text: string, start: number, end: number): number {
  let position = end;
  while (position > start && end - position <= MAX_IP && text.charCodeAt(position - 1) !== SPACE) position--;
  if (position === end || end - position > MAX_IP || position <= start) return -1;
  return position;
}

/** Index just past ` port <digits>` at `position`, or -1. */
export function portAfter(text: string, position: number, end: number): number {
  const digits = after(text, position, " port ");
  if (digits === -1) return -1;
  let at = digits;
  while (at < end && at - digits < 5 && isDigit(text.charCodeAt(at))) at++;
  return at === digits || at > end ? -1 : at;
}
