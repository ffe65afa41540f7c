/** One column of a terminal table: its heading and how its cells align. */
export interface Column {
  readonly heading: string;
  /** @default "left" */
  readonly align?: "left" | "right";
}

/**
 * Lays rows out as a plain-text table: a heading line, a rule of dashes, then one line per row, columns padded to
 * their widest cell and separated by two spaces. Cells are printed as given (no colour codes), trailing spaces are
 * trimmed, and an empty table says so instead of printing a lone heading.
 *
 * @example
 * formatTable([{ heading: "IP" }, { heading: "NACLs", align: "right" }], [["203.0.113.9", "2"]], "no bans")
 */
export function formatTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  empty: string,
): string {
  if (rows.length === 0) return `${empty}\n`;
  const widths = columns.map((column, index) =>
    Math.max(displayWidth(column.heading), ...rows.map((row) => displayWidth(row[index] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((column, index) => pad(cells[index] ?? "", widths[index] ?? 0, column.align ?? "left"))
      .join("  ")
      .trimEnd();
  const heading = line(columns.map((column) => column.heading));
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return `${[heading, rule, ...rows.map(line)].join("\n")}\n`;
}

function pad(text: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - displayWidth(text)));
  return align === "right" ? fill + text : text + fill;
}

/** Characters as a terminal shows them: code points, not UTF-16 units (user names may hold any text). */
function displayWidth(text: string): number {
  return [...text].length;
}

/** `2026-11-25 12:53:46Z`: a UTC time a person reads at a glance; "never" for a permanent ban's end. */
export function formatTime(epochMs: number | null | undefined): string {
  if (epochMs === null) return "never";
  if (epochMs === undefined || !Number.isFinite(epochMs)) return "-";
  return `${new Date(epochMs).toISOString().slice(0, 19).replace("T", " ")}Z`;
}
