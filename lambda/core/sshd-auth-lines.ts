/**
 * sshd's messages about one authentication attempt, whose user name (client text) comes before the address:
 * `Failed|Accepted <method> for ...`, `Invalid user`, `User ... not allowed`, `maximum authentication attempts`,
 * sshd's PAM errors and pam_unix's own line. The address is read backwards from sshd's fixed tail, so a user
 * name holding `from 203.0.113.9 port 22` never decides it.
 */
import { MAX_SSHD_USER, unescapedLength } from "./line-limits";
import type { SshdMatch } from "./sshd-match";
import { SSHD, type SshdPattern } from "./sshd-patterns";
import {
  addressEnd,
  after,
  isAddressChar,
  MAX_IP,
  portAfter,
  portBefore,
  tokenBefore,
  withoutSuffix,
} from "./sshd-text";

/**
 * `Failed|Accepted <method> for [invalid user ]<user> from <IP> port <N> ssh2[: <info>]` from after the first
 * word (auth.c: `"%s %s%s%s for %s%.100s from %.200s port %d ssh2%s%s"`, 7.4 to 10.x; older releases wrote
 * `ssh1` or no protocol, no port, or `: ruser <name>`). The info after `: ` is client text for hostbased
 * (`client user "<u>", client host "<h>"`) and GSSAPI, so the user name and the info surround the address: every
 * ` from <address>` followed by sshd's tail and then the end or `: ` is a reading, and a reading whose user part
 * is longer than sshd's 100 characters is not one. One reading is the address; several are kept as candidates.
 */
export function authResult(
  text: string,
  start: number,
  end: number,
  accepted: boolean,
  out: SshdMatch,
): boolean {
  const methodEnd = text.indexOf(" for ", start);
  if (methodEnd === -1 || methodEnd - start > 40) return false;
  let userStart = methodEnd + 5;
  const invalid = after(text, userStart, "invalid user ");
  if (invalid !== -1) userStart = invalid;
  const pattern = accepted ? SSHD.accepted : failedPattern(text, start, invalid !== -1);
  const tail = withoutSuffix(text, userStart, end, " [preauth]");
  let first = -1;
  let firstEnd = -1;
  let readings = 0;
  out.set(pattern);
  for (let from = text.indexOf(" from ", userStart - 1); from !== -1 && from < tail; ) {
    const addressStart = from + 6;
    const addressStop = addressCharsEnd(text, addressStart, tail);
    if (addressStop !== -1 && isSshdTail(text, addressStop, tail)) {
      const raw = from - userStart;
      // `\ooo` is four characters for one: a user part longer than four times the cap cannot be sshd's.
      if (
        raw <= MAX_SSHD_USER ||
        (raw <= 4 * MAX_SSHD_USER && unescapedLength(text, userStart, from) <= MAX_SSHD_USER)
      ) {
        if (readings === 0) {
          first = from;
          firstEnd = addressStop;
        }
        readings++;
        out.addCandidate(addressStart, addressStop);
      }
    }
    from = text.indexOf(" from ", from + 1);
  }
  if (readings === 1) return out.set(pattern, first + 6, firstEnd, userStart, first);
  if (readings === 0) {
    // Cut by sshd's 500-byte limit (a long user name): an attempt of this connection without an address.
    return out.set(pattern, -1, -1, userStart, tail);
  }
  out.ipStart = -1;
  out.ipEnd = -1;
  if (readings > out.candidateCount) out.candidateCount = 0;
  return true;
}

/**
 * Which failures count: publickey only for an invalid user (a valid user's client tries its keys one by one,
 * fail2ban's gh-1263), `none` never (a probe for the method list); password, keyboard-interactive, hostbased,
 * GSSAPI and the rest always.
 */
function failedPattern(text: string, methodStart: number, invalidUser: boolean): SshdPattern {
  if (text.startsWith("none ", methodStart)) return SSHD.failedNoCount;
  if (text.startsWith("publickey ", methodStart) && !invalidUser) return SSHD.failedNoCount;
  return SSHD.failedAuth;
}

/** End of the address characters at `start`, or -1. */
function addressCharsEnd(text: string, start: number, end: number): number {
  let position = start;
  while (position < end && position - start <= MAX_IP && isAddressChar(text.charCodeAt(position))) position++;
  return position === start || position - start > MAX_IP ? -1 : position;
}

/** `[ port <N>][ ssh1| ssh2]` at `position`, then the end of the message or `: ` (only after the port). */
function isSshdTail(text: string, position: number, end: number): boolean {
  if (position === end) return true;
  const port = portAfter(text, position, end);
  if (port === -1) return false;
  if (port === end || text.startsWith(": ", port)) return true;
  const protocol = text.startsWith(" ssh2", port) || text.startsWith(" ssh1", port) ? port + 5 : -1;
  return protocol !== -1 && (protocol === end || text.startsWith(": ", protocol));
}

/**
 * `<user> from <IP>[ port <N>][ ssh2][ [preauth]]` ending at `end`: the address is the token before sshd's
 * tail, the user everything from `userStart` up to ` from ` before it.
 */
