import { ConfigError } from "./config-error";
import { didYouMean } from "./config-suggestion";
import { IGNORED_OPTIONS, ignoredReason } from "./ignored-options";
import { type IniDocument, type IniEntry, type IniSection, interpolated, readIni } from "./ini-reader";
import { INTAKE_OPTION_NAMES, type IntakeSettings, readIntakeOption } from "./intake-settings";
import {
  multipliersDecrease,
  parseBantime,
  parseBoolean,
  parseCount,
  parseFactor,
  parseFilterReference,
  parseIgnoreList,
  parseJitter,
  parseMode,
  parseMultipliers,
  parsePorts,
  parsePositiveDuration,
  parseShare,
  splitList,
  splitPatterns,
} from "./jail-options";
import {
  filterKind,
  type JailSettings,
  type ResolvedJail,
  resolveJail,
  stockJailSettings,
} from "./jail-settings";
import {
  AGGREGATION_OPTION_NAMES,
  type AggregationInput,
  aggregationFromOptions,
  DEFAULT_NACL_SETTINGS,
  parseNaclIds,
  parseProtectedCidrs,
  parseQuota,
  parseRuleRange,
  parseScope,
  parseTopicArn,
  parseVpcIds,
  readAggregationOption,
} from "./nacl-settings";
import {
  OVERFLOW_OPTION_NAMES,
  type OverflowOptions,
  overflowFromOptions,
  readOverflowOption,
} from "./overflow-settings";
import type { CloudjailConfig, JailConfig, NaclSettings, OverflowSettings } from "./types";

/** The section of jail.local that holds cloudjail's own settings. */
export const CLOUDJAIL_SECTION = "cloudjail";

/** The `[cloudjail]` options other than aggregation's and overflow's, as documented. */
const CLOUDJAIL_OPTION_NAMES =
  "scope, vpc_ids, nacl_ids, reserved_rule_range, quota, restrict_to_jail_ports, protected_cidrs, topic_arn, enforce";

/** Sections of fail2ban files that are not jails. */
const NOT_JAILS: Readonly<Record<string, string>> = {
  includes: "included files (before/after) are not read: paste the settings you need into this file",
  definition: "[Definition] belongs in a filter or action file, not in jail.local: it is ignored",
  init: "[Init] belongs in a filter or action file, not in jail.local: it is ignored",
};

/** Options holding patterns: fail2ban's own references in them (`%(__prefix_line)s`) are left to the detector. */
const PATTERN_OPTIONS = new Set(["failregex", "ignoreregex"]);

/** The jail options cloudjail reads. */
const JAIL_OPTIONS = new Set([
  "enabled",
  "filter",
  "mode",
  "failregex",
  "ignoreregex",
  "maxretry",
  "findtime",
  "bantime",
  "ignoreip",
  "port",
  "bantime.increment",
  "bantime.factor",
  "bantime.multipliers",
  "bantime.maxtime",
  "bantime.rndtime",
  "bantime.overalljails",
  "share",
  "enforce",
]);

/** Every option name fail2ban and cloudjail know: what a misspelled name is compared with. */
const KNOWN_OPTIONS = [...JAIL_OPTIONS, ...Object.keys(IGNORED_OPTIONS)];

