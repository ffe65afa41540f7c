import type { Command } from "commander";
import type { LiftResult } from "../../lambda/aws/ban-service";
import type { CoverChange } from "../../lambda/aws/range-unban";
import type { IpRecord } from "../../lambda/aws/store-items";
import { UsageError } from "./errors";
import { requireIpOrCidr } from "./ip-argument";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, withOperatorOptions } from "./operator-options";
import { formatTable } from "./table-format";

interface UnbanOptions extends OperatorOptions {
  readonly all?: boolean;
  readonly jail?: string;
}

/** One lifted ban, for the table and `--json`. */
interface Unbanned {
  readonly ip: string;
  readonly jail: string;
  /** NACL entries removed, `acl-0abc#3`. */
  readonly removed: readonly string[];
  /** Entries the ban had that were no longer cloudjail's to remove (lease gone or taken over): left for reconcile. */
  readonly notRemoved: readonly string[];
}

/**
 * `cloudjail unban <ip|cidr...>` / `cloudjail unban --all`: lifts bans now, through the runtime's ban path: the IP
 * record first, then each NACL entry whose rule-slot lease still names the ban, then the lease. A CIDR lifts every
 * ban inside it. A covering entry (aggregation) that holds an address asked about is split around it
 * (lambda/aws/range-unban.ts), and the command says what became of the cover. `--jail J` lifts only J's bans
 * (fail2ban-client's `set <jail> unbanip`) and leaves an address another jail banned as it is.
 */
export function registerUnban(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("unban")
      .description(
        "lift bans now: NACL entries and records removed, covers split, not at the next unbanner run",
      )
      .argument("[ip...]", "addresses or CIDRs to unban (IPv4 or IPv6); a CIDR lifts every ban inside it")
      .option("--all", "lift every active ban")
      .option("--jail <jail>", "only bans of this jail (as fail2ban-client's set <jail> unbanip)"),
  ).action(async (texts: string[], options: UnbanOptions) => {
    if (options.all === true && texts.length > 0) throw new UsageError("give addresses or --all, not both");
    if (options.all !== true && texts.length === 0)
      throw new UsageError("give the addresses to unban, or --all");
    const ranges = [...new Set(texts.map(requireIpOrCidr))];
    // The AWS SDK and the runtime load when the command runs, not at every start of the CLI.
    const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
    const { createOperatorRuntime } = await import("./ban-path");
    const { requireJail } = await import("./stack");
    const { RangeUnban } = await import("../../lambda/aws/range-unban");
    const { allCoveredShards } = await import("../../lambda/aws/store-items");
    return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
      const jail =
        options.jail === undefined ? undefined : requireJail(context.stack.config, options.jail).name;
      const runtime = createOperatorRuntime(context);
      const unbanned: Unbanned[] = [];
      const notBanned: string[] = [];
      const otherJails: { ip: string; jail: string }[] = [];
      const covers: CoverChange[] = [];
      if (options.all === true) {
        // Covered bans too: they sit outside the active listing, in the COVERED#n partitions.
        const records: IpRecord[] = [];
        for await (const record of runtime.store.activeBans()) records.push(record);
        for await (const record of runtime.store.bansInShards(allCoveredShards())) records.push(record);
        for (const record of records) {
          if (record.ban === undefined || (jail !== undefined && record.ban.jail !== jail)) continue;
          const lifted = await runtime.bans.lift(record.ip, record.ban.banId, context.now);
          if (lifted !== undefined) unbanned.push(describe(lifted));
        }
      } else {
        const service = new RangeUnban({
          store: runtime.store,
          bans: runtime.bans,
          allowlist: runtime.allowlist,
          newAllocator: () => runtime.newAllocator(),
          aggregation: context.stack.config.nacl.aggregation !== undefined,
        });
        for (const range of ranges) {
          const report = await service.unban(range, context.now, jail);
          unbanned.push(...report.lifted.map(describe));
          otherJails.push(...report.otherJails);
          covers.push(...report.covers);
          if (report.lifted.length + report.covers.length + report.otherJails.length === 0)
            notBanned.push(range);
        }
      }
      if (context.json) {
        writeJson(context, { unbanned, notBanned, covers, ...(jail === undefined ? {} : { otherJails }) });
        return;
      }
      context.write(
        formatTable(
          [
            { heading: "Unbanned" },
            { heading: "Jail" },
            { heading: "NACL entries removed" },
            { heading: "Left" },
          ],
          unbanned.map((each) => [
            each.ip,
            each.jail,
            each.removed.join(", ") || "-",
            each.notRemoved.join(", "),
          ]),
          "nothing was unbanned",
        ),
      );
      for (const change of covers) context.write(coverText(change));
      for (const ip of notBanned) context.write(`${ip} is not banned\n`);
      for (const other of otherJails) {
        context.write(`${other.ip} is banned by the ${other.jail} jail, not ${jail}: left as it is\n`);
      }
    });
  });
}

/** `covering entry 198.51.100.0/24 split around 198.51.100.77: now 198.51.100.0/25, ...; pending: ...`. */
function coverText(change: CoverChange): string {
  const now = change.replacedBy.length === 0 ? "removed" : `now ${change.replacedBy.join(", ")}`;
  const pending =
    change.pending.length === 0
      ? ""
      : `; ${change.pending.length} neighbour${change.pending.length === 1 ? "" : "s"} pending (no room in the NACL, the unbanner places them when a slot frees): ${change.pending.join(", ")}`;
  return `covering entry ${change.cover} split around ${change.cut.join(", ")}: ${now}${pending}\n`;
}

function describe(lifted: LiftResult): Unbanned {
  const entries = Object.entries(lifted.ban.entries).sort(([a], [b]) => a.localeCompare(b));
  const text = ([naclId, ruleNumber]: [string, number]) => `${naclId}#${ruleNumber}`;
  return {
    ip: lifted.ip,
    jail: lifted.ban.jail,
    removed: entries.filter(([naclId]) => lifted.removed[naclId] !== undefined).map(text),
    notRemoved: entries.filter(([naclId]) => lifted.removed[naclId] === undefined).map(text),
  };
}
