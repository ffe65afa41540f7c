/**
 * fail2ban's time values: plain seconds (`3600`), or abbreviations summed left to right
 * (`10m`, `24h`, `1d12h`, `1w`, `1mo`, `1y`, also `10 min`, `2 hours`). `-1` is "forever" where allowed.
 * The one duration parser in cloudjail.
 */

const UNIT_SECONDS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(?:y|years?|yy)$/, 365 * 86_400],
  [/^(?:mo|months?)$/, 30 * 86_400],
  [/^(?:w|weeks?|ww)$/, 7 * 86_400],
  [/^(?:d|days?|dd)$/, 86_400],
  [/^(?:h|hours?|hh)$/, 3_600],
  [/^(?:m|mi|mins?|minutes?|mm)$/, 60],
  [/^(?:s|secs?|seconds?|ss)?$/, 1],
];

const TERM = /(\d+(?:\.\d+)?)\s*([a-z]*)/gy;

/** Parses a fail2ban duration into seconds; throws with a message that says what is valid. */
export function parseDuration(text: string): number {
  const value = text.trim().toLowerCase();
  if (value === "-1") return -1;
  if (value === "") throw new Error(durationError(text));
  if (/^\d+(?:\.\d+)?$/.test(value)) return Number(value);
  let total = 0;
  let position = 0;
  TERM.lastIndex = 0;
  for (;;) {
    while (value[position] === " ") position++;
    if (position >= value.length) break;
    TERM.lastIndex = position;
    const match = TERM.exec(value);
    if (!match) throw new Error(durationError(text));
    const unit = UNIT_SECONDS.find(([pattern]) => pattern.test(match[2]));
    if (!unit) throw new Error(durationError(text));
    total += Number(match[1]) * unit[1];
    position = TERM.lastIndex;
  }
  return total;
}

function durationError(text: string): string {
  return `"${text}" is not a duration: use seconds (3600) or fail2ban's abbreviations (10m, 24h, 1d12h, 1w), or -1 for permanent`;
}

/** Renders seconds the way an admin would write them back: `1h`, `1d12h`, `permanent`. */
export function formatDuration(seconds: number): string {
  if (seconds < 0) return "permanent";
  if (seconds === 0) return "0s";
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [label, size] of [
    ["w", 604_800],
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${label}`);
      rest %= size;
    }
  }
  return parts.join("");
}
