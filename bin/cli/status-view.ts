import type { BanView, JailStatus } from "./jail-status";
import { formatTable, formatTime } from "./table-format";

/**
 * The text of `cloudjail status`, laid out like `fail2ban-client status` so that an admin's eyes (and greps) find
 * the same lines: `|- Currently failed:<TAB>N`, `` `- Banned IP list:<TAB>...``.
 */

/** The overview: how many jails, which (sorted by name, as fail2ban's server lists them). */
export function formatOverview(jails: readonly Pick<JailStatus, "jail">[]): string {
  const names = jails.map((each) => each.jail).sort();
  return ["Status", `|- Number of jail:\t${names.length}`, `\`- Jail list:\t${names.join(", ")}`, ""].join(
    "\n",
  );
}

/** One jail's block; `logGroup` takes the place of fail2ban's "File list". */
export function formatJailStatus(status: JailStatus, logGroup: string | undefined): string {
  const filter = [
    `|  |- Currently failed:\t${status.currentlyFailed}`,
    `|  |- Total failed:\t${status.totalFailed}`,
  ];
  filter.push(`|  \`- Log group:\t${logGroup ?? "-"}`);
  return [
    `Status for the jail: ${status.jail}`,
    "|- Filter",
    ...filter,
    "`- Actions",
    `   |- Currently banned:\t${status.currentlyBanned}`,
    `   |- Total banned:\t${status.totalBanned}`,
    `   \`- Banned IP list:\t${status.bans.map((ban) => ban.ip).join(" ")}`,
    "",
  ].join("\n");
}

/** The bans as a table: address, when, until when, where (NACL id and rule number), and why. */
export function formatBanTable(bans: readonly BanView[], empty = "no address is banned"): string {
  return formatTable(
    [
      { heading: "IP" },
      { heading: "Jail" },
      { heading: "Banned at" },
      { heading: "Ends" },
      { heading: "Ban", align: "right" },
      { heading: "NACL entries" },
      { heading: "State" },
      { heading: "Reason" },
    ],
    bans.map((ban) => [
      ban.ip,
      ban.jail,
      formatTime(ban.bannedAt),
      formatTime(ban.endsAt),
      `#${ban.banNumber}`,
      naclEntriesText(ban),
      ban.state,
      ban.reason,
    ]),
    empty,
  );
}

/**
 * `acl-0abc#1, acl-0def#1` plus, for a pending ban, the NACLs still waiting for room; `held by 198.51.100.0/24` for
 * a ban a covering entry holds.
 */
export function naclEntriesText(ban: BanView): string {
  if (ban.coveredBy !== undefined) return `held by ${ban.coveredBy}`;
  const written = ban.naclEntries.map((entry) => `${entry.naclId}#${entry.ruleNumber}`);
  const waiting = Object.keys(ban.pending).map((naclId) => `${naclId} (pending)`);
  return [...written, ...waiting].join(", ") || "-";
}

/** A ban for `--json`: the same fields, times as ISO 8601 text (`endsAt` null for a permanent ban). */
export function banJson(ban: BanView) {
  return {
    ...ban,
    bannedAt: new Date(ban.bannedAt).toISOString(),
    endsAt: iso(ban.endsAt),
    why: { ...ban.why, failureTimes: ban.why.failureTimes.map((at) => new Date(at).toISOString()) },
  };
}

function iso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}
