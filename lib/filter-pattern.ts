import type { CloudjailConfig, JailConfig, SshdMode } from "../lambda/core/types";
import { CloudjailSettingsError } from "./cloudjail-settings-error";

/**
 * The subscription filter pattern: CloudWatch Logs only invokes the responder for lines that carry at least one
 * term some enabled jail can match, so the quiet majority of an auth log (sessions, successful logins, cron,
 * sudo) costs no invocation.
 *
 * Terms are whole words or phrases sshd writes itself (never client-controlled text), quoted, case as sshd
 * writes them: CloudWatch Logs term matching is case-sensitive. They deliberately over-match (a line that
 * passes but matches no pattern costs one parse); a line that is dropped can never be counted, so every term
 * list is a superset of what the detector's patterns of that family need, including the lines that carry the
 * address of an IP-less failure (`Connection closed by authenticating user ... [preauth]`).
 */

/** PutSubscriptionFilter accepts filter patterns of at most 1024 characters. */
export const FILTER_PATTERN_MAX_LENGTH = 1024;

/**
 * Failed authentication (passwords, PAM, unknown, disallowed and refused users), the summaries sshd writes when it
 * gives up on a client, and the lines that tie an attempt to its connection and address (`Connection from`,
 * `Connection closed by`, `Postponed`, `Accepted`), which the detector needs to attribute attempts and to tell
 * one attempt from the next.
 */
const NORMAL_TERMS = [
  "Failed",
  "Invalid user",
  "invalid user",
  "Illegal user",
  "illegal user",
  "not allowed because",
  "ROOT LOGIN REFUSED",
  "authentication failure",
  "authentication failures",
  "Authentication failure",
  "Authentication error",
  // macOS's sshd writes PAM's message in lower case (`error: PAM: authentication error for U from A via L`).
  "authentication error",
  "User not known to the underlying authentication module",
  "refused connect from",
  "maximum authentication attempts exceeded",
  "Too many authentication failures",
  "Change of username",
  "Received disconnect",
  "Disconnecting",
  "Disconnected from",
  "Connection closed by",
  "Connection reset by",
  "Connection from",
  "connection from",
  "Postponed",
  "Accepted",
  // OpenSSH 9.8+ PerSourcePenalties: sshd itself names the abusive source (penalty reasons of every mode).
  "drop connection",
  // A patched sshd's `SSH: Server;Ltype: ...;Remote: A-port` summary: the address of a later IP-less line.
  "Ltype",
];

/** Pre-authentication noise of scanners: banners, identification strings, resets, timeouts. */
const DDOS_TERMS = [
  "kex_exchange_identification",
  "banner exchange",
  "Bad protocol version identification",
  "Did not receive identification string",
  "Timeout before authentication",
  "Read from socket failed",
];

/** Clients that cannot agree on algorithms or methods. */
const EXTRA_TERMS = ["Unable to negotiate", "no matching", "No supported authentication methods"];

const TERMS_BY_MODE: Record<SshdMode, readonly string[]> = {
  normal: NORMAL_TERMS,
  ddos: [...NORMAL_TERMS, ...DDOS_TERMS],
  extra: [...NORMAL_TERMS, ...EXTRA_TERMS],
  aggressive: [...NORMAL_TERMS, ...DDOS_TERMS, ...EXTRA_TERMS],
};

/** The terms a jail needs to see, or `undefined` when it needs every line (a custom failregex). */
export function jailTerms(jail: JailConfig): readonly string[] | undefined {
  switch (jail.filter) {
    case "sshd":
      return TERMS_BY_MODE[jail.mode];
    case "recidive":
      // Recidive reads cloudjail's own ban history, not log lines.
      return [];
    default:
      return undefined;
  }
}

/**
 * The filter pattern for a configuration: `?"term" ?"term" ...` over the enabled jails, or `""` (every line)
 * when an enabled jail has its own failregex, whose wording cloudjail cannot know.
 */
export function subscriptionFilterPattern(config: CloudjailConfig): string {
  const terms = new Set<string>();
  for (const jail of config.jails) {
    if (!jail.enabled) continue;
    const needed = jailTerms(jail);
    if (needed === undefined) return "";
    for (const term of needed) terms.add(term);
  }
  const pattern = [...terms].map((term) => `?"${term}"`).join(" ");
  if (pattern.length > FILTER_PATTERN_MAX_LENGTH) {
    throw new CloudjailSettingsError(
      `the subscription filter pattern is ${pattern.length} characters, CloudWatch Logs accepts at most ${FILTER_PATTERN_MAX_LENGTH}`,
    );
  }
  return pattern;
}
