/**
 * sshd's messages about a connection rather than one attempt: how it ended, pre-authentication noise, and the
 * listener's own lines (PerSourcePenalties drops, timeouts). Where the address comes right after sshd's fixed
 * words it is read there and the client text after it is never searched; where a user name precedes it, it is
 * read backwards from sshd's tail.
 */
import type { SshdMatch } from "./sshd-match";
import { SSHD, type SshdPattern } from "./sshd-patterns";
import {
  addressEnd,
  addressEndAt,
  after,
  endsWith,
  isAddressChar,
  isDigit,
  MAX_IP,
  portBefore,
  SPACE,
  tokenBefore,
  withoutSuffix,
} from "./sshd-text";

/** `<IP>` right at `start`, followed by a space or the end of the line. */
export function ipAfter(
  text: string,
  start: number,
  end: number,
  pattern: SshdPattern,
  out: SshdMatch,
): boolean {
  const ipEnd = addressEnd(text, start, end);
  if (ipEnd === -1) return false;
  return out.set(pattern, start, ipEnd);
}

/** `<text> from <IP>[ port <N>]` at the end: the address only (what precedes is client text). */
export function ipFromTail(
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

/**
 * `Connection from <IP> port <N> on <local> port <N>[ rdomain "..."]` (LogLevel VERBOSE): the connection's
 * address, and the server's own.
 */
export function connectionFrom(text: string, start: number, end: number, out: SshdMatch): boolean {
  if (!ipAfter(text, start, end, SSHD.connectionFrom, out)) return false;
  const on = text.indexOf(" on ", out.ipEnd);
  if (on === -1 || on - out.ipEnd > 12) return true;
  const localEnd = addressEnd(text, on + 4, end);
  return localEnd === -1 || out.setLocal(on + 4, localEnd);
}

/**
 * `Received disconnect from <IP> port <N>:<code>: <client text>` (OpenSSH 7.x+) or `Received disconnect from
 * <IP>: <code>: ...` (older): code 14 is "no supported authentication methods", code 3 with `Auth fail` a client
 * that gave up; the client chooses the text after the code.
 */
export function receivedDisconnect(text: string, start: number, end: number, out: SshdMatch): boolean {
  let ipEnd = addressEnd(text, start, end);
  // The older form puts `:` straight after the address; it is sshd's separator, not part of an IPv6 address.
  if (ipEnd !== -1 && text.charCodeAt(ipEnd - 1) === 58 && text.charCodeAt(ipEnd - 2) !== 58) ipEnd--;
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
export function disconnecting(text: string, start: number, end: number, out: SshdMatch): boolean {
  if (text.startsWith(": Too many authentication failures", start)) return out.set(SSHD.tooManyAuthFailures);
  const tail = withoutSuffix(text, start, end, " [preauth]");
  const tooMany = ": Too many authentication failures";
  if (endsWith(text, start, tail, tooMany)) {
    const port = portBefore(text, start, tail - tooMany.length);
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
export function closedBy(text: string, start: number, end: number, out: SshdMatch): boolean {
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
 * After `Timeout before authentication for `: `<IP> port <N>` (the session process, up to 9.7) or the 9.8+
 * listener's `connection from <A> to <B>, pid = <P>`: 9.8 wrote the local address first, 9.9 and later the
 * remote one, so both are kept as candidates and the detector decides which one is remote (never the local).
 */
export function timeoutBeforeAuth(text: string, start: number, end: number, out: SshdMatch): boolean {
  const listener = after(text, start, "connection from ");
  if (listener === -1) return ipAfter(text, start, end, SSHD.timeoutPreauth, out);
  const firstEnd = addressEnd(text, listener, end);
  if (firstEnd === -1) {
    // ` <A>, pid = <P>`: a connection that is not TCP names one address, the remote's.
    const commaEnd = addressEndAt(text, listener, 44 /* , */);
    if (commaEnd === -1) return false;
    out.set(SSHD.listenerTimeout, listener, commaEnd);
    out.childPid = pidAfter(text, commaEnd, end);
    return true;
  }
  const second = after(text, firstEnd, " to ");
  const secondEnd = second === -1 ? -1 : addressEndAt(text, second, 44 /* , */);
  if (secondEnd === -1) return false;
  out.set(SSHD.listenerTimeout);
  out.addCandidate(listener, firstEnd);
  out.addCandidate(second, secondEnd);
  out.childPid = pidAfter(text, secondEnd, end);
  return true;
}

/** `, pid = <P>` at `position`: P, or -1. */
function pidAfter(text: string, position: number, end: number): number {
  let at = after(text, position, ", pid = ");
  if (at === -1) return -1;
  let pid = 0;
  const digits = at;
  while (at < end && isDigit(text.charCodeAt(at)) && at - digits < 10)
    pid = pid * 10 + text.charCodeAt(at++) - 48;
  return at === digits ? -1 : pid;
}

/**
 * The listener's `drop connection #<N> from [<IP>]:<port> on [<local>]:<port> <reason>` (sshd.c, 8.7+; 7.4-8.6
 * without the local part): PerSourcePenalties (9.8+) name the source sshd itself found abusive (`penalty: failed
 * authentication`, `penalty: attempted authentication by invalid user` count in normal mode; `connections without
 * attempting authentication`, `exceeded LoginGraceTime`, `caused crash` in ddos; `connection prohibited by
 * RefuseConnection` in extra); MaxStartups drops (`past MaxStartups`, `Maxstartups`) and `too many penalised
 * addresses` say nothing about the source and never count.
 */
export function dropConnection(text: string, start: number, _end: number, out: SshdMatch): boolean {
  let position = start;
  while (isDigit(text.charCodeAt(position)) && position - start < 10) position++;
  const open = after(text, position, " from [");
  const close = open === -1 ? -1 : addressEndAt(text, open, 93 /* ] */);
  if (close === -1 || text.charCodeAt(close + 1) !== 58 /* : */) return false;
  position = close + 2;
  while (isDigit(text.charCodeAt(position))) position++;
  let localStart = -1;
  let localEnd = -1;
  const on = after(text, position, " on [");
  if (on !== -1) {
    localEnd = addressEndAt(text, on, 93);
    if (localEnd === -1) return false;
    localStart = on;
    position = localEnd + 2;
    while (isDigit(text.charCodeAt(position))) position++;
  }
  const reason = after(text, position, " penalty: ");
  out.set(reason === -1 ? SSHD.dropConnection : penaltyPattern(text, reason), open, close);
  if (localStart !== -1) out.setLocal(localStart, localEnd);
  return true;
}

function penaltyPattern(text: string, at: number): SshdPattern {
  if (text.startsWith("failed authentication", at)) return SSHD.penaltyAuthFail;
  if (text.startsWith("attempted authentication by invalid user", at)) return SSHD.penaltyAuthFail;
  if (text.startsWith("connection prohibited by RefuseConnection", at)) return SSHD.penaltyRefused;
  if (
    text.startsWith("connections without attempting authentication", at) ||
    text.startsWith("exceeded LoginGraceTime", at) ||
    text.startsWith("caused crash", at)
  ) {
    return SSHD.penaltyNoAuth;
  }
  return SSHD.dropConnection;
}

/**
 * After `<function>: Connection from `: `[(authenticating|invalid) user <user> ]<IP> port <N>: <error>[ [preauth]]`
 * (packet.c sshpkt_vfatal, e.g. `ssh_dispatch_run_fatal`, what CVE-2024-6387 probing leaves). The error is
 * OpenSSH's own text (ssh_err), which never holds ` port <digits>: `, so the last such tail is sshd's.
 */
export function packetFatal(text: string, start: number, end: number, out: SshdMatch): boolean {
  for (
    let port = text.lastIndexOf(" port ", end);
    port > start;
    port = text.lastIndexOf(" port ", port - 1)
  ) {
    let digits = port + 6;
    while (isDigit(text.charCodeAt(digits)) && digits - port < 12) digits++;
    if (digits === port + 6 || text.charCodeAt(digits) !== 58 /* : */) continue;
    const ipStart =
      port - start <= MAX_IP && addressEnd(text, start, port) === port
        ? start
        : tokenBefore(text, start, port);
    if (ipStart === -1) return false;
    return out.set(SSHD.dispatchFatal, ipStart, port);
  }
  return false;
}

/**
 * A patched sshd's connection summary `SSH: Server;Ltype: <kind>;Remote: <IP>-<port>;...` (gh-864 in fail2ban's
 * samples): `Remote:` is sshd's, before any client text (`Client: ...`).
 */
export function ltypeRemote(text: string, start: number, end: number, out: SshdMatch): boolean {
  const semicolon = text.indexOf(";Remote: ", start);
  if (semicolon === -1 || semicolon - start > 30) return false;
  const ipStart = semicolon + 9;
  let position = ipStart;
  while (position < end && position - ipStart <= MAX_IP && isAddressChar(text.charCodeAt(position)))
    position++;
  if (position === ipStart || text.charCodeAt(position) !== 45 /* - */) return false;
  return out.set(SSHD.ltypeRemote, ipStart, position);
}

/** tcp_wrappers: `refused connect from <name> (<IP>)` — the address in the closing parentheses. */
export function refusedConnect(text: string, start: number, end: number, out: SshdMatch): boolean {
  if (text.charCodeAt(end - 1) !== 41 /* ) */) return false;
  const open = text.lastIndexOf(" (", end);
  if (open < start || end - 1 - (open + 2) > MAX_IP) return false;
  return out.set(SSHD.refusedConnect, open + 2, end - 1);
}