/** Parses fail2ban jail.local/jail.conf text. Errors name file + line; unknown-in-the-cloud options produce warnings. */
export function parseJailConf(
  text: string,
  fileName: string,
): { config: CloudjailConfig; warnings: string[] } {
  const document = readIni(text, fileName);
  const warnings = new Warnings();
  let nacl: NaclSettings = DEFAULT_NACL_SETTINGS;
  let topicArn: string | undefined;
  let overflow: OverflowSettings | undefined;
  let intake: IntakeSettings | undefined;
  let enforce: boolean | undefined;
  const jails: JailConfig[] = [];
  const unsupported: string[] = [];

  const referenced = referencedNames(document);
  checkOptionNames(document, document.defaults, warnings, referenced);
  for (const section of document.sections) {
    const special = NOT_JAILS[section.name.toLowerCase()];
    if (special) {
      warnings.add(`${fileName}:${section.line}: [${section.name}]: ${special}`);
      continue;
    }
    if (section.name.toLowerCase() === CLOUDJAIL_SECTION) {
      ({ nacl, topicArn, overflow, intake, enforce } = readCloudjailSection(document, section));
      continue;
    }
    const enabled = interpolated(document, section, "enabled");
    const isEnabled = enabled ? parseEntry(document, section, enabled, parseBoolean) : false;
    if (!isEnabled && !hasCloudFilter(document, section)) {
      unsupported.push(section.name);
      continue;
    }
    let resolved: ResolvedJail;
    try {
      const settings = readJailSettings(document, section, warnings);
      resolved = resolveJail(section.name, settings, (key) => locate(document, section, key));
    } catch (error) {
      // A jail that is not enabled never runs: its mistakes must not stop the enabled ones from loading.
      if (isEnabled || !(error instanceof ConfigError)) throw error;
      warnings.add(`${error.message} (the jail is not enabled, so it is skipped)`);
      continue;
    }
    if ("unsupported" in resolved) {
      unsupported.push(section.name);
      continue;
    }
    if (resolved.jail.enabled) checkOptionNames(document, section, warnings, referenced);
    jails.push(resolved.jail);
  }
  if (unsupported.length > 0) {
    warnings.add(
      `${fileName}: ${unsupported.length} disabled jail(s) have no cloudjail filter and are skipped: ${unsupported.join(", ")}`,
    );
  }
  if (!jails.some((jail) => jail.enabled)) {
    warnings.add(
      `${fileName}: no jail is enabled, so nothing will be banned; add "enabled = true" under [sshd]`,
    );
  }
  const config: CloudjailConfig = {
    jails,
    nacl,
    ...(topicArn ? { topicArn } : {}),
    ...(overflow ? { overflow } : {}),
    ...(intake ? { intake } : {}),
    ...(enforce === undefined ? {} : { enforce }),
  };
  return { config, warnings: warnings.list };
}

/** False when a jail's filter (by name, or its own failregex) is none of cloudjail's; unreadable counts as true. */
function hasCloudFilter(document: IniDocument, section: IniSection): boolean {
  try {
    const filter = interpolated(document, section, "filter");
    const name = filter ? parseFilterReference(filter.value).name : section.name.toLowerCase();
    const failregex = interpolated(document, section, "failregex", true);
    return filterKind(name, (failregex?.value.trim() ?? "") !== "") !== undefined;
  } catch {
    return true;
  }
}

class Warnings {
  readonly list: string[] = [];
  private readonly seen = new Set<string>();

  add(message: string, key = message): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(message);
  }
}

function locate(document: IniDocument, section: IniSection, key?: string): string {
  const entry =
    key === undefined ? undefined : (section.entries.get(key) ?? document.defaults.entries.get(key));
  return `${document.fileName}:${entry?.line ?? section.line} [${section.name}]`;
}

/**
 * Warns once per option that cloudjail ignores, saying why. An unknown name within a few letters of a known option
 * (`ignorip`) is an error with a did-you-mean, unless a `%(name)s` reference uses it: fail2ban would skip it without
 * a word, and the option meant (an ignoreip, a bantime) would silently not apply.
 */
function checkOptionNames(
  document: IniDocument,
  section: IniSection,
  warnings: Warnings,
  referenced: ReadonlySet<string>,
): void {
  for (const entry of section.entries.values()) {
    if (JAIL_OPTIONS.has(entry.key)) continue;
    const reason = ignoredReason(entry.key);
    const where = `${document.fileName}:${entry.line}`;
    if (reason) {
      warnings.add(`${where}: "${entry.key}" is ignored in the cloud: ${reason}`, entry.key);
      continue;
    }
    // `scope` names the NACLs ([cloudjail]); who a jail's bans protect is `share` (issue 16).
    const suggestion =
      entry.key === "scope"
        ? '; did you mean "share"? (scope = vpc|subnet belongs in [cloudjail])'
        : didYouMean(entry.key, KNOWN_OPTIONS);
    if (suggestion !== "" && !referenced.has(entry.key)) {
      throw new ConfigError(
        `${where} [${section.name}]: unknown option "${entry.key}"${suggestion} (fail2ban would skip it silently)`,
      );
    }
    if (section === document.defaults) {
      warnings.add(
        `${where}: "${entry.key}" is not a jail option cloudjail uses; it only serves %(${entry.key})s references`,
        entry.key,
      );
    } else {
      warnings.add(
        `${where}: "${entry.key}" is not a fail2ban jail option cloudjail knows; it is ignored (cloudjail reads ${[...JAIL_OPTIONS].join(", ")})`,
        entry.key,
      );
    }
  }
}

