import { SSHD, type SshdPattern } from "./sshd-patterns";

/** Most readings of one line kept when client text on both sides of the address allows several. */
export const MAX_CANDIDATES = 4;

/** What one line matched, as positions in it; reused from line to line (no allocation per line). */
export class SshdMatch {
  pattern: SshdPattern = SSHD.accepted;
  /** The address text sshd wrote (not yet canonical), `[ipStart, ipEnd)`; -1 when the line has none or several. */
  ipStart = -1;
  ipEnd = -1;
  /** The client-chosen user name, `[userStart, userEnd)`; -1 when the line has none. */
  userStart = -1;
  userEnd = -1;
  /**
   * When client text on both sides of the address lets the line be read more than one way (ipStart is then -1):
   * every reading's address as `[start, end)` pairs. The connection's own address, if one of them, decides;
   * otherwise the line names no address. For a listener timeout: its two addresses, remote and local in an
   * order that depends on the OpenSSH release.
   */
  readonly candidates = new Int32Array(MAX_CANDIDATES * 2);
  candidateCount = 0;
  /** An address the line names as the server's own (`... on <L> port 22`), `[localStart, localEnd)`; or -1. */
  localStart = -1;
  localEnd = -1;
  /** The sshd process a listener line speaks of (`pid = P`), or -1. */
  childPid = -1;

  set(pattern: SshdPattern, ipStart = -1, ipEnd = -1, userStart = -1, userEnd = -1): true {
    this.pattern = pattern;
    this.ipStart = ipStart;
    this.ipEnd = ipEnd;
    this.userStart = userStart;
    this.userEnd = userEnd;
    this.candidateCount = 0;
    this.localStart = -1;
    this.localEnd = -1;
    this.childPid = -1;
    return true;
  }

  /** Adds a reading; false when there are more than MAX_CANDIDATES (the line is then read as having none). */
  addCandidate(start: number, end: number): boolean {
    if (this.candidateCount === MAX_CANDIDATES) return false;
    this.candidates[this.candidateCount * 2] = start;
    this.candidates[this.candidateCount * 2 + 1] = end;
    this.candidateCount++;
    return true;
  }

  setLocal(start: number, end: number): true {
    this.localStart = start;
    this.localEnd = end;
    return true;
  }
}
