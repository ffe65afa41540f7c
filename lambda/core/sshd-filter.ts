import { SSHD as PATTERNS, type SshdPattern } from "./sshd-patterns";

/**
 * Recognises sshd's own messages (OpenSSH 6.x-10.x, PAM) by their fixed leading words and finds the
 * address sshd wrote. The address is taken only from text sshd writes itself:
 * - at a fixed position right after sshd's leading words when it precedes any client text
 *   (`Received disconnect from <IP> port N:...`, `Unable to negotiate with <IP> port N: ...`), or
 * - from the end of the line, anchored on sshd's tail `from <IP> port <N> ssh2`, ` <IP> port <N> [preauth]`,
 *   when a client-chosen user name precedes it (`Invalid user <anything> from <IP> port <N>`).
 * A user name containing `from 203.0.113.9 port 22` therefore never decides the address.
 * No regular expression runs here: dispatch is on the first character and `startsWith`, tails are read
 * backwards with bounded scans, so the cost is linear in the line length whatever the input.
 */

/** What one line matched; reused from line to line (no allocation per line). */
export class SshdMatch {
  pattern: SshdPattern = SSHD.accepted;
  /** The address text sshd wrote (not yet canonical), `[ipStart, ipEnd)`; -1 when the line has none. */
  ipStart = -1;
  ipEnd = -1;
  /** The client-chosen user name, `[userStart, userEnd)`; -1 when the line has none. */
  userStart = -1;
  userEnd = -1;

  set(pattern: SshdPattern, ipStart = -1, ipEnd = -1, userStart = -1, userEnd = -1): true {
    this.pattern = pattern;
    this.ipStart = ipStart;
    this.ipEnd = ipEnd;
    this.userStart = userStart;
    this.userEnd = userEnd;
    return true;
  }
}

/**
 * A module-local binding of the pattern table: the CommonJS that tsx/esbuild emit reads an imported binding
 * through a getter at every use, which shows in profiles of this hot path.
 */
const SSHD = PATTERNS;

const SPACE = 32;
/** Longest address text sshd writes (an IPv6 address with an embedded IPv4 is 45). */
const MAX_IP = 45;

/**
 * Matches the sshd message `text[start, end)` (after the syslog prefix, trailing whitespace removed), whatever
 * the mode: the caller decides whether the pattern counts. Fills `out`.
 */
export function matchSshdMessage(text: string, start: number, end: number, out: SshdMatch): boolean {
  let position = start;
  // sshd's log level words for error() and fatal(); PAM's own messages follow "error: PAM: ".
  if (text.startsWith("error: ", position) || text.startsWith("fatal: ", position)) position += 7;
  let at: number;
  switch (text.charCodeAt(position)) {
    case 70: // F
      at = after(text, position, "Failed ");
      return at !== -1 && failedAuth(text, at, end, out);
    case 73: // I
      at = after(text, position, "Invalid user ");
      if (at === -1) at = after(text, position, "Illegal user ");
      return at !== -1 && userFromTail(text, at, end, SSHD.invalidUser, false, out);
    case 85: // U
      at = after(text, position, "User ");
      if (at !== -1) return userNotAllowed(text, at, end, out);
      at = after(text, position, "Unable to negotiate with ");
      if (at !== -1) return ipAfter(text, at, end, SSHD.unableToNegotiate, out);
      return text.startsWith("Unable to negotiate a ", position) && out.set(SSHD.noMatchingAlgorithm);
    case 110: // n
      return text.startsWith("no matching ", position) && out.set(SSHD.noMatchingAlgorithm);
    case 82: // R
      at = after(text, position, "Received disconnect from ");
      if (at !== -1) return receivedDisconnect(text, at, end, out);
      at = after(text, position, "ROOT LOGIN REFUSED FROM ");
      if (at !== -1) return ipAfter(text, at, end, SSHD.rootLoginRefused, out);
      return (
        text.startsWith("Read from socket failed: Connection reset", position) && out.set(SSHD.socketReset)
      );
    case 109: // m
      at = after(text, position, "maximum authentication attempts exceeded for ");
      return at !== -1 && userFromTail(text, at, end, SSHD.maxAuthAttempts, true, out);
    case 68: // D
      at = after(text, position, "Disconnecting");
      if (at !== -1) return disconnecting(text, at, end, out);
      at = after(text, position, "Disconnected from ");
      if (at !== -1) return closedBy(text, at, end, out);
      at = after(text, position, "Did not receive identification string from ");
      return at !== -1 && ipAfter(text, at, end, SSHD.noIdentification, out);
    case 67: // C
      at = after(text, position, "Connection closed by ");
      if (at === -1) at = after(text, position, "Connection reset by ");
      if (at !== -1) return closedBy(text, at, end, out);
      at = after(text, position, "Connection from ");
      return at !== -1 && ipAfter(text, at, end, SSHD.connectionFrom, out);
    case 112: // p
      at = after(text, position, "pam_");
      return at !== -1 && pamModuleFailure(text, at, end, out);
    case 80: // P
      at = after(text, position, "PAM: ");
      if (at !== -1) return pamFailure(text, at, end, out);
      return text.startsWith("Postponed ", position) && out.set(SSHD.postponed);
    case 65: // A
      if (text.startsWith("Accepted ", position)) return out.set(SSHD.accepted);
      return pamFailure(text, position, end, out);
    case 97: // a
      return pamFailure(text, position, end, out);
    case 107: // k
      return text.startsWith("kex_exchange_identification: ", position) && out.set(SSHD.kexIdentification);
    case 98: // b
      at = after(text, position, "banner exchange: Connection from ");
      return at !== -1 && ipAfter(text, at, end, SSHD.bannerExchange, out);
    case 66: // B
      at = after(text, position, "Bad protocol version identification ");
      return at !== -1 && ipFromTail(text, at, end, " from ", SSHD.badProtocolVersion, out);
    case 84: // T
      at = after(text, position, "Timeout before authentication for ");
      return at !== -1 && timeout(text, at, end, out);
    case 114: // r
      at = after(text, position, "refused connect from ");
      return at !== -1 && refusedConnect(text, at, end, out);
    default:
      return false;
  }
}

