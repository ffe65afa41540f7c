import type { Command } from "commander";
import type { LiftResult } from "../../lambda/aws/ban-service";
import type { IpRecord } from "../../lambda/aws/store-items";
import { UsageError } from "./errors";
import { requireIp } from "./ip-argument";
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
 * `cloudjail unban <ip...>` / `cloudjail unban --all`: lifts bans now, through the runtime's ban path: the IP
 * record first, then each NACL entry whose rule-slot lease still names the ban, then the lease. `--jail J` lifts
 * only J's bans (fail2ban-client's `set <jail> unbanip`) and leaves an address another jail banned as it is.
 */
export function registerUnban(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("unban")
      .description("lift bans now: NACL entries and records removed, not at the next unbanner run")
      .argument("[ip...]", "addresses to unban (IPv4 or IPv6)")
      .option("--all", "lift every active ban")
      .option("--jail <jail>", "only bans of this jail (as fail2ban-client's set <jail> unbanip)"),
  ).action(async (ipTexts: string[], options: UnbanOptions) => {
    if (options.all === true && ipTexts.length > 0) throw new UsageError("give addresses or --all, not both");
    if (options.all !== true && ipTexts.length === 0)
      throw new UsageError("give the addresses to unban, or --all");
    const ips = [...new Set(ipTexts.map(requireIp))];
    // The AWS SDK and the runtime load when the command runs, not at every start of the CLI.
    const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
    const { createOperatorRuntime } = await import("./ban-path");
    const { requireJail } = await import("./stack");
    return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
      const jail =
        options.jail === undefined ? undefined : requireJail(context.stack.config, options.jail).name;
      const runtime = createOperatorRuntime(context);
      const records: IpRecord[] = [];
      const notBanned: string[] = [];
      if (options.all === true) {
        for await (const record of runtime.store.activeBans()) records.push(record);
      } else {
        for (const ip of ips) {
          const record = await runtime.store.getRecord(ip);
          if (record?.ban === undefined) notBanned.push(ip);
          else records.push(record);
        }
      }
      const unbanned: Unbanned[] = [];
      const otherJails: { ip: string; jail: string }[] = [];
      for (const record of records) {
        const ban = record.ban;
        if (ban === undefined) continue;
        if (jail !== undefined && ban.jail !== jail) {
          if (options.all !== true) otherJails.push({ ip: record.ip, jail: ban.jail });
          continue;
        }
        const lifted = await runtime.bans.lift(record.ip, ban.banId, context.now);
        if (lifted === undefined) notBanned.push(record.ip);
        else unbanned.push(describe(lifted));
      }
      if (context.json) {
        writeJson(context, { unbanned, notBanned, ...(jail === undefined ? {} : { otherJails }) });
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
      for (const ip of notBanned) context.write(`${ip} is not banned\n`);
      for (const other of otherJails) {
        context.write(`${other.ip} is banned by the ${other.jail} jail, not ${jail}: left as it is\n`);
      }
    });
  });
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
