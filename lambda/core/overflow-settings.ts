import type { OverflowSettings } from "./types";

/**
 * The stack's overflow target (issue 7): `overflow` in the JSON form, `overflow`, `overflow_ipv6` and
 * `overflow_capacity` in jail.local's `[cloudjail]` section. The defaults live here and nowhere else.
 */

/** AWS: a stateful rule group's capacity is fixed at creation, at most 30,000. */
export const NETWORK_FIREWALL_CAPACITY_MAX = 30_000;

/** Rule group capacity when none is given: room for 10,000 rules. */
export const DEFAULT_NETWORK_FIREWALL_CAPACITY = 10_000;

/** Each name and what it creates: WAF IP sets for both address families, or a rule group of the default capacity. */
export const OVERFLOW_PRESETS: Readonly<Record<string, OverflowSettings>> = {
  waf: { kind: "waf", scope: "REGIONAL", ipv6: true },
  "waf-cloudfront": { kind: "waf", scope: "CLOUDFRONT", ipv6: true },
  "network-firewall": { kind: "network-firewall", capacity: DEFAULT_NETWORK_FIREWALL_CAPACITY },
};

const NAMES = `${Object.keys(OVERFLOW_PRESETS).join(", ")} or none`;

/** `waf`, `waf-cloudfront`, `network-firewall`; `none` is undefined. */
export function parseOverflowName(text: string): OverflowSettings | undefined {
  const name = text.trim().toLowerCase();
  if (name === "none") return undefined;
  const preset = OVERFLOW_PRESETS[name];
  if (preset === undefined) throw new Error(`"${text}" is not an overflow target: use ${NAMES}`);
  return preset;
}

/** The object form; omitted fields take the preset of the same kind. */
export type OverflowInput =
  | { readonly kind: "waf"; readonly scope?: "REGIONAL" | "CLOUDFRONT"; readonly ipv6?: boolean }
  | { readonly kind: "network-firewall"; readonly capacity?: number };

/** Settings from the object form, the capacity checked against AWS's limit. */
export function parseOverflow(input: OverflowInput): OverflowSettings {
  if (input.kind === "waf") {
    return { kind: "waf", scope: input.scope ?? "REGIONAL", ipv6: input.ipv6 ?? true };
  }
  return {
    kind: "network-firewall",
    capacity: parseCapacity(input.capacity ?? DEFAULT_NETWORK_FIREWALL_CAPACITY),
  };
}

function parseCapacity(value: string | number): number {
  const capacity = Number(value);
  if (String(value).trim() === "" || !Number.isInteger(capacity) || capacity < 1) {
    throw new Error(
      `"${value}" is not a rule group capacity: a whole number 1-${NETWORK_FIREWALL_CAPACITY_MAX}`,
    );
  }
  if (capacity > NETWORK_FIREWALL_CAPACITY_MAX) {
    throw new Error(
      `capacity ${capacity} is too large: AWS allows a stateful rule group at most ${NETWORK_FIREWALL_CAPACITY_MAX}`,
    );
  }
  return capacity;
}

/** Overflow options of jail.local's `[cloudjail]` section as read so far (validated together at the end). */
export interface OverflowOptions {
  /** `overflow = ...` as read; null for `none`. */
  readonly target?: OverflowSettings | null;
  readonly ipv6?: boolean;
  readonly capacity?: number;
}

/** jail.local option names of the overflow target, for error messages. */
export const OVERFLOW_OPTION_NAMES = "overflow, overflow_ipv6, overflow_capacity";

/**
 * Reads one `[cloudjail]` option if it is an overflow option (`overflow = waf`, `overflow_ipv6 = false`,
 * `overflow_capacity = 5000`): returns the options so far with it, or undefined when `key` (normalised: no
 * `_`/`-`/`.`) is not one.
 */
export function readOverflowOption(
  key: string,
  text: string,
  current: OverflowOptions,
  parseBoolean: (text: string) => boolean,
): OverflowOptions | undefined {
  if (key === "overflow") return { ...current, target: parseOverflowName(text) ?? null };
  if (key === "overflowipv6") return { ...current, ipv6: parseBoolean(text) };
  if (key === "overflowcapacity") return { ...current, capacity: parseCapacity(text) };
  return undefined;
}

/** The target the options describe, or undefined for none; a field of the other kind (or of none) is an error. */
export function overflowFromOptions(options: OverflowOptions): OverflowSettings | undefined {
  const target = options.target ?? undefined;
  if (options.ipv6 !== undefined && target?.kind !== "waf") {
    throw new Error("overflow_ipv6 applies only to overflow = waf or waf-cloudfront");
  }
  if (options.capacity !== undefined && target?.kind !== "network-firewall") {
    throw new Error("overflow_capacity applies only to overflow = network-firewall");
  }
  if (target?.kind === "waf") return { ...target, ipv6: options.ipv6 ?? target.ipv6 };
  if (target?.kind === "network-firewall")
    return { ...target, capacity: options.capacity ?? target.capacity };
  return undefined;
}
