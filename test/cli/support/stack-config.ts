import { readFileSync } from "node:fs";
import * as path from "node:path";
import { DEFAULT_DEMO_CONFIG } from "../../../bin/cli/demo";
import { parseJailConf } from "../../../lambda/core/config";
import type { CloudjailConfig, NaclSettings } from "../../../lambda/core/types";

const ROOT = path.resolve(__dirname, "../../..");

/** The repo's default config/jail.local (maxretry 3, findtime 5m, bantime 1h; ignoreip loopback and 192.0.2.0/24). */
export function repoConfig(nacl: Partial<NaclSettings> = {}): CloudjailConfig {
  return configFrom("config/jail.local", nacl);
}

/** The seed article's jail.local, as printed (the same values, and its public 103.1.2.3 in ignoreip). */
export function seedConfig(nacl: Partial<NaclSettings> = {}): CloudjailConfig {
  return configFrom("test/fixtures/config/seed-article.jail.local", nacl);
}

/** demo/jail.local: what `npm start` replays demo/secure with. */
export function demoConfig(nacl: Partial<NaclSettings> = {}): CloudjailConfig {
  return configFrom(path.relative(ROOT, DEFAULT_DEMO_CONFIG), nacl);
}

function configFrom(relative: string, nacl: Partial<NaclSettings>): CloudjailConfig {
  const file = path.join(ROOT, relative);
  const { config } = parseJailConf(readFileSync(file, "utf8"), file);
  return { ...config, nacl: { ...config.nacl, ...nacl } };
}
