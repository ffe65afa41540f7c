import type { Command } from "commander";
import { requireIp } from "./ip-argument";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, withOperatorOptions } from "./operator-options";

interface BannedOptions extends OperatorOptions {
  readonly why?: boolean;
}

import { formatBanWhy } from "./ban-why";
import { banJson, formatBanTable } from "./status-view";

/**
 * `cloudjail banned [ip...]`: what is banned, in which jail, in which NACLs, until when. Without addresses it
 * lists every active ban (from the bans-by-end index, no scan); with addresses, it answers for each of them.
 * `--why` prints the evidence stored with each ban (ban-why.ts); `--json` always carries it, under `why`.
 */
export function registerBanned(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("banned")
      .description("list active bans: address, jail, NACL entries, end")
      .argument("[ip...]", "only these addresses (IPv4 or IPv6)")
      .option(
        "--why",
        "for each ban: its failures and their times, instances, lines, ban number and length rule",
      ),
  ).action(async (ips: string[], options: BannedOptions) => {
    const wanted = ips.map(requireIp);
    const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
    const { lookUpBans } = await import("./jail-status");
    const { CloudjailStore } = await import("../../lambda/aws/store");
    return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
      const store = new CloudjailStore(context.documents, context.stack.tableName);
      const { bans, notBanned } = await lookUpBans(store, wanted);
      if (context.json) {
        writeJson(context, { bans: bans.map(banJson), ...(wanted.length > 0 ? { notBanned } : {}) });
        return;
      }
      if (options.why === true) {
        for (const ban of bans) context.write(formatBanWhy(ban));
        for (const ip of notBanned) context.write(`${ip} is not banned\n`);
        if (bans.length + notBanned.length === 0) context.write("no address is banned\n");
        return;
      }
      context.write(
        formatBanTable(bans, wanted.length > 0 ? "none of these addresses is banned" : undefined),
      );
      if (bans.length > 0) for (const ip of notBanned) context.write(`${ip} is not banned\n`);
    });
  });
}
