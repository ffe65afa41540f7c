import { ConfigError } from "./config-error";
import { type CloudjailConfig, type JailConfig, SSHD_MODES } from "./types";

/**
 * Rules a configuration must meet to run as written, beyond what its parsers check: one place for every caller
 * (`cdk synth` through lib/validate-config.ts, `cloudjail replay` and `demo` through bin/cli/load-config.ts), so a
 * configuration synth rejects is never replayed as if it would work.
 */

/** The unbanner runs at most once a minute (EventBridge's finest schedule), so shorter bans cannot be honoured. */
export const MIN_BANTIME_SECONDS = 60;

const FILTERS: readonly JailConfig["filter"][] = ["sshd", "recidive", "custom"];

/** Throws a {@link ConfigError} naming the first jail that breaks a rule and what to change. */
export function checkConfigRules(config: Pick<CloudjailConfig, "jails" | "enforce">): void {
  checkEnforce(config.enforce, "[cloudjail]");
  for (const jail of config.jails) checkJailRules(jail);
}

/** `enforce` is true or false: a typed object could carry "no", which JavaScript would read as true. */
function checkEnforce(value: unknown, where: string): void {
  if (value === undefined || typeof value === "boolean") return;
  throw new ConfigError(
    `${where}: enforce ${JSON.stringify(value)} is not true or false; enforce = false records bans without ` +
      "writing NACL entries (detect-only)",
  );
}

/**
 * One jail's rules: a filter cloudjail has (custom with a failregex), a known sshd mode, and a bantime the
 * unbanner can honour. A configuration written as a typed object in a CDK app has been through no parser, so the
 * filter and mode are checked here too.
 */
export function checkJailRules(jail: JailConfig): void {
  checkEnforce(jail.enforce, `jail [${jail.name}]`);
  if (!FILTERS.includes(jail.filter)) {
    throw new ConfigError(
      `jail [${jail.name}]: filter "${jail.filter}" is unknown: use one of ${FILTERS.join(", ")} ` +
        "(custom needs a failregex)",
    );
  }
  if (jail.filter === "sshd" && !SSHD_MODES.includes(jail.mode)) {
    throw new ConfigError(
      `jail [${jail.name}]: mode "${jail.mode}" is unknown: use one of ${SSHD_MODES.join(", ")}`,
    );
  }
  if (jail.filter === "custom" && (jail.failregex ?? []).length === 0) {
    throw new ConfigError(`jail [${jail.name}]: a custom filter needs at least one failregex`);
  }
  if (jail.bantime !== -1 && jail.bantime < MIN_BANTIME_SECONDS) {
    throw new ConfigError(
      `jail [${jail.name}]: bantime ${jail.bantime}s is below one minute; the unbanner runs once a minute, ` +
        "so set bantime to 1m or more (or -1 for a permanent ban)",
    );
  }
}
