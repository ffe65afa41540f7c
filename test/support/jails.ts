import type { JailConfig } from "../../lambda/core/types";

/** The seed article's sshd jail (maxretry 5, findtime 10m, bantime 1h), with overrides. */
export function sshdJail(overrides: Partial<JailConfig> = {}): JailConfig {
  return {
    name: "sshd",
    enabled: true,
    filter: "sshd",
    mode: "normal",
    maxretry: 5,
    findtime: 600,
    bantime: 3600,
    ignoreip: ["127.0.0.1/8", "::1"],
    increment: { enabled: false, factor: 1, overalljails: false },
    ...overrides,
  };
}

/** fail2ban's recidive jail: 5 bans within a day earn a week. */
export function recidiveJail(overrides: Partial<JailConfig> = {}): JailConfig {
  return sshdJail({
    name: "recidive",
    filter: "recidive",
    maxretry: 5,
    findtime: 86_400,
    bantime: 604_800,
    ...overrides,
  });
}
