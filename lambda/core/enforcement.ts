import type { CloudjailConfig, JailConfig } from "./types";

/**
 * Detect-only mode (issue 15 §1): a jail that does not enforce decides and records its bans exactly as one that
 * does, but writes no NACL entry and no overflow entry. A jail's `enforce` wins over the stack's; both default to
 * true.
 */

/** How a ban stands towards the network: denied by cloudjail's entries, or only recorded. */
export type Enforcement = "enforced" | "observed";

export const ENFORCEMENTS: readonly Enforcement[] = ["enforced", "observed"];

/** True when `jail`'s bans go into the NACLs: its own `enforce`, else the stack's, else true. */
export function jailEnforces(
  config: Pick<CloudjailConfig, "enforce">,
  jail: Pick<JailConfig, "enforce">,
): boolean {
  return jail.enforce ?? config.enforce ?? true;
}

/** True when the jail named `jailName` enforces; a jail the configuration no longer has follows the stack's setting. */
export function jailNamedEnforces(
  config: Pick<CloudjailConfig, "enforce" | "jails">,
  jailName: string,
): boolean {
  const jail = config.jails.find((each) => each.name === jailName);
  return jailEnforces(config, jail ?? {});
}

/** The enforcement of a ban (or any item carrying the ban's `enforced` flag): absent means enforced. */
export function enforcementOf(ban: { readonly enforced?: boolean } | undefined): Enforcement {
  return ban?.enforced === false ? "observed" : "enforced";
}