/** Every name a `%(name)s` (or `%(known/name)s`) reference of the document uses, lower-cased. */
function referencedNames(document: IniDocument): ReadonlySet<string> {
  const names = new Set<string>();
  for (const section of [document.defaults, ...document.sections]) {
    for (const entry of section.entries.values()) {
      for (const match of entry.value.matchAll(/%\(([^)]*)\)s/g)) {
        names.add(
          (match[1] ?? "")
            .trim()
            .toLowerCase()
            .replace(/^known\//, ""),
        );
      }
    }
  }
  return names;
}

/** Reads one jail's options through the fail2ban layering: section, stock jail.conf values, `[DEFAULT]`. */
function readJailSettings(document: IniDocument, section: IniSection, warnings: Warnings): JailSettings {
  const stock = stockJailSettings(section.name);
  const value = <T>(key: string, parse: (text: string) => T): T | undefined => {
    const entry = interpolated(document, section, key, PATTERN_OPTIONS.has(key));
    if (!entry) return undefined;
    // The jail.conf values fail2ban ships for this jail beat [DEFAULT], as when jail.conf is read before jail.local.
    if (!section.entries.has(key) && stockHas(stock, key)) return undefined;
    return parseEntry(document, section, entry, parse);
  };
  const filter = value("filter", parseFilterReference);
  if (filter && filter.otherArguments.length > 0) {
    warnings.add(
      `${locate(document, section, "filter")}: filter arguments ${filter.otherArguments.join(", ")} are ignored (cloudjail reads only mode=)`,
    );
  }
  const ignoreip = value("ignoreip", (text) => parseIgnoreList(splitList(text)));
  if (ignoreip && ignoreip.names.length > 0) {
    warnings.add(
      `${locate(document, section, "ignoreip")}: host names in ignoreip are not resolved in the cloud and are skipped: ${ignoreip.names.join(", ")}; list their addresses instead`,
    );
  }
  const multipliers = value("bantime.multipliers", (text) =>
    text.trim() === "" ? undefined : parseMultipliers(text),
  );
  if (multipliers && multipliersDecrease(multipliers)) {
    warnings.add(
      `${locate(document, section, "bantime.multipliers")}: bantime.multipliers decrease; cloudjail never shortens a repeat ban and keeps the largest earlier multiplier`,
    );
  }
  const optionalDuration = (text: string) => (text.trim() === "" ? undefined : parsePositiveDuration(text));
  const optionalJitter = (text: string) => (text.trim() === "" ? undefined : parseJitter(text));
  const settings: JailSettings = {
    enabled: value("enabled", parseBoolean),
    filter,
    mode: value("mode", parseMode),
    failregex: value("failregex", splitPatterns),
    ignoreregex: value("ignoreregex", splitPatterns),
    maxretry: value("maxretry", parseCount),
    findtime: value("findtime", parsePositiveDuration),
    bantime: value("bantime", parseBantime),
    ignoreip: ignoreip?.addresses,
    port: value("port", parsePorts),
    share: value("share", parseShare),
    enforce: value("enforce", parseBoolean),
    increment: {
      enabled: value("bantime.increment", parseBoolean),
      factor: value("bantime.factor", (text) => (text.trim() === "" ? undefined : parseFactor(text))),
      multipliers,
      maxtime: value("bantime.maxtime", optionalDuration),
      rndtime: value("bantime.rndtime", optionalJitter),
      overalljails: value("bantime.overalljails", parseBoolean),
    },
  };
  return {
    ...stock,
    ...definedOnly(settings),
    increment: { ...stock.increment, ...definedOnly(settings.increment ?? {}) },
  };
}

