import { ConfigError } from "./config-error";
import { parseConfigJson } from "./config-json";
import { parseJailConf } from "./jail-file-config";
import type { CloudjailConfig } from "./types";

/**
 * A configuration file's text, read by its name: `*.json` through the JSON schema, anything else as fail2ban's
 * jail.local format. The one place both the CLI and the CDK app turn a file into a configuration.
 */
export function parseConfigText(
  text: string,
  fileName: string,
): { config: CloudjailConfig; warnings: readonly string[] } {
  if (!fileName.toLowerCase().endsWith(".json")) return parseJailConf(text, fileName);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${fileName}: not valid JSON: ${(error as Error).message}`);
  }
  return { config: parseConfigJson(value, fileName), warnings: [] };
}
