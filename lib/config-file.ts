import { readFileSync } from "node:fs";
import { parseConfigText } from "../lambda/core/config";
import type { CloudjailConfig } from "../lambda/core/types";

/** Reads a configuration file for the app: `.json` through the JSON schema, anything else as a jail.local. */
export function loadConfigFile(path: string): { config: CloudjailConfig; warnings: readonly string[] } {
  return parseConfigText(readFileSync(path, "utf8"), path);
}