function stockHas(stock: JailSettings, key: string): boolean {
  return key in stock && (stock as Record<string, unknown>)[key] !== undefined;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

function parseEntry<T>(
  document: IniDocument,
  section: IniSection,
  entry: IniEntry,
  parse: (text: string) => T,
): T {
  try {
    return parse(entry.value);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const from = section.entries.has(entry.key)
      ? `[${section.name}]`
      : `[DEFAULT], used by [${section.name}]`;
    throw new ConfigError(
      `${document.fileName}:${entry.line} ${from}: ${entry.key}: ${(error as Error).message}`,
    );
  }
}

/** The `[cloudjail]` section: option names with or without `_`/`-`, case-insensitive. */
function readCloudjailSection(
  document: IniDocument,
  section: IniSection,
): {
  nacl: NaclSettings;
  topicArn?: string;
  overflow?: OverflowSettings;
  intake?: IntakeSettings;
  enforce?: boolean;
} {
  let nacl: NaclSettings = { ...DEFAULT_NACL_SETTINGS };
  let topicArn: string | undefined;
  let aggregation: AggregationInput = { fields: {} };
  let overflowOptions: OverflowOptions = {};
  let intake: IntakeSettings | undefined;
  let enforce: boolean | undefined;
  let lastLine = section.line;
  for (const entry of section.entries.values()) {
    const read = <T>(parse: (text: string) => T): T =>
      parseEntry(document, section, { ...entry, value: expandLocal(document, section, entry) }, parse);
    const key = entry.key.replace(/[-_.]/g, "");
    lastLine = Math.max(lastLine, entry.line);
    const aggregated = read((text) => readAggregationOption(key, text, aggregation, parseBoolean));
    if (aggregated !== undefined) {
      aggregation = aggregated;
      continue;
    }
    const intaken = read((text) => readIntakeOption(key, text, intake ?? {}, parseBoolean));
    if (intaken !== undefined) {
      intake = intaken;
      continue;
    }
    const overflowed = read((text) => readOverflowOption(key, text, overflowOptions, parseBoolean));
    if (overflowed !== undefined) {
      overflowOptions = overflowed;
      continue;
    }
    switch (key) {
      case "scope":
        nacl = { ...nacl, scope: read(parseScope) };
        break;
      case "vpcids":
      case "vpcs":
        nacl = { ...nacl, vpcIds: read((text) => parseVpcIds(splitList(text))) };
        break;
      case "naclids":
      case "nacls":
        nacl = { ...nacl, naclIds: read((text) => parseNaclIds(splitList(text))) };
        break;
      case "reservedrulerange":
      case "rulerange":
        nacl = { ...nacl, reservedRuleRange: read(parseRuleRange) };
        break;
      case "quota":
        nacl = { ...nacl, quota: read(parseQuota) };
        break;
      case "restricttojailports":
        nacl = { ...nacl, restrictToJailPorts: read(parseBoolean) };
        break;
      case "protectedcidrs":
        nacl = { ...nacl, protectedCidrs: read((text) => parseProtectedCidrs(splitList(text))) };
        break;
      case "topicarn":
      case "topic":
        topicArn = read(parseTopicArn);
        break;
      case "enforce":
        enforce = read(parseBoolean);
        break;
      default: {
        const valid = `${CLOUDJAIL_OPTION_NAMES}, ${AGGREGATION_OPTION_NAMES}, ${OVERFLOW_OPTION_NAMES}, ${INTAKE_OPTION_NAMES}`;
        throw new ConfigError(
          `${document.fileName}:${entry.line} [${CLOUDJAIL_SECTION}]: unknown option "${entry.key}"; valid options: ${valid}${didYouMean(entry.key, valid.split(", "))}`,
        );
      }
    }
  }
  let overflow: OverflowSettings | undefined;
  try {
    const settings = aggregationFromOptions(aggregation);
    if (settings !== undefined) nacl = { ...nacl, aggregation: settings };
    overflow = overflowFromOptions(overflowOptions);
  } catch (error) {
    throw new ConfigError(
      `${document.fileName}:${lastLine} [${CLOUDJAIL_SECTION}]: ${(error as Error).message}`,
    );
  }
  return {
    nacl,
    ...(topicArn ? { topicArn } : {}),
    ...(overflow ? { overflow } : {}),
    ...(intake ? { intake } : {}),
    ...(enforce === undefined ? {} : { enforce }),
  };
}

function expandLocal(document: IniDocument, section: IniSection, entry: IniEntry): string {
  return interpolated(document, section, entry.key)?.value ?? entry.value;
}

/** Exposed for docs and tests: options accepted but meaningless in the cloud. */
export { IGNORED_OPTIONS };