/**
 * The index just past `prefix` when `text` has it at `position`, else -1. Every offset into sshd's fixed words
 * comes from here, from the literal itself: a hand-counted length one off reads an address a digit short
 * (`123.235.32.19` counted as `23.235.32.19`).
 */
function after(text: string, position: number, prefix: string): number {
  return text.startsWith(prefix, position) ? position + prefix.length : -1;
}

/** `Failed <method> for [invalid user ]<user> from <IP> port <N> ssh2[: <key>]` from after `Failed `. */
function failedAuth(text: string, start: number, end: number, out: SshdMatch): boolean {
  const methodEnd = text.indexOf(" for ", start);
  if (methodEnd === -1 || methodEnd - start > 40) return false;
  // publickey and hostbased lines end with key details that are not sshd's fixed tail: never read an address there.
  if (
    text.startsWith("publickey ", start) ||
    text.startsWith("hostbased ", start) ||
    text.startsWith("none ", start)
  ) {
    return out.set(SSHD.failedNoCount);
  }
  let userStart = methodEnd + 5;
  if (text.startsWith("invalid user ", userStart)) userStart += 13;
  return userFromTail(text, userStart, end, SSHD.failedAuth, true, out);
}

/**
 * `<user> from <IP>[ port <N>][ ssh2][ [preauth]]` ending at `end`: the address is the token before sshd's
 * tail, the user everything from `userStart` up to ` from ` before it.
 */
function userFromTail(
  text: string,
  userStart: number,
  end: number,
  pattern: SshdPattern,
  ssh2: boolean,
  out: SshdMatch,
): boolean {
  let tail = withoutSuffix(text, userStart, end, " [preauth]");
  if (ssh2) tail = withoutSuffix(text, userStart, tail, " ssh2");
  const port = portBefore(text, userStart, tail);
  const ipEnd = port === -1 ? tail : port;
  const ipStart = tokenBefore(text, userStart, ipEnd);
  if (ipStart === -1 || !text.startsWith(" from ", ipStart - 6) || ipStart - 6 < userStart - 1) return false;
  return out.set(pattern, ipStart, ipEnd, userStart, Math.max(userStart, ipStart - 6));
}

/** `<text> from <IP>[ port <N>]` at the end: the address only (what precedes is client text). */
function ipFromTail(
  text: string,
  start: number,
  end: number,
  before: string,
  pattern: SshdPattern,
  out: SshdMatch,
): boolean {
  const port = portBefore(text, start, end);
  const ipEnd = port === -1 ? end : port;
  const ipStart = tokenBefore(text, start, ipEnd);
  if (ipStart === -1 || !text.startsWith(before, ipStart - before.length)) return false;
  return out.set(pattern, ipStart, ipEnd);
}

/** `<IP>` right at `start`, followed by a space or the end of the line. */
function ipAfter(text: string, start: number, end: number, pattern: SshdPattern, out: SshdMatch): boolean {
  const ipEnd = addressEnd(text, start, end);
  if (ipEnd === -1) return false;
  return out.set(pattern, start, ipEnd);
}

