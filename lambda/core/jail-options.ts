import { didYouMean } from "./config-suggestion";
import { parseDuration } from "./duration";
import { canonicalIp, parseCidr } from "./ip";
import { JAIL_SHARES, type JailShare, type PortRange, SSHD_MODES, type SshdMode } from "./types";

/**
 * Parsers for the values of fail2ban's jail options, shared by the jail.local reader and the JSON schema.
 * Each throws an Error whose message says what would be valid; the caller adds the file/line or key.
 */

/** fail2ban's booleans: true/false, yes/no, on/off, 1/0 (any case). */
export function parseBoolean(text: string): boolean {
  const value = text.trim().toLowerCase();
  if (["true", "yes", "on", "1"].includes(value)) return true;
  if (["false", "no", "off", "0"].includes(value)) return false;
  throw new Error(`"${text}" is not a boolean: use true or false (yes/no, on/off, 1/0 also work)`);
}

/** A positive whole number (`maxretry`). */
export function parseCount(text: string | number): number {
  const value = typeof text === "number" ? text : Number(String(text).trim());
  if (!Number.isInteger(value) || value < 1) throw new Error(`"${text}" is not a whole number of 1 or more`);
  return value;
}

/** A duration in seconds that must be positive (`findtime`, `bantime.maxtime`). */
export function parsePositiveDuration(text: string | number): number {
  const seconds = typeof text === "number" ? text : parseDuration(text);
  if (!(seconds > 0)) throw new Error(`"${text}" must be a positive duration such as 300, 10m or 1d`);
  return seconds;
}

/** `bantime`: a positive duration, or -1 (any negative value, as in fail2ban) for a permanent ban. */
export function parseBantime(text: string | number): number {
  const seconds = typeof text === "number" ? text : parseDuration(text);
  if (seconds < 0) return -1;
  if (seconds === 0)
    throw new Error(
      `"${text}" is not a ban length: use a duration such as 3600, 1h, 24h, or -1 for permanent`,
    );
  return seconds;
}

/** `bantime.rndtime`: a duration of zero or more. */
export function parseJitter(text: string | number): number {
  const seconds = typeof text === "number" ? text : parseDuration(text);
  if (!(seconds >= 0)) throw new Error(`"${text}" must be a duration of 0 or more, such as 30 or 5m`);
  return seconds;
}

/** `bantime.factor`: a positive number. */
export function parseFactor(text: string | number): number {
  const value = typeof text === "number" ? text : Number(String(text).trim());
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`"${text}" is not a positive number such as 1 or 1.5`);
  return value;
}

/** `bantime.multipliers = 1 2 4 8 16`: positive numbers separated by spaces (or commas). */
export function parseMultipliers(text: string | readonly number[]): number[] {
  const parts = typeof text === "string" ? text.split(/[\s,]+/).filter(Boolean) : text;
  if (parts.length === 0)
    throw new Error("bantime.multipliers is empty: list numbers such as 1 2 4 8 16 32 64");
  return parts.map((part) => {
    const value = Number(part);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(
        `"${part}" in bantime.multipliers is not a positive number: list numbers such as 1 2 4 8 16`,
      );
    }
    return value;
  });
}

/** True when a multiplier is smaller than one before it (cloudjail then keeps the larger, see banSeconds). */
export function multipliersDecrease(multipliers: readonly number[]): boolean {
  return multipliers.some((value, index) => index > 0 && value < multipliers[index - 1]);
}

/** Splits `ignoreip` text: entries separated by spaces and/or commas. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** Separates `ignoreip` entries into valid addresses/CIDRs and names cloudjail cannot use (DNS names). */
export function parseIgnoreList(entries: readonly string[]): { addresses: string[]; names: string[] } {
  const addresses: string[] = [];
  const names: string[] = [];
  for (const entry of entries) {
    try {
      parseCidr(entry);
      addresses.push(entry);
    } catch (error) {
      if (
        /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(entry) &&
        !/^[\d.]+$/.test(entry) &&
        canonicalIp(entry) === undefined
      ) {
        names.push(entry);
      } else {
        throw new Error(
          `ignoreip: ${(error as Error).message}; use addresses or CIDRs such as 10.0.0.0/8 or 2001:db8::/32`,
        );
      }
    }
  }
  return { addresses, names };
}

/** Service names fail2ban configurations commonly use in `port`. */
const SERVICE_PORTS: Readonly<Record<string, number>> = {
  ssh: 22,
  ftp: 21,
  "ftp-data": 20,
  smtp: 25,
  domain: 53,
  http: 80,
  pop3: 110,
  imap: 143,
  https: 443,
  submission: 587,
  imaps: 993,
  pop3s: 995,
  ftps: 990,
  smtps: 465,
  ssmtp: 465,
  imap2: 143,
  imap3: 220,
  ldap: 389,
  ldaps: 636,
  sieve: 4190,
  mysql: 3306,
  postgresql: 5432,
};

