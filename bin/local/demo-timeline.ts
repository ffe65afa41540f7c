import type { NetworkAclEntry } from "@aws-sdk/client-ec2";
import { formatDuration } from "../../lambda/core/duration";
import type { BanView } from "../cli/jail-status";
import { formatTable } from "../cli/table-format";

/**
 * The demo's live timeline: one line per ban and unban at the simulated time it happened, followed by the NACL
 * entries written or removed with it. Pure text; the runner decides when to print.
 */

/** An ingress NACL entry as the demo shows it, keyed `naclId#ruleNumber`. */
export interface EntryView {
  readonly naclId: string;
  readonly ruleNumber: number;
  readonly action: string;
  readonly cidr: string;
  readonly ports: string;
}

/** `12:55:50`: the simulated time of the log (UTC), as a log reader sees it. */
export function clockText(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}

const GUTTER = " ".repeat(10);

/** `11:55:50  BAN    203.0.113.10     sshd  #1 for 1h, until 12:55:50  <reason>` */
export function banLine(at: number, ban: BanView): string {
  const length =
    ban.endsAt === null ? "permanently" : `for ${formatDuration((ban.endsAt - ban.bannedAt) / 1000)}`;
  const until = ban.endsAt === null ? "" : `, until ${clockText(ban.endsAt)}`;
  return `${clockText(at)}  BAN    ${ban.ip.padEnd(16)} ${ban.jail}  #${ban.banNumber} ${length}${until}  ${ban.reason}\n`;
}

/** `12:56:00  UNBAN  203.0.113.10     sshd  ban #1 ended 12:55:50` */
export function unbanLine(at: number, ban: BanView): string {
  const ended = ban.endsAt === null ? "lifted" : `ended ${clockText(ban.endsAt)}`;
  return `${clockText(at)}  UNBAN  ${ban.ip.padEnd(16)} ${ban.jail}  ban #${ban.banNumber} ${ended}\n`;
}

/** `          PENDING acl-0abc: <reason>` for a ban a NACL had no room for. */
export function pendingLines(ban: BanView): string {
  return Object.entries(ban.pending)
    .map(([naclId, reason]) => `${GUTTER}PENDING ${naclId}: ${reason}\n`)
    .join("");
}

/** The NACL entries that appeared (`+`) and disappeared (`-`) between two snapshots. */
export function entryChanges(
  before: ReadonlyMap<string, EntryView>,
  after: ReadonlyMap<string, EntryView>,
): string {
  const lines: string[] = [];
  for (const [key, entry] of before) if (!after.has(key)) lines.push(entryLine("-", entry));
  for (const [key, entry] of after) if (!before.has(key)) lines.push(entryLine("+", entry));
  return lines.join("");
}

function entryLine(sign: "+" | "-", entry: EntryView): string {
  const verb = sign === "+" ? "written" : "removed";
  return `${GUTTER}${sign} ${entry.naclId} rule ${entry.ruleNumber}: ${entry.action} ${entry.cidr} ${entry.ports}  (${verb})\n`;
}

/** The ingress entries of NACLs as views, keyed `naclId#ruleNumber`. */
export function snapshotEntries(
  nacls: ReadonlyMap<string, readonly NetworkAclEntry[]>,
): Map<string, EntryView> {
  const views = new Map<string, EntryView>();
  for (const [naclId, entries] of nacls) {
    for (const entry of entries) {
      if (entry.Egress || entry.RuleNumber === undefined) continue;
      views.set(`${naclId}#${entry.RuleNumber}`, {
        naclId,
        ruleNumber: entry.RuleNumber,
        action: entry.RuleAction ?? "?",
        cidr: entry.CidrBlock ?? entry.Ipv6CidrBlock ?? "?",
        ports: portsText(entry),
      });
    }
  }
  return views;
}

/** The inbound rules of each NACL, as the VPC console lists them (the `*` default rule last). */
export function formatNaclTables(
  nacls: ReadonlyMap<string, readonly NetworkAclEntry[]>,
  vpcId: string,
): string {
  const parts: string[] = [];
  for (const [naclId, entries] of nacls) {
    const inbound = entries
      .filter((entry) => !entry.Egress)
      .sort((a, b) => (a.RuleNumber ?? 0) - (b.RuleNumber ?? 0));
    parts.push(
      `Network ACL ${naclId} (${vpcId}, simulated), inbound rules:\n` +
        formatTable(
          [
            { heading: "Rule", align: "right" },
            { heading: "Action" },
            { heading: "Source" },
            { heading: "Ports" },
          ],
          inbound.map((entry) => [
            entry.RuleNumber !== undefined && entry.RuleNumber >= 32767 ? "*" : String(entry.RuleNumber),
            (entry.RuleAction ?? "?").toUpperCase(),
            entry.CidrBlock ?? entry.Ipv6CidrBlock ?? "?",
            portsText(entry),
          ]),
          "no inbound rules",
        ),
    );
  }
  return parts.join("\n");
}

function portsText(entry: NetworkAclEntry): string {
  if (entry.Protocol === "-1" || entry.Protocol === undefined) return "all traffic";
  const protocol =
    entry.Protocol === "6" ? "tcp" : entry.Protocol === "17" ? "udp" : `proto ${entry.Protocol}`;
  const range = entry.PortRange;
  if (range?.From === undefined) return protocol;
  return range.From === range.To ? `${protocol}/${range.From}` : `${protocol}/${range.From}-${range.To}`;
}
