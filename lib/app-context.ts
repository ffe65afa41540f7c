import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import type { CloudjailConfig } from "../lambda/core/types";
import { CloudjailSettingsError } from "./cloudjail-settings-error";
import type { CloudjailStackProps } from "./cloudjail-stack";

/** The cdk.json context keys the app reads (`-c key=value` on the command line overrides them). */
export const CONTEXT = {
  stackName: "cloudjail:stackName",
  config: "cloudjail:config",
  vpcIds: "cloudjail:vpcIds",
  naclIds: "cloudjail:naclIds",
  userRuleNumbers: "cloudjail:userRuleNumbers",
  alertEmail: "cloudjail:alertEmail",
  logGroupNames: "cloudjail:logGroupNames",
  shipAgentLogs: "cloudjail:shipAgentLogs",
  logRetentionDays: "cloudjail:logRetentionDays",
  reserveConcurrency: "cloudjail:reserveConcurrency",
} as const;

/** Used when `cloudjail:config` is not set. */
export const DEFAULT_CONFIG_PATH = "config/jail.local";

/** Reads and resolves a configuration file (jail.local or JSON); warnings name options cloudjail ignores. */
export type ConfigLoader = (path: string) => { config: CloudjailConfig; warnings: readonly string[] };

/**
 * The stack's properties from context. `cloudjail:vpcIds` / `cloudjail:naclIds`, when set and not empty, replace
 * the configuration file's own lists (`vpc_ids` / `nacl_ids` in its [cloudjail] section).
 */
export function stackPropsFromContext(scope: Construct, loadConfig: ConfigLoader): CloudjailStackProps {
  const read = (key: string): unknown => scope.node.tryGetContext(key);
  const configPath = stringOf(read(CONTEXT.config), CONTEXT.config) ?? DEFAULT_CONFIG_PATH;
  const { config: loaded, warnings } = loadConfig(configPath);
  // An empty list in cdk.json means "not set here": the configuration file's [cloudjail] section may name them.
  const vpcIds = nonEmpty(listOf(read(CONTEXT.vpcIds), CONTEXT.vpcIds));
  const naclIds = nonEmpty(listOf(read(CONTEXT.naclIds), CONTEXT.naclIds));
  const config: CloudjailConfig = {
    ...loaded,
    nacl: { ...loaded.nacl, vpcIds: vpcIds ?? loaded.nacl.vpcIds, naclIds: naclIds ?? loaded.nacl.naclIds },
  };
  const userRuleNumbers = listOf(read(CONTEXT.userRuleNumbers), CONTEXT.userRuleNumbers)?.map((text) =>
    numberOf(text, CONTEXT.userRuleNumbers),
  );
  const logGroupNames = listOf(read(CONTEXT.logGroupNames), CONTEXT.logGroupNames) ?? [];
  const retention = read(CONTEXT.logRetentionDays);
  return {
    stackName: stringOf(read(CONTEXT.stackName), CONTEXT.stackName),
    config,
    userRuleNumbers,
    alertEmail: stringOf(read(CONTEXT.alertEmail), CONTEXT.alertEmail),
    shipAgentLogs: booleanOf(read(CONTEXT.shipAgentLogs), CONTEXT.shipAgentLogs),
    reserveConcurrency: booleanOf(read(CONTEXT.reserveConcurrency), CONTEXT.reserveConcurrency),
    logRetention: retention === undefined ? undefined : retentionOf(retention),
    existingLogGroupNames: logGroupNames,
    configWarnings: warnings,
  };
}

/** A list from JSON (`["a","b"]`) or from `-c key=a,b`; undefined when the key is not set. */
function listOf(value: unknown, key: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((item) => String(item).trim()).filter((item) => item !== "");
  if (typeof value === "string" || typeof value === "number") {
    return String(value)
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }
  throw new CloudjailSettingsError(`context "${key}" must be a list, e.g. ["a", "b"] or "a,b"`);
}

function nonEmpty(list: string[] | undefined): string[] | undefined {
  return list === undefined || list.length === 0 ? undefined : list;
}

function stringOf(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    throw new CloudjailSettingsError(`context "${key}" must be a non-empty string`);
  }
  return value.trim();
}

function numberOf(text: string, key: string): number {
  const number = Number(text);
  if (text === "" || !Number.isInteger(number)) {
    throw new CloudjailSettingsError(`context "${key}": "${text}" is not a whole number`);
  }
  return number;
}

function booleanOf(value: unknown, key: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new CloudjailSettingsError(`context "${key}" must be true or false`);
}

function retentionOf(value: unknown): logs.RetentionDays {
  const days = Number(value);
  const allowed = Object.values(logs.RetentionDays).filter(
    (item): item is number => typeof item === "number",
  );
  if (!allowed.includes(days)) {
    throw new CloudjailSettingsError(
      `context "${CONTEXT.logRetentionDays}": ${String(value)} is not a CloudWatch Logs retention; use one of ${allowed.join(", ")}`,
    );
  }
  return days as logs.RetentionDays;
}
