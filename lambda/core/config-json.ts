import type { z } from "zod";
import { ConfigError } from "./config-error";
import {
  type CloudjailConfigInput,
  type configSchema,
  configSchemaByJailShape,
  type JailInput,
  VALID_KEYS,
} from "./config-schema";
import { didYouMean } from "./config-suggestion";
import {
  multipliersDecrease,
  parseBantime,
  parseBoolean,
  parseCount,
  parseFilterReference,
  parseIgnoreList,
  parseJitter,
  parseMultipliers,
  parsePorts,
  parsePositiveDuration,
  parseShare,
  splitList,
} from "./jail-options";
import { type JailSettings, mergeSettings, resolveJail, stockJailSettings } from "./jail-settings";
import {
  DEFAULT_NACL_SETTINGS,
  parseAggregation,
  parseNaclIds,
  parseProtectedCidrs,
  parseQuota,
  parseRuleRange,
  parseTopicArn,
  parseVpcIds,
} from "./nacl-settings";
import { parseOverflow, parseOverflowName } from "./overflow-settings";
import type { CloudjailConfig, JailConfig, NaclSettings, OverflowSettings } from "./types";

/** Validates the JSON form (zod); errors name the key and what would be valid. */
export function parseConfigJson(value: unknown, source: string): CloudjailConfig {
  const listed =
    typeof value === "object" && value !== null && Array.isArray((value as { jails?: unknown }).jails);
  const parsed = (listed ? configSchemaByJailShape.listed : configSchemaByJailShape.keyed).safeParse(value);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, source));
  return resolveInput(parsed.data, source);
}

function resolveInput(input: z.output<typeof configSchema>, source: string): CloudjailConfig {
  const entries: Array<[string, JailInput, string]> = Array.isArray(input.jails)
    ? input.jails.map(({ name, ...jail }, index) => [name, jail, `jails[${index}]`])
    : Object.entries(input.jails).map(([name, jail]) => [name, jail, `jails.${name}`]);
  const defaults = input.defaults ? readJail(input.defaults, `${source}: defaults`) : {};
  const seen = new Set<string>();
  const jails: JailConfig[] = [];
  for (const [name, jailInput, path] of entries) {
    if (seen.has(name))
      throw new ConfigError(`${source}: ${path}: jail "${name}" is defined twice; jail names are unique`);
    seen.add(name);
    const settings = mergeSettings([
      defaults,
      stockJailSettings(name),
      readJail(jailInput, `${source}: ${path}`),
    ]);
    const resolved = resolveJail(name, settings, (key) => `${source}: ${path}${key ? `.${key}` : ""}`);
    if ("unsupported" in resolved) continue;
    jails.push(resolved.jail);
  }
  return {
    jails,
    nacl: readNacl(input.nacl ?? {}, `${source}: nacl`),
    ...(input.topicArn !== undefined
      ? { topicArn: field(`${source}: topicArn`, () => parseTopicArn(input.topicArn ?? "")) }
      : {}),
    ...readOverflow(input.overflow, `${source}: overflow`),
    ...(input.enforce === undefined ? {} : { enforce: input.enforce }),
  };
}

/** `{ overflow }` when the input chooses a target, else nothing (so that the resolved form omits the key). */
function readOverflow(
  input: CloudjailConfigInput["overflow"],
  where: string,
): { overflow?: OverflowSettings } {
  if (input === undefined) return {};
  const overflow = field(where, () =>
    typeof input === "string" ? parseOverflowName(input) : parseOverflow(input),
  );
  return overflow === undefined ? {} : { overflow };
}

