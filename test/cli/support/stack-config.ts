import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseJailConf } from "../../../lambda/core/config";
import type { CloudjailConfig, NaclSettings } from "../../../lambda/core/types";

/** The repo's config/jail.local (the seed article's jail: maxretry 3, findtime 5m, bantime 1h, ignoreip 103.1.2.3). */
export function repoConfig(nacl: Partial<NaclSettings> = {}): CloudjailConfig {
  const file = path.resolve(__dirname, "../../../config/jail.local");
  const { config } = parseJailConf(readFileSync(file, "utf8"), file);
  return { ...config, nacl: { ...config.nacl, ...nacl } };
}