/** `User <user> from <IP> not allowed because <reason>` (or `User <user> not allowed because ...`). */
function userNotAllowed(text: string, userStart: number, end: number, out: SshdMatch): boolean {
  // The reason is sshd's own text, so the last occurrence is the one sshd wrote.
  const because = text.lastIndexOf(" not allowed because ", end);
  if (because < userStart) return false;
  const ipStart = tokenBefore(text, userStart, because);
  if (ipStart !== -1 && text.startsWith(" from ", ipStart - 6) && ipStart - 6 >= userStart) {
    return out.set(SSHD.userNotAllowed, ipStart, because, userStart, ipStart - 6);
  }
  return out.set(SSHD.userNotAllowed, -1, -1, userStart, because);
}

/** `Received disconnect from <IP> port <N>:<code>: <client text>` */
function receivedDisconnect(text: string, start: number, end: number, out: SshdMatch): boolean {
  const ipEnd = addressEnd(text, start, end);
  if (ipEnd === -1) return false;
  let position = ipEnd;
  if (text.startsWith(" port ", position)) {
    position += 6;
    while (isDigit(text.charCodeAt(position))) position++;
  }
  if (text.charCodeAt(position) !== 58 /* : */) return out.set(SSHD.receivedDisconnect, start, ipEnd);
  position++;
  if (text.charCodeAt(position) === SPACE) position++;
  let code = 0;
  while (isDigit(text.charCodeAt(position)) && code < 1000)
    code = code * 10 + text.charCodeAt(position++) - 48;
  if (code === 14) return out.set(SSHD.noAuthMethods, start, ipEnd);
  const reasonEnd = withoutSuffix(text, position, end, " [preauth]");
  if (code === 3 && endsWith(text, position, reasonEnd, ": Auth fail")) {
    return out.set(SSHD.authFailDisconnect, start, ipEnd);
  }
  return out.set(SSHD.receivedDisconnect, start, ipEnd);
}

/**
 * `Disconnecting: Too many authentication failures[ for <user>]` (OpenSSH < 7.5) or
 * `Disconnecting (authenticating|invalid) user <user> <IP> port <N>: <reason>[ [preauth]]`, from after
 * `Disconnecting`.
 */
function disconnecting(text: string, start: number, end: number, out: SshdMatch): boolean {
  if (text.startsWith(": Too many authentication failures", start)) return out.set(SSHD.tooManyAuthFailures);
  const tail = withoutSuffix(text, start, end, " [preauth]");
  if (endsWith(text, start, tail, ": Too many authentication failures")) {
    const port = portBefore(text, start, tail - 34);
    if (port === -1) return false;
    const ipStart = tokenBefore(text, start, port);
    return ipStart !== -1 && out.set(SSHD.tooManyAuthFailures, ipStart, port, -1, -1);
  }
  // Both user names in "Change of username or service not allowed: (a,b) -> (c,d)" are the client's and
  // surround the address: no reading of this line is safe, so the address comes from the pid instead.
  if (text.indexOf(": Change of username or service not allowed: ", start) !== -1) {
    return out.set(SSHD.usernameChange);
  }
  return false;
}

/**
 * `Connection closed by` / `Connection reset by` / `Disconnected from`, then `[(authenticating|invalid|) user
 * <user> ]<IP>[ port <N>][ [preauth]]`. Before authentication (`[preauth]`) it is a ddos failure when the client
 * never named a user, an extra one (abandoned authentication) when it did; otherwise it only ends the connection.
 */
function closedBy(text: string, start: number, end: number, out: SshdMatch): boolean {
  const tail = withoutSuffix(text, start, end, " [preauth]");
  const preauth = tail !== end;
  const port = portBefore(text, start, tail);
  const ipEnd = port === -1 ? tail : port;
  const ipStart =
    ipEnd - start <= MAX_IP && addressEnd(text, start, ipEnd) === ipEnd
      ? start
      : tokenBefore(text, start, ipEnd);
  if (ipStart === -1) return false;
  if (ipStart === start) {
    return out.set(preauth ? SSHD.closedPreauth : SSHD.connectionEnded, ipStart, ipEnd);
  }
  let userStart = after(text, start, "authenticating user ");
  if (userStart === -1) userStart = after(text, start, "invalid user ");
  const loggedIn = after(text, start, "user ");
  if (userStart === -1 && loggedIn !== -1) {
    return out.set(SSHD.connectionEnded, ipStart, ipEnd, loggedIn, ipStart - 1);
  }
  if (userStart === -1 || userStart > ipStart - 1) return false;
  return out.set(
    preauth ? SSHD.closedPreauthUser : SSHD.connectionEnded,
    ipStart,
    ipEnd,
    userStart,
    ipStart - 1,
  );
}

/**
 * `pam_<module>(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=<host>[  user=<user>]`
 * from after `pam_`. The user name (client text) comes last, so the first ` rhost=` is PAM's.
 */
