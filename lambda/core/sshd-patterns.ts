import type { SshdMode } from "./types";

/**
 * What a recognised sshd message means for counting attempts of one connection (one sshd process):
 * - `precursor`: starts an attempt that a later line of the same connection confirms (`Invalid user`,
 *   `kex_exchange_identification`); counts unless an attempt is open.
 * - `credential`: a credential was refused (`PAM: Authentication failure`); counts unless an attempt is open
 *   (an open precursor is the same attempt). sshd confirms it with `Failed ...`, or for keyboard-interactive
 *   sometimes only starts the next round (`Postponed ...`).
 * - `attempt`: one attempt (`Failed password`); counts unless it confirms an open attempt.
 * - `summary`: sums up the connection (`maximum authentication attempts exceeded`, `Connection closed by
 *   authenticating user ... [preauth]`); counts only when the connection has counted nothing yet.
 * - `helper`: never a failure; tells the connection's address or that it logged in or ended.
 */
export type PatternRole = "precursor" | "credential" | "attempt" | "summary" | "helper";

/** One message family of our sshd filter. */
export interface SshdPattern {
  /** Stable id shown in `test-filter` output and carried by every failure, e.g. `sshd.failed-auth`. */
  readonly id: string;
  /** The fail2ban mode that adds this pattern; `normal` patterns are part of every mode. */
  readonly family: Exclude<SshdMode, "aggressive">;
  readonly role: PatternRole;
  /** The line ends the connection: a later line of the same pid starts a new one. */
  readonly closes: boolean;
  /** False for lines the sshd listener writes for many connections under its own pid. */
  readonly correlated: boolean;
  /** The line is the first of a new connection: whatever the pid did before is over. */
  readonly opens: boolean;
  /** A new keyboard-interactive round starts: a refused credential without its `Failed` line is over. */
  readonly nextRound: boolean;
  /** The family's bit (see FAMILY_BIT), 0 for helpers: `bit & mask` says whether a mode counts the line. */
  readonly bit: number;
}

/** Bit per mode family; a mode's mask says which families it counts. */
export const FAMILY_BIT: Readonly<Record<SshdPattern["family"], number>> = { normal: 1, ddos: 2, extra: 4 };

function pattern(
  id: string,
  family: SshdPattern["family"],
  role: PatternRole,
  flags: {
    closes?: boolean;
    correlated?: boolean;
    opens?: boolean;
    nextRound?: boolean;
    /** A second family whose modes count the line too. */
    alsoIn?: SshdPattern["family"];
  } = {},
): SshdPattern {
  return {
    id,
    family,
    role,
    closes: flags.closes ?? false,
    correlated: flags.correlated ?? true,
    opens: flags.opens ?? false,
    nextRound: flags.nextRound ?? false,
    bit:
      role === "helper"
        ? 0
        : FAMILY_BIT[family] | (flags.alsoIn === undefined ? 0 : FAMILY_BIT[flags.alsoIn]),
  };
}