/** `port = ssh,2222,5000:5010` (ranges with `:` as fail2ban writes them, or `-`). */
export function parsePorts(text: string | number | readonly (string | number | PortRange)[]): PortRange[] {
  const parts = typeof text === "number" ? [text] : typeof text === "string" ? text.split(/[\s,]+/) : text;
  const ranges = parts.filter((part) => part !== "").map(parsePortPart);
  if (ranges.length === 0) throw new Error(`port is empty: use ssh, 22, 2222 or a range such as 5000:5010`);
  return ranges;
}

function parsePortPart(part: string | number | PortRange): PortRange {
  if (typeof part === "object") return checkRange(part.from, part.to, `${part.from}-${part.to}`);
  const text = String(part).trim().toLowerCase();
  const range = /^(\w[\w-]*?)\s*[:-]\s*(\w[\w-]*)$/.exec(text);
  if (range && !(text in SERVICE_PORTS)) return checkRange(portNumber(range[1]), portNumber(range[2]), text);
  const port = portNumber(text);
  return { from: port, to: port };
}

function portNumber(text: string): number {
  if (text in SERVICE_PORTS) return SERVICE_PORTS[text];
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65_535) {
    throw new Error(
      `"${text}" is not a port: use a number 0-65535, a range (5000:5010), or one of ${Object.keys(SERVICE_PORTS).join(", ")}`,
    );
  }
  return value;
}

function checkRange(from: number, to: number, text: string): PortRange {
  for (const port of [from, to]) {
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`"${text}": ports are 0-65535`);
  }
  if (from > to) throw new Error(`"${text}": a range goes from the lower port to the higher one`);
  return { from, to };
}

/** A parsed `filter = name[arg=value, ...]`. */
export interface FilterReference {
  readonly name: string;
  readonly mode?: SshdMode;
  /** Arguments other than `mode`, which cloudjail ignores. */
  readonly otherArguments: readonly string[];
}

/** Parses `sshd`, `sshd[mode=aggressive]`, `sshd[mode="extra", logtype=journal]`. */
export function parseFilterReference(text: string): FilterReference {
  const match = /^([\w.@-]+)\s*(?:\[(.*)\])?$/s.exec(text.trim());
  if (!match)
    throw new Error(`"${text}" is not a filter: write a name such as sshd, or sshd[mode=aggressive]`);
  let mode: SshdMode | undefined;
  const otherArguments: string[] = [];
  for (const argument of splitArguments(match[2] ?? "")) {
    const [key, ...rest] = argument.split("=");
    const value = rest
      .join("=")
      .trim()
      .replace(/^(["'])(.*)\1$/, "$2");
    const name = key.trim().toLowerCase();
    // Other filters have modes of their own (postfix[mode=more]); only sshd's are read, and only for sshd.
    if (name === "mode" && match[1].toLowerCase().startsWith("sshd")) mode = parseMode(value);
    else if (name !== "mode") otherArguments.push(argument);
  }
  return { name: match[1].toLowerCase(), mode, otherArguments };
}

function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quote: string | undefined;
  for (const character of text) {
    if (quote) {
      if (character === quote) quote = undefined;
    } else if (character === '"' || character === "'") quote = character;
    else if (character === ",") {
      parts.push(current.trim());
      current = "";
      continue;
    }
    current += character;
  }
  if (current.trim() !== "") parts.push(current.trim());
  return parts.filter(Boolean);
}

/** An sshd filter mode. */
export function parseMode(text: string): SshdMode {
  const value = text.trim().toLowerCase();
  if ((SSHD_MODES as readonly string[]).includes(value)) return value as SshdMode;
  throw new Error(`"${text}" is not an sshd mode: use ${SSHD_MODES.join(", ")}`);
}

/** `share = local | organization`; a near miss (`organisation`, `org`) gets a did-you-mean. */
export function parseShare(text: string): JailShare {
  const value = text.trim().toLowerCase();
  if ((JAIL_SHARES as readonly string[]).includes(value)) return value as JailShare;
  const suggestion =
    value === "org" || value === "orga" ? '; did you mean "organization"?' : didYouMean(value, JAIL_SHARES);
  throw new Error(
    `"${text}" is not a share: use local (this account only) or organization (every member account)${suggestion}`,
  );
}

/** Splits a multi-line `failregex`/`ignoreregex` value into its patterns (one per line). */
export function splitPatterns(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}
