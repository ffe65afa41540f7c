import type { Command } from "commander";
import { type JailStatus, scanState, summarizeJails } from "./jail-status";
import {
  type OperatorDeps,
  type OperatorOptions,
  REAL_OPERATOR_DEPS,
  runOperator,
  withOperatorOptions,
  writeJson,
} from "./operator";
import { requireJail } from "./stack";
import { banJson, formatBanTable, formatJailStatus, formatOverview } from "./status-view";

/**
 * `cloudjail status [jail]`: fail2ban-client's status of the deployed stack's jails (currently/total failed and
 * banned, banned IPs); with a jail, also its bans with their ends and NACL entries.
 */
export function registerStatus(program: Command, deps: OperatorDeps = REAL_OPERATOR_DEPS): void {
  withOperatorOptions(
    program
      .command("status")
      .description("show the jails of the deployed stack: failures and bans, like fail2ban-client status")
      .argument("[jail]", "one jail: adds its banned IPs with their ends and NACL entries"),
  ).action((jail: string | undefined, options: OperatorOptions) =>
    runOperator(options, deps, async (context) => {
      const { config } = context.stack;
      const jails =
        jail === undefined ? config.jails.filter((each) => each.enabled) : [requireJail(config, jail)];
      const { windows, records } = await scanState(context.documents, context.stack.tableName);
      const statuses = summarizeJails(jails, windows, records, context.now);
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
    }),
  );
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