/** Runs a value parser, naming the key in its error. */
function field<T>(where: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${where}: ${(error as Error).message}`);
  }
}

function optional<V, T>(value: V | undefined, where: string, parse: (value: V) => T): T | undefined {
  return value === undefined ? undefined : field(where, () => parse(value));
}

function readJail(input: JailInput, where: string): JailSettings {
  const list = (value: string | string[]) => (typeof value === "string" ? splitList(value) : value);
  const patterns = (value: string | string[]) => (typeof value === "string" ? [value] : value);
  const ignoreip = optional(input.ignoreip, `${where}.ignoreip`, (value) => {
    const { addresses, names } = parseIgnoreList(list(value));
    if (names.length > 0)
      throw new Error(
        `host names are not resolved in the cloud: ${names.join(", ")}; list addresses or CIDRs`,
      );
    return addresses;
  });
  const multipliers = optional(
    input.increment?.multipliers,
    `${where}.increment.multipliers`,
    parseMultipliers,
  );
  return {
    enabled: optional(input.enabled, `${where}.enabled`, (value) =>
      typeof value === "boolean" ? value : parseBoolean(value),
    ),
    filter: optional(input.filter, `${where}.filter`, parseFilterReference),
    mode: input.mode,
    failregex: optional(input.failregex, `${where}.failregex`, patterns),
    ignoreregex: optional(input.ignoreregex, `${where}.ignoreregex`, patterns),
    maxretry: optional(input.maxretry, `${where}.maxretry`, parseCount),
    findtime: optional(input.findtime, `${where}.findtime`, parsePositiveDuration),
    bantime: optional(input.bantime, `${where}.bantime`, parseBantime),
    ignoreip,
    port: optional(input.port, `${where}.port`, parsePorts),
    share: optional(input.share, `${where}.share`, parseShare),
    enforce: input.enforce,
    increment: {
      enabled: input.increment?.enabled,
      factor: input.increment?.factor,
      multipliers:
        multipliers && multipliersDecrease(multipliers) ? runningMaximum(multipliers) : multipliers,
      maxtime: optional(input.increment?.maxtime, `${where}.increment.maxtime`, parsePositiveDuration),
      rndtime: optional(input.increment?.rndtime, `${where}.increment.rndtime`, parseJitter),
      overalljails: input.increment?.overalljails,
    },
  };
}

/** JSON has no warning channel: decreasing multipliers are stored as cloudjail reads them. */
function runningMaximum(values: readonly number[]): number[] {
  let largest = 0;
  return values.map((value) => {
    largest = Math.max(largest, value);
    return largest;
  });
}

function readNacl(input: NonNullable<CloudjailConfigInput["nacl"]>, where: string): NaclSettings {
  return {
    scope: input.scope ?? DEFAULT_NACL_SETTINGS.scope,
    vpcIds: optional(input.vpcIds, `${where}.vpcIds`, parseVpcIds) ?? DEFAULT_NACL_SETTINGS.vpcIds,
    ...(input.naclIds !== undefined
      ? { naclIds: field(`${where}.naclIds`, () => parseNaclIds(input.naclIds ?? [])) }
      : {}),
    reservedRuleRange:
      optional(input.reservedRuleRange, `${where}.reservedRuleRange`, parseRuleRange) ??
      DEFAULT_NACL_SETTINGS.reservedRuleRange,
    quota: optional(input.quota, `${where}.quota`, parseQuota) ?? DEFAULT_NACL_SETTINGS.quota,
    restrictToJailPorts: input.restrictToJailPorts ?? DEFAULT_NACL_SETTINGS.restrictToJailPorts,
    ...(input.aggregation === undefined || input.aggregation === false
      ? {}
      : {
          aggregation: field(`${where}.aggregation`, () =>
            parseAggregation(input.aggregation === true ? {} : (input.aggregation as object)),
          ),
        }),
    ...(input.protectedCidrs === undefined
      ? {}
      : {
          protectedCidrs: field(`${where}.protectedCidrs`, () =>
            parseProtectedCidrs(input.protectedCidrs ?? []),
          ),
        }),
  };
}

/** One line per problem: `source: jails.sshd.bantime: expected ...`. */
function describeIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map(String).join(".") || "(top level)";
    if (issue.code === "unrecognized_keys") {
      const valid = validKeysAt(issue.path);
      const suggestions = issue.keys
        .map((key) =>
          key === "scope" && valid === VALID_KEYS.jail
            ? '; did you mean "share"? (scope = vpc|subnet belongs in nacl)'
            : didYouMean(key, valid),
        )
        .filter(Boolean);
      return `${source}: ${path}: unknown key(s) ${issue.keys.join(", ")}; valid keys: ${valid.join(", ")}${suggestions.join("")}`;
    }
    return `${source}: ${path}: ${issue.message}`;
  });
  return lines.join("\n");
}

function validKeysAt(path: readonly PropertyKey[]): readonly string[] {
  const last = path[path.length - 1];
  if (path.length === 0) return VALID_KEYS.root;
  if (last === "increment") return VALID_KEYS.increment;
  if (last === "nacl") return VALID_KEYS.nacl;
  return VALID_KEYS.jail;
}
