import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, parseConfigText } from "../../lambda/core/config";
import { checkConfigRules } from "../../lambda/core/config-rules";
import type { CloudjailConfig } from "../../lambda/core/types";
import { UsageError } from "./errors";

/** The default `--config`: `config/jail.local` in the working directory, else the one shipped with cloudjail. */
export const DEFAULT_CONFIG_PATH = "config/jail.local";

/** A configuration read from a file, with the warnings a jail.local produced. */
export interface LoadedConfig {
  readonly path: string;
  readonly config: CloudjailConfig;
  readonly warnings: readonly string[];
}

/** Resolves the `--config` value: the given path, or the default one. */
export function configPath(option: string | undefined): string {
  if (option !== undefined) return option;
  if (existsSync(DEFAULT_CONFIG_PATH)) return DEFAULT_CONFIG_PATH;
  return join(__dirname, "../..", DEFAULT_CONFIG_PATH);
}

/**
 * Reads a configuration file: `.json` through the JSON schema, anything else as fail2ban's jail.local format, then
 * checks it against the rules `cdk synth` applies (lambda/core/config-rules.ts), so what synth rejects is never
 * replayed as if it would work. Unreadable files and configuration errors become UsageError (exit code 2) with the
 * file, line or key named.
 */
export function loadConfig(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read config ${path}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`,
    );
  }
  let loaded: ReturnType<typeof parseConfigText>;
  try {
    loaded = parseConfigText(text, path);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  try {
    checkConfigRules(loaded.config);
  } catch (error) {
    // The parsers name the file and line; a rule names the jail, so the file is added here.
    if (error instanceof ConfigError) throw new UsageError(`${path}: ${error.message}`);
    throw error;
  }
  return { path, ...loaded };
}