export function userFromTail(
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

/** `maximum authentication attempts exceeded for [invalid user ]<user> from <IP> port <N> ssh2 [preauth]` */
export function maxAuthAttempts(text: string, start: number, end: number, out: SshdMatch): boolean {
  const invalid = after(text, start, "invalid user ");
  return userFromTail(text, invalid === -1 ? start : invalid, end, SSHD.maxAuthAttempts, true, out);
}

/** `User <user> from <IP> not allowed because <reason>` (or `User <user> not allowed because ...`). */
export function userNotAllowed(text: string, userStart: number, end: number, out: SshdMatch): boolean {
  // The reason is sshd's own text, so the last occurrence is the one sshd wrote.
  const because = text.lastIndexOf(" not allowed because ", end);
  if (because < userStart) return false;
  const ipStart = tokenBefore(text, userStart, because);
  if (ipStart !== -1 && text.startsWith(" from ", ipStart - 6) && ipStart - 6 >= userStart) {
    return out.set(SSHD.userNotAllowed, ipStart, because, userStart, ipStart - 6);
  }
  return out.set(SSHD.userNotAllowed, -1, -1, userStart, because);
}

/**
 * sshd's PAM conversation errors, from after `PAM: ` (auth-pam.c: `"PAM: %s for %s%.100s from %.100s"`, the
 * first `%s` PAM's own message): `Authentication failure for [illegal user ]<user> from <IP>`, `User not known to
 * the underlying authentication module for ...`, `Authentication error for ...`, in either case; macOS's sshd adds
 * ` via <local address>`.
 */
export function pamFailure(text: string, start: number, end: number, out: SshdMatch): boolean {
  let userStart = after(text, start, "Authentication failure for ");
  if (userStart === -1) userStart = after(text, start, "authentication failure for ");
  if (userStart === -1) userStart = after(text, start, "Authentication error for ");
  if (userStart === -1) userStart = after(text, start, "authentication error for ");
  if (userStart === -1) {
    userStart = after(text, start, "User not known to the underlying authentication module for ");
  }
  if (userStart === -1) return false;
  const illegal = after(text, userStart, "illegal user ");
  if (illegal !== -1) userStart = illegal;
  let tail = end;
  const via = text.lastIndexOf(" via ", end);
  if (via > userStart && addressEnd(text, via + 5, end) === end) tail = via;
  return userFromTail(text, userStart, tail, SSHD.pamFailure, false, out);
}

/**
 * `pam_<module>(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=<ruser> rhost=<host>[
 * user=<user>]` from after `pam_` (Linux-PAM pam_unix: `"... ruser=%s rhost=%s%s%s"`, the last two `  user=`
 * and the name). PAM writes both names as the client sent them (sshd's escaping does not apply), and they
 * surround the host: `ruser=x rhost=198.51.100.7 rhost=203.0.113.9` is a crafted ruser as much as a crafted
 * user is after it. Every ` rhost=<token>` followed by the end of the message or `  user=` is a reading; one
 * reading is the host (and its user the name after `  user=`, else ruser), several are candidates the
 * connection's own address decides between (or the line names none).
 */
export function pamModuleFailure(text: string, start: number, end: number, out: SshdMatch): boolean {
  const service = text.indexOf("(sshd:auth): authentication failure;", start);
  if (service === -1 || service - start > 20) return false;
  out.set(SSHD.pamModuleFailure);
  // logname, uid, euid and tty are PAM's and sshd's own: the first ` ruser=` is PAM's.
  const ruser = text.indexOf(" ruser=", service);
  if (ruser === -1 || ruser >= end) return true;
  const ruserStart = ruser + 7;
  const tail = withoutSuffix(text, ruserStart, end, " [preauth]");
  let readings = 0;
  let hostStart = -1;
  let hostEnd = -1;
  for (let rhost = text.indexOf(" rhost=", ruserStart - 1); rhost !== -1 && rhost < tail; ) {
    const valueStart = rhost + 7;
    let valueEnd = text.indexOf(" ", valueStart);
    if (valueEnd === -1 || valueEnd > tail) valueEnd = tail;
    if (valueEnd === tail || text.startsWith("  user=", valueEnd)) {
      readings++;
      hostStart = valueStart;
      hostEnd = valueEnd;
      if (valueEnd > valueStart && addressEnd(text, valueStart, valueEnd) === valueEnd)
        out.addCandidate(valueStart, valueEnd);
    }
    rhost = text.indexOf(" rhost=", rhost + 1);
  }
  if (readings !== 1) {
    // Several readings: only the connection's own address may decide; one that is not an address is none.
    if (readings > out.candidateCount) out.candidateCount = 0;
    return true;
  }
  out.candidateCount = 0;
  const userStart = hostEnd === tail ? ruserStart : hostEnd + 7;
  const userEnd = hostEnd === tail ? hostStart - 7 : tail;
  const named = userEnd > userStart;
  if (hostEnd - hostStart > MAX_IP || addressEnd(text, hostStart, hostEnd) !== hostEnd) {
    return out.set(SSHD.pamModuleFailure, -1, -1, named ? userStart : -1, named ? userEnd : -1);
  }
  return out.set(SSHD.pamModuleFailure, hostStart, hostEnd, named ? userStart : -1, named ? userEnd : -1);
}
