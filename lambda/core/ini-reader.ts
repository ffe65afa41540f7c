import { ConfigError } from "./config-error";

/**
 * A reader for fail2ban's INI dialect (Python configparser as fail2ban sets it up): `[section]` headers,
 * `key = value` or `key: value`, option names case-insensitive, continuation lines indented, full-line comments
 * starting with `#` or `;`, inline comments after white space (` #`, ` ;`), `%(name)s` interpolation from the
 * same section or `[DEFAULT]`. Pure: takes the text, never the file.
 */

/** One `key = value` as written, before interpolation. */
export interface IniEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based line of the key. */
  readonly line: number;
}

/** A section; a repeated section merges into the first, a repeated key replaces the earlier one. */
export interface IniSection {
  readonly name: string;
  readonly line: number;
  readonly entries: Map<string, IniEntry>;
}

/** The parsed file: `[DEFAULT]` (possibly empty) and the other sections in file order. */
export interface IniDocument {
  readonly fileName: string;
  readonly defaults: IniSection;
  readonly sections: readonly IniSection[];
}

const HEADER = /^\[([^\]]*)\]$/;
const INLINE_COMMENT = /\s[#;].*$/;
const MAX_INTERPOLATION_DEPTH = 10;

/** Parses the text; throws ConfigError naming `file:line` for a line that is neither header, option nor comment. */
export function readIni(text: string, fileName: string): IniDocument {
  const defaults: IniSection = { name: "DEFAULT", line: 0, entries: new Map() };
  const sections: IniSection[] = [];
  let section: IniSection | undefined;
  let open: { key: string; lines: string[]; line: number } | undefined;

  const close = () => {
    if (open && section)
      section.entries.set(open.key, { key: open.key, value: open.lines.join("\n"), line: open.line });
    open = undefined;
  };

  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmedEnd = raw.trimEnd();
    const trimmed = trimmedEnd.trimStart();
    if (trimmed === "") {
      close();
      return;
    }
    if (trimmed.startsWith("#") || trimmed.startsWith(";")) return;
    if (open && /^\s/.test(trimmedEnd)) {
      const continued = stripInlineComment(trimmed);
      if (continued !== "") open.lines.push(continued);
      return;
    }
    close();
    const header = HEADER.exec(trimmed);
    if (header) {
      const name = header[1].trim();
      if (name === "") throw new ConfigError(`${fileName}:${line}: empty section name "[]"`);
      section = name === "DEFAULT" ? defaults : findOrAdd(sections, name, line);
      return;
    }
    const delimiter = trimmed.search(/[=:]/);
    if (delimiter <= 0) {
      throw new ConfigError(
        `${fileName}:${line}: cannot read "${trimmed}": expected "option = value", a [section] header, or a comment (# or ;)`,
      );
    }
    if (!section) {
      throw new ConfigError(
        `${fileName}:${line}: option "${trimmed.slice(0, delimiter).trim()}" appears before any [section] header; put it under [DEFAULT] or a jail`,
      );
    }
    const key = trimmed.slice(0, delimiter).trim().toLowerCase();
    const value = stripInlineComment(trimmed.slice(delimiter + 1).trim());
    open = { key, lines: value === "" ? [] : [value], line };
  });
  close();
  return { fileName, defaults, sections };
}

function findOrAdd(sections: IniSection[], name: string, line: number): IniSection {
  const existing = sections.find((candidate) => candidate.name === name);
  if (existing) return existing;
  const created: IniSection = { name, line, entries: new Map() };
  sections.push(created);
  return created;
}

function stripInlineComment(value: string): string {
  return value.replace(INLINE_COMMENT, "").trimEnd();
}

/** Where an option of a section comes from: the section itself or `[DEFAULT]`. */
export function lookup(document: IniDocument, section: IniSection, key: string): IniEntry | undefined {
  return section.entries.get(key) ?? document.defaults.entries.get(key);
}

/**
 * The value of `key` in `section` (or `[DEFAULT]`), with `%(name)s` references expanded from the same section or
 * `[DEFAULT]` (`%(__name__)s` is the section name, `%(known/name)s` the `[DEFAULT]` value, `%%` a percent sign).
 * Only the options cloudjail uses are expanded, so references into files cloudjail does not read (paths-*.conf)
 * in ignored options do no harm.
 */
export function interpolated(
  document: IniDocument,
  section: IniSection,
  key: string,
  /** Leave references to undefined options as written (fail2ban's `%(__prefix_line)s` in a failregex). */
  keepUndefined = false,
): IniEntry | undefined {
  const entry = lookup(document, section, key);
  if (!entry) return undefined;
  return { ...entry, value: expand(document, section, entry, entry.value, 0, keepUndefined) };
}

function expand(
  document: IniDocument,
  section: IniSection,
  origin: IniEntry,
  value: string,
  depth: number,
  keepUndefined: boolean,
): string {
  if (depth > MAX_INTERPOLATION_DEPTH) {
    throw new ConfigError(
      `${document.fileName}:${origin.line}: "${origin.key}" refers to itself through %(...)s references (loop)`,
    );
  }
  return value.replace(/%%|%\(([^)]*)\)s/g, (match, name: string | undefined) => {
    if (match === "%%") return "%";
    const reference = (name ?? "").trim().toLowerCase();
    if (reference === "__name__") return section.name;
    const known = reference.startsWith("known/");
    const target = known
      ? document.defaults.entries.get(reference.slice("known/".length))
      : lookup(document, section, reference);
    if (!target) {
      if (keepUndefined) return match;
      throw new ConfigError(
        `${document.fileName}:${origin.line}: "${origin.key}" refers to %(${name})s, which is not defined in [${section.name}] or [DEFAULT]`,
      );
    }
    return expand(document, section, origin, target.value, depth + 1, keepUndefined);
  });
}
