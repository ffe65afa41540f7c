import {
  authResult,
  maxAuthAttempts,
  pamFailure,
  pamModuleFailure,
  userFromTail,
  userNotAllowed,
} from "./sshd-auth-lines";
import {
  closedBy,
  connectionFrom,
  disconnecting,
  dropConnection,
  ipAfter,
  ipFromTail,
  ltypeRemote,
  packetFatal,
  receivedDisconnect,
  refusedConnect,
  timeoutBeforeAuth,
} from "./sshd-connection-lines";
import { SshdMatch } from "./sshd-match";
import { SSHD as PATTERNS } from "./sshd-patterns";
import { after } from "./sshd-text";

export { SshdMatch };

/**
 * Recognises sshd's own messages (OpenSSH 6.x-10.x, PAM) by their fixed leading words and finds the address
 * sshd wrote. The address is taken only from text sshd writes itself:
 * - at a fixed position right after sshd's leading words when it precedes any client text
 *   (`Received disconnect from <IP> port N:...`, `Unable to negotiate with <IP> port N: ...`), or
 * - from the end of the line, anchored on sshd's tail `from <IP> port <N> ssh2`, ` <IP> port <N> [preauth]`,
 *   when a client-chosen user name precedes it (`Invalid user <anything> from <IP> port <N>`), or
 * - where client text surrounds it (`Failed hostbased ... ssh2: client user "..."`), from the one reading that
 *   fits sshd's format and its 100-character user names, or from the connection's own address.
 * A user name containing `from 203.0.113.9 port 22` therefore never decides the address.
 * No regular expression runs here: dispatch is on the first character and `startsWith`, tails are read
 * backwards with bounded scans, so the cost is linear in the line length whatever the input.
 */

/**
 * A module-local binding of the pattern table: the CommonJS that tsx/esbuild emit reads an imported binding
 * through a getter at every use, which shows in profiles of this hot path.
 */
const SSHD = PATTERNS;

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
      return at !== -1 && authResult(text, at, end, false, out);
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
      return at !== -1 && maxAuthAttempts(text, at, end, out);
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
      return at !== -1 && connectionFrom(text, at, end, out);
    case 112: // p
      at = after(text, position, "pam_");
      return at !== -1 && pamModuleFailure(text, at, end, out);
    case 80: // P
      at = after(text, position, "PAM: ");
      if (at !== -1) return pamFailure(text, at, end, out);
      return text.startsWith("Postponed ", position) && out.set(SSHD.postponed);
    case 65: // A
      at = after(text, position, "Accepted ");
      if (at !== -1) return authResult(text, at, end, true, out);
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
      return at !== -1 && timeoutBeforeAuth(text, at, end, out);
    case 114: // r
      at = after(text, position, "refused connect from ");
      return at !== -1 && refusedConnect(text, at, end, out);
    case 100: // d
      at = after(text, position, "drop connection #");
      return at !== -1 && dropConnection(text, at, end, out);
    case 115: // s
      at = after(text, position, "ssh_dispatch_run_fatal: Connection from ");
      return at !== -1 && packetFatal(text, at, end, out);
    case 83: // S
      at = after(text, position, "SSH: Server;Ltype: ");
      return at !== -1 && ltypeRemote(text, at, end, out);
    default:
      return false;
  }
}