function pamModuleFailure(text: string, start: number, end: number, out: SshdMatch): boolean {
  const service = text.indexOf("(sshd:auth): authentication failure;", start);
  if (service === -1 || service - start > 20) return false;
  const rhost = text.indexOf(" rhost=", service + 36);
  if (rhost === -1 || rhost >= end) return out.set(SSHD.pamModuleFailure);
  const hostStart = rhost + 7;
  let hostEnd = text.indexOf(" ", hostStart);
  if (hostEnd === -1 || hostEnd > end) hostEnd = end;
  const user = text.indexOf(" user=", hostEnd);
  const userStart = user === -1 || user >= end ? -1 : user + 6;
  if (hostEnd - hostStart > MAX_IP || addressEnd(text, hostStart, hostEnd) !== hostEnd) {
    return out.set(SSHD.pamModuleFailure, -1, -1, userStart, userStart === -1 ? -1 : end);
  }
  return out.set(SSHD.pamModuleFailure, hostStart, hostEnd, userStart, userStart === -1 ? -1 : end);
}

/**
 * sshd's PAM conversation errors, from after `PAM: `: `Authentication failure for [illegal user ]<user> from <IP>`,
 * `User not known to the underlying authentication module for ...`, `Authentication error for ...`.
 */
function pamFailure(text: string, start: number, end: number, out: SshdMatch): boolean {
  let userStart = after(text, start, "Authentication failure for ");
  if (userStart === -1) userStart = after(text, start, "Authentication error for ");
  if (userStart === -1) userStart = after(text, start, "authentication failure for ");
  if (userStart === -1) {
    userStart = after(text, start, "User not known to the underlying authentication module for ");
  }
  if (userStart === -1) return false;
  const illegal = after(text, userStart, "illegal user ");
  if (illegal !== -1) userStart = illegal;
  return userFromTail(text, userStart, end, SSHD.pamFailure, false, out);
}

/** `<IP> port <N>` (sshd-session) or `connection from <IP> to <IP>, pid = <N>` (the 9.8+ listener). */
function timeout(text: string, start: number, end: number, out: SshdMatch): boolean {
  const listener = after(text, start, "connection from ");
  if (listener !== -1) return ipAfter(text, listener, end, SSHD.listenerTimeout, out);
  return ipAfter(text, start, end, SSHD.timeoutPreauth, out);
}

/** tcp_wrappers: `refused connect from <name> (<IP>)` — the address in the closing parentheses. */
function refusedConnect(text: string, start: number, end: number, out: SshdMatch): boolean {
  if (text.charCodeAt(end - 1) !== 41 /* ) */) return false;
  const open = text.lastIndexOf(" (", end);
  if (open < start || end - 1 - (open + 2) > MAX_IP) return false;
  return out.set(SSHD.refusedConnect, open + 2, end - 1);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Whether the address-like characters (hex digits, `:`, `.`) starting at `start` end with a space or `end`. */
function addressEnd(text: string, start: number, end: number): number {
  const limit = Math.min(end, start + MAX_IP + 1);
  let position = start;
  while (position < limit && isAddressChar(text.charCodeAt(position))) position++;
  if (position === start || position - start > MAX_IP) return -1;
  return position === end || text.charCodeAt(position) === SPACE ? position : -1;
}

function isAddressChar(code: number): boolean {
  return (
    (code >= 48 && code <= 58) /* 0-9 : */ ||
    code === 46 /* . */ ||
    (code >= 97 && code <= 102) /* a-f */ ||
    (code >= 65 && code <= 70) /* A-F */
  );
}

function endsWith(text: string, start: number, end: number, suffix: string): boolean {
  return end - suffix.length >= start && text.startsWith(suffix, end - suffix.length);
}

function withoutSuffix(text: string, start: number, end: number, suffix: string): number {
  return endsWith(text, start, end, suffix) ? end - suffix.length : end;
}

/** When `text[start, end)` ends with ` port <digits>`, the index of that space; else -1. */
function portBefore(text: string, start: number, end: number): number {
  let position = end;
  while (position > start && end - position <= 5 && isDigit(text.charCodeAt(position - 1))) position--;
  if (position === end || end - position > 5) return -1;
  return endsWith(text, start, position, " port ") ? position - 6 : -1;
}

/** Start of the address-sized token ending at `end` and preceded by a space inside `[start, end)`; else -1. */
function tokenBefore(text: string, start: number, end: number): number {
  let position = end;
  while (position > start && end - position <= MAX_IP && text.charCodeAt(position - 1) !== SPACE) position--;
  if (position === end || end - position > MAX_IP || position <= start) return -1;
  return position;
}
