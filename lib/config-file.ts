import { readFileSync } from "node:fs";
import { parseConfigJson, parseJailConf } from "../lambda/core/config";
import type { CloudjailConfig } from "../lambda/core/types";

/** Reads a configuration file for the app: `.json` through `parseConfigJson`, anything else as a jail.local. */
export function loadConfigFile(path: string): { config: CloudjailConfig; warnings: readonly string[] } {
  const text = readFileSync(path, "utf8");
  return path.endsWith(".json")
    ? { config: parseConfigJson(JSON.parse(text), path), warnings: [] }
    : parseJailConf(text, path);
}
