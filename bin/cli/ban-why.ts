import { formatDuration } from "../../lambda/core/duration";
import type { BanView } from "./jail-status";
import { formatTime } from "./table-format";

/**
 * The text of `cloudjail banned <ip> --why`: one block per ban with what the table stored about it (the ban's
 * record, store-items.ts ActiveBan): the jail and reason, the failures with their times, the instances they came
 * from, the lines as stored (capped), the ban number and how its length was computed.
 */
export function formatBanWhy(ban: BanView): string {
  const { why } = ban;
  const length = why.seconds < 0 ? "permanent" : formatDuration(why.seconds);
  const rows: [string, string][] = [
    ["Jail", ban.jail],
    ["Reason", ban.reason],
    ["Ban", `#${ban.banNumber} (${earlierBans(ban.banNumber - 1)} counted for bantime.increment)`],
    ["Length", why.lengthRule === undefined ? length : `${length}: ${why.lengthRule}`],
    ["Banned at", formatTime(ban.bannedAt)],
    ["Ends", formatTime(ban.endsAt)],
    [
      "State",
      ban.coveredBy === undefined ? ban.state : `${ban.state}, held by the covering entry ${ban.coveredBy}`,
    ],
    [
      "Failures",
      why.failureTimes.length === 0
        ? `${ban.failures} (no failure times stored: a manual ban, or one recorded before they were kept)`
        : `${ban.failures}: ${why.failureTimes.map(formatTime).join(", ")}`,
    ],
    ["Instances", why.instanceIds.join(", ") || "-"],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  const lines = [
    `${ban.ip}`,
    ...rows.map(([label, value]) => `  ${`${label}:`.padEnd(width)} ${value}`),
    `  Lines (${why.lines.length} stored, as sshd wrote them, capped):`,
    ...(why.lines.length === 0 ? ["    -"] : why.lines.map((line) => `    ${line}`)),
    "",
  ];
  return lines.join("\n");
}

function earlierBans(count: number): string {
  return `${count} earlier ban${count === 1 ? "" : "s"}`;
}
