import type { Command } from "commander";
import type { JailStatus } from "./jail-status";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, withOperatorOptions } from "./operator-options";
import { banJson, formatBanTable, formatJailStatus, formatOverview } from "./status-view";

interface StatusOptions extends OperatorOptions {
  readonly all?: boolean;
}

/**
 * `cloudjail status [jail]`: fail2ban-client's status of the deployed stack. With no jail, exactly its overview
 * (`Status`, `|- Number of jail:`, `` `- Jail list:``), so scripts written for fail2ban-client read it; `--all` adds
 * every jail's block; with a jail, its block (currently/total failed and banned, banned IPs) and its bans with their
 * ends and NACL entries.
 */
export function registerStatus(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("status")
      .description("show the jails of the deployed stack: failures and bans, like fail2ban-client status")
      .argument("[jail]", "one jail: adds its banned IPs with their ends and NACL entries")
      .option("--all", "with no jail: every jail's block after the overview"),
  ).action(async (jail: string | undefined, options: StatusOptions) => {
    // The AWS SDK loads when an operator command runs, not at every start of the CLI.
    const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
    const { scanState, summarizeJails } = await import("./jail-status");
    const { requireJail } = await import("./stack");
    return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
      const { config } = context.stack;
      const jails =
        jail === undefined ? config.jails.filter((each) => each.enabled) : [requireJail(config, jail)];
      if (jail === undefined && options.all !== true && !context.json) {
        // fail2ban-client's overview names the jails only: no need to read the table.
        context.write(formatOverview(jails.map((each) => ({ jail: each.name }))));
        return;
      }
      const state = await scanState(context.documents, context.stack.tableName);
      const statuses = summarizeJails(jails, state, context.now);
      if (context.json) {
        writeJson(context, {
          stack: context.stack.stackName,
          jails: statuses.map((status) => jsonOf(status, jail)),
        });
        return;
      }
      const logGroup = context.stack.logGroupName;
      if (jail === undefined) {
        context.write(
          [formatOverview(statuses), ...statuses.map((status) => formatJailStatus(status, logGroup))].join(
            "\n",
          ),
        );
        return;
      }
      for (const status of statuses) {
        context.write(
          `${formatJailStatus(status, logGroup)}\n${formatBanTable(status.bans, "no address is banned in this jail")}`,
        );
      }
    });
  });
}

/** The JSON form: the counters, the banned IPs, and with a jail named, the bans themselves. */
function jsonOf(status: JailStatus, jail: string | undefined) {
  const { bans, ...counters } = status;
  return {
    ...counters,
    bannedIps: bans.map((ban) => ban.ip),
    ...(jail === undefined ? {} : { bans: bans.map(banJson) }),
  };
}
