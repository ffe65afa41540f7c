import { ConfigError } from "./config-error";
import type { FilterReference } from "./jail-options";
import type { BanIncrement, JailConfig, JailShare, PortRange, SshdMode } from "./types";

/**
 * One layer of a jail's settings, already parsed (from a jail.local section or a JSON object). Layers stack as
 * fail2ban stacks them: cloudjail's defaults, then `[DEFAULT]`, then what fail2ban's stock jail.conf says for that
 * jail (sshd's port, recidive's week-long ban), then the jail's own section.
 */
export interface JailSettings {
  readonly enabled?: boolean;
  readonly filter?: FilterReference;
  readonly mode?: SshdMode;
  readonly failregex?: readonly string[];
  readonly ignoreregex?: readonly string[];
  readonly maxretry?: number;
  readonly findtime?: number;
  readonly bantime?: number;
  readonly ignoreip?: readonly string[];
  readonly port?: readonly PortRange[];
  readonly increment?: Partial<BanIncrement>;
  readonly share?: JailShare;
  readonly enforce?: boolean;
}

/** fail2ban's built-in defaults (jail.conf `[DEFAULT]`): disabled, 5 failures in 10 minutes, 10-minute bans. */
export const JAIL_DEFAULTS = {
  enabled: false,
  mode: "normal",
  maxretry: 5,
  findtime: 600,
  bantime: 600,
  ignoreip: [],
  increment: { enabled: false, factor: 1, overalljails: false },
} as const satisfies JailSettings;

/** What fail2ban's stock jail.conf sets in the sections of the jails cloudjail runs (they beat `[DEFAULT]`). */
export function stockJailSettings(name: string): JailSettings {
  if (name === "sshd") return { port: [{ from: 22, to: 22 }] };
  if (name === "recidive") return { bantime: 604_800, findtime: 86_400 };
  return {};
}

/**
 * Which of cloudjail's filters a jail runs, from its filter name (the jail's name when unset) and whether it has
 * its own failregex (which replaces the named filter's, as in fail2ban); undefined when cloudjail has none.
 */
export function filterKind(filterName: string, hasFailregex: boolean): JailConfig["filter"] | undefined {
  if (filterName === "recidive") return "recidive";
  if (hasFailregex) return "custom";
  if (filterName === "sshd" || filterName in LEGACY_SSHD_JAILS) return "sshd";
  return undefined;
}

/** Merges layers, later ones winning; `increment` merges field by field. */
export function mergeSettings(layers: readonly JailSettings[]): JailSettings {
  let merged: JailSettings = {};
  for (const layer of layers) {
    merged = {
      ...merged,
      ...definedOnly(layer),
      increment: { ...merged.increment, ...definedOnly(layer.increment ?? {}) },
    };
  }
  return merged;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

/** Says where a setting of the jail was written, for error messages (`jail.local:12` or `config.json: jails.sshd`). */
export type Locate = (key?: string) => string;

/** The resolved jail, or the reason it cannot run in the cloud (only allowed when the jail is disabled). */
export type ResolvedJail = { readonly jail: JailConfig } | { readonly unsupported: string };

const LEGACY_SSHD_JAILS: Readonly<Record<string, SshdMode>> = {
  "sshd-ddos": "ddos",
  "sshd-aggressive": "aggressive",
};

/**
 * Resolves merged settings into a JailConfig. The filter defaults to the jail's name, as in fail2ban. A jail whose
 * own failregex is set runs that failregex (fail2ban's jail options replace the filter's). A filter cloudjail does
 * not have is an error when the jail is enabled and is reported as unsupported when it is not.
 */
export function resolveJail(name: string, settings: JailSettings, locate: Locate): ResolvedJail {
  const merged = mergeSettings([JAIL_DEFAULTS, settings]);
  const reference = merged.filter ?? { name, otherArguments: [] };
  const failregex = merged.failregex ?? [];
  const filter = filterKind(reference.name, failregex.length > 0);
  const mode: SshdMode = reference.mode ?? settings.mode ?? LEGACY_SSHD_JAILS[reference.name] ?? "normal";
  if (filter === undefined) {
    const reason =
      reference.name === "custom"
        ? `jail [${name}] uses filter = custom but has no failregex`
        : `jail [${name}] uses filter "${reference.name}", which cloudjail does not have`;
    if (merged.enabled) {
      throw new ConfigError(
        `${locate("filter")}: ${reason}; use filter = sshd (modes normal, ddos, extra, aggressive), filter = recidive, or give the jail its own failregex`,
      );
    }
    return { unsupported: reason };
  }
  if (filter === "custom") {
    const missing = failregex.find((pattern) => !/<(?:HOST|ADDR|IP4|IP6)>/.test(pattern));
    if (missing !== undefined) {
      throw new ConfigError(
        `${locate("failregex")}: failregex "${missing}" has no <HOST>: each pattern must capture the address with <HOST> (or <ADDR>, <IP4>, <IP6>)`,
      );
    }
  }
  const increment = merged.increment as BanIncrement;
  const jail: JailConfig = {
    name,
    enabled: merged.enabled ?? false,
    filter,
    mode,
    ...(filter === "custom" ? { failregex: [...failregex] } : {}),
    ...(filter !== "recidive" && merged.ignoreregex?.length ? { ignoreregex: [...merged.ignoreregex] } : {}),
    maxretry: merged.maxretry ?? JAIL_DEFAULTS.maxretry,
    findtime: merged.findtime ?? JAIL_DEFAULTS.findtime,
    bantime: merged.bantime ?? JAIL_DEFAULTS.bantime,
    ignoreip: [...(merged.ignoreip ?? [])],
    ...(merged.port ? { port: merged.port.map((range) => ({ ...range })) } : {}),
    increment: {
      enabled: increment.enabled,
      factor: increment.factor,
      overalljails: increment.overalljails,
      ...(increment.multipliers ? { multipliers: [...increment.multipliers] } : {}),
      ...(increment.maxtime !== undefined ? { maxtime: increment.maxtime } : {}),
      ...(increment.rndtime !== undefined ? { rndtime: increment.rndtime } : {}),
    },
    // Absent means local: configurations written before issue 16 resolve exactly as they did.
    ...(merged.share === "organization" ? { share: "organization" as const } : {}),
    // Absent means the stack's setting (enforcement.ts): a jail inherits [cloudjail] enforce unless it sets its own.
    ...(merged.enforce === undefined ? {} : { enforce: merged.enforce }),
  };
  return { jail };
}
