/**
 * Reads a fail2ban filter file's `[Definition]` section: its `failregex` and `ignoreregex`, each a list with one
 * pattern per line (continuation lines are indented, as in filter.d/*.conf). Only what `--filter <path>` needs;
 * fail2ban's `[INCLUDES]` and `%(name)s` interpolation (except `%(__prefix_line)s`) are not supported, and the
 * custom filter compiler rejects patterns that use them.
 */
export interface FilterFile {
  readonly failregex: readonly string[];
  readonly ignoreregex: readonly string[];
}

export function parseFilterFile(text: string): FilterFile {
  const lists: Record<"failregex" | "ignoreregex", string[]> = { failregex: [], ignoreregex: [] };
  let section = "";
  let current: string[] | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header !== null && !/^\s/.test(raw)) {
      section = (header[1] as string).trim();
      current = undefined;
      continue;
    }
    if (/^\s/.test(raw)) {
      current?.push(trimmed);
      continue;
    }
    current = undefined;
    const option = /^([A-Za-z_.]+)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (section !== "Definition" || option === null) continue;
    const name = option[1] as string;
    if (name === "failregex" || name === "ignoreregex") {
      current = lists[name];
      current.length = 0;
      const value = (option[2] as string).trim();
      if (value !== "") current.push(value);
    }
  }
  return lists;
}