/** Every pattern of the sshd filter, by name. */
export const SSHD = {
  failedAuth: pattern("sshd.failed-auth", "normal", "attempt"),
  invalidUser: pattern("sshd.invalid-user", "normal", "precursor"),
  userNotAllowed: pattern("sshd.user-not-allowed", "normal", "precursor"),
  rootLoginRefused: pattern("sshd.root-login-refused", "normal", "precursor"),
  pamFailure: pattern("sshd.pam-failure", "normal", "credential"),
  refusedConnect: pattern("sshd.refused-connect", "normal", "attempt", { closes: true }),
  /** PerSourcePenalties: a source sshd drops for failed authentication (or, 10.x, for an invalid user). */
  penaltyAuthFail: pattern("sshd.penalty-authfail", "normal", "attempt", { correlated: false }),
  maxAuthAttempts: pattern("sshd.max-auth-attempts", "normal", "summary"),
  tooManyAuthFailures: pattern("sshd.too-many-auth-failures", "normal", "summary", { closes: true }),
  authFailDisconnect: pattern("sshd.auth-fail-disconnect", "normal", "summary"),
  usernameChange: pattern("sshd.username-change", "normal", "summary", { closes: true }),

  kexIdentification: pattern("sshd.kex-identification", "ddos", "precursor"),
  socketReset: pattern("sshd.socket-reset", "ddos", "precursor"),
  bannerExchange: pattern("sshd.banner-exchange", "ddos", "attempt", { closes: true }),
  badProtocolVersion: pattern("sshd.bad-protocol-version", "ddos", "attempt", { closes: true }),
  noIdentification: pattern("sshd.no-identification", "ddos", "attempt", { closes: true }),
  timeoutPreauth: pattern("sshd.timeout-preauth", "ddos", "summary", { closes: true }),
  /** The 9.8+ listener's timeout: two addresses, the detector decides which one is remote. */
  listenerTimeout: pattern("sshd.timeout-preauth", "ddos", "attempt", { correlated: false }),
  /** `ssh_dispatch_run_fatal: Connection from IP port N: <error> [preauth]`: a protocol error before login. */
  dispatchFatal: pattern("sshd.dispatch-fatal", "ddos", "summary", { closes: true }),
  /** PerSourcePenalties: a source sshd drops for connections that never tried to authenticate, or timed out. */
  penaltyNoAuth: pattern("sshd.penalty-noauth", "ddos", "attempt", { correlated: false }),
  /** Closed before authentication by a client that never named a user. */
  closedPreauth: pattern("sshd.closed-preauth", "ddos", "summary", { closes: true }),

  unableToNegotiate: pattern("sshd.unable-to-negotiate", "extra", "attempt", { closes: true }),
  noMatchingAlgorithm: pattern("sshd.no-matching-algorithm", "extra", "precursor"),
  noAuthMethods: pattern("sshd.no-auth-methods", "extra", "summary"),
  /**
   * Closed before authentication by a client that named a user and offered nothing acceptable: a client that
   * could not authenticate (extra) and a connection that ended without a failed attempt (ddos, as fail2ban).
   */
  closedPreauthUser: pattern("sshd.closed-preauth-user", "extra", "summary", {
    closes: true,
    alsoIn: "ddos",
  }),
  /** PerSourcePenalties: a source the configuration refuses (`RefuseConnection`). */
  penaltyRefused: pattern("sshd.penalty-refused", "extra", "attempt", { correlated: false }),

  accepted: pattern("sshd.accepted", "normal", "helper"),
  postponed: pattern("sshd.postponed", "normal", "helper", { nextRound: true }),
  /**
   * pam_unix's `authentication failure; ... rhost=`: sshd writes its own line for the same refusal, which is the
   * one counted (for keyboard-interactive PAM runs in a child process whose pid is not the connection's). When
   * sshd writes none and the connection logs in as another user, the refusal was a failed attempt (gh-2070):
   * the detector counts it then, for the address of the `Accepted` line.
   */
  pamModuleFailure: pattern("sshd.pam-module-failure", "normal", "helper"),
  /** `Failed publickey` / `Failed hostbased` (fail2ban's `publickey = nofail`) and `Failed none` (a probe). */
  failedNoCount: pattern("sshd.failed-nocount", "normal", "helper"),
  connectionFrom: pattern("sshd.connection-from", "normal", "helper", { opens: true }),
  receivedDisconnect: pattern("sshd.received-disconnect", "normal", "helper"),
  connectionEnded: pattern("sshd.connection-ended", "normal", "helper", { closes: true }),
  /** MaxStartups drops: sshd sheds load, the source did nothing wrong. */
  dropConnection: pattern("sshd.drop-connection", "normal", "helper", { correlated: false }),
  /** A patched sshd's `SSH: Server;Ltype: ...;Remote: IP-port` summary: the connection's address. */
  ltypeRemote: pattern("sshd.ltype-remote", "normal", "helper"),
} as const;

/** fail2ban's modes: `ddos` and `extra` add to `normal`; `aggressive` is all of them. */
export function familyMask(mode: SshdMode): number {
  switch (mode) {
    case "normal":
      return FAMILY_BIT.normal;
    case "ddos":
      return FAMILY_BIT.normal | FAMILY_BIT.ddos;
    case "extra":
      return FAMILY_BIT.normal | FAMILY_BIT.extra;
    case "aggressive":
      return FAMILY_BIT.normal | FAMILY_BIT.ddos | FAMILY_BIT.extra;
  }
}
