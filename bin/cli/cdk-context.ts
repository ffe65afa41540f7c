import { readFileSync } from "node:fs";
import * as path from "node:path";

/** Stack name when neither `--stack` nor cdk.json's `cloudjail:stackName` says otherwise (lib/cloudjail-app.ts). */
export const FALLBACK_STACK_NAME = "Cloudjail";
/** The cdk.json context key naming the stack (lib/app-context.ts, CONTEXT.stackName). */
export const STACK_NAME_CONTEXT = "cloudjail:stackName";
/** The cdk.json context key naming the configuration file (lib/app-context.ts, CONTEXT.config). */
export const CONFIG_CONTEXT = "cloudjail:config";
/** The file the CDK app reads when `cloudjail:config` is not set (lib/app-context.ts, DEFAULT_CONFIG_PATH). */
export const APP_DEFAULT_CONFIG = "config/jail.local";

/** The context keys naming what the stack protects (lib/app-context.ts, CONTEXT.vpcIds and CONTEXT.naclIds). */
export const TARGET_CONTEXTS = ["cloudjail:vpcIds", "cloudjail:naclIds"] as const;

/** A value that a cdk.json's context holds, and the folder of that cdk.json (where `cdk deploy` runs). */
export interface CdkContextValue<T> {
  readonly value: T;
  readonly dir: string;
}

/**
 * The context value `key` as `cdk deploy` would read it: from the cdk.json of `cwd`, else of the cloudjail checkout
 * the CLI runs from; undefined when neither sets it (to a value `accept` takes).
 */
export function cdkContext(
  key: string,
  cwd: string = process.cwd(),
  accept: (value: unknown) => boolean = (value) => value !== undefined,
): CdkContextValue<unknown> | undefined {
  for (const dir of [cwd, path.resolve(__dirname, "../..")]) {
    let text: string;
    try {
      text = readFileSync(path.join(dir, "cdk.json"), "utf8");
    } catch {
      continue;
    }
    const value = (JSON.parse(text) as { context?: Record<string, unknown> }).context?.[key];
    if (accept(value)) return { value, dir };
  }
  return undefined;
}

/** {@link cdkContext} for a string key: undefined unless it holds a non-empty string. */
export function cdkContextString(
  key: string,
  cwd: string = process.cwd(),
): CdkContextValue<string> | undefined {
  const found = cdkContext(key, cwd, (value) => typeof value === "string" && value.trim() !== "");
  return found === undefined ? undefined : { value: String(found.value).trim(), dir: found.dir };
}
