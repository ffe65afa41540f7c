import type { BanIncrement, JailConfig } from "../../../lambda/core/types";

/** A jail as the seed article configures it (maxretry 3 in 300 s, 1 h bans), with the fields a test changes. */
export function makeJail(
  overrides: Partial<Omit<JailConfig, "increment">> & { increment?: Partial<BanIncrement> } = {},
): JailConfig {
  const { increment, ...rest } = overrides;
  return {
    name: "sshd",
    enabled: true,
    filter: "sshd",
    mode: "normal",
    maxretry: 3,
    findtime: 300,
    bantime: 3600,
    ignoreip: ["127.0.0.1/8", "::1", "103.1.2.3"],
    ...rest,
    increment: { enabled: false, factor: 1, overalljails: false, ...increment },
  };
}
