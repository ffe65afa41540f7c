import type { Command } from "commander";
import { denyPortRange } from "../../lambda/core/nacl-plan";
import { UsageError } from "./errors";
import { requireIp } from "./ip-argument";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, withOperatorOptions } from "./operator-options";
import { banJson, formatBanTable } from "./status-view";

interface BanOptions extends OperatorOptions {
  readonly force?: boolean;
}

/** Raised when the ban was recorded but some NACL had no room: the unbanner retries it every run. */
export class PendingBanError extends Error {
  override readonly name = "PendingBanError";
}

/**
 * `cloudjail ban <jail> <ip>`: a manual ban through the runtime's ban path, with the jail's bantime (and
 * bantime.increment from the address's history). An address in the jail's ignoreip or on the runtime allowlist is
 * refused unless `--force`.
 */
export function registerBan(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("ban")
      .description("ban an address now in the jail's NACLs, for the jail's bantime")
      .argument("<jail>", "the jail whose bantime applies, e.g. sshd")
      .argument("<ip>", "IPv4 or IPv6 address")
      .option("--force", "ban even an address the jail's ignoreip protects"),
  ).action(async (jailName: string, ipText: string, options: BanOptions) => {
    const ip = requireIp(ipText);
    // The AWS SDK and the runtime load when the command runs, not at every start of the CLI.
    const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
    const { createOperatorRuntime } = await import("./ban-path");
    const { hasEnded } = await import("../../lambda/aws/ban-service");
    const { decideBan } = await import("../../lambda/core/batch");
    const { isIgnored } = await import("../../lambda/core/policy");
    const { banView } = await import("./jail-status");
    const { requireJail } = await import("./stack");
    return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
      const { config } = context.stack;
      const jail = requireJail(config, jailName);
      if (options.force !== true && isIgnored(jail, ip)) {
        throw new UsageError(
          `${ip} is in the ${jail.name} jail's ignoreip (${jail.ignoreip.join(" ")}): not banned; ` +
            "pass --force to ban it anyway",
        );
      }
      const runtime = createOperatorRuntime(context);
      if (options.force !== true && (await runtime.allowed.matcher(context.now)).allows(jail.name, ip)) {
        throw new UsageError(
          `${ip} is on the runtime allowlist (cloudjail ignore list): not banned; pass --force to ban it anyway`,
        );
      }
      const existing = await runtime.store.getRecord(ip);
      if (existing?.ban !== undefined && !hasEnded(existing.ban, Math.floor(context.now / 1000))) {
        const ban = banView(existing);
        if (context.json)
          writeJson(context, { banned: false, alreadyBanned: ban ? banJson(ban) : undefined });
        else context.write(`${ip} is already banned\n${formatBanTable(ban ? [ban] : [])}`);
        return;
      }
      const { naclIds } = await runtime.resolver.resolve(undefined);
      if (naclIds.length === 0) {
        throw new UsageError(
          `the stack's configuration names no NACL to write into (nacl.vpcIds and nacl.naclIds are empty)`,
        );
      }
      // The jail alone: a manual ban in a jail takes that jail's bantime, never a recidive escalation.
      const decided = decideBan(jail, ip, existing, 0, [], [jail], context.now, Math.random);
      const decision = {
        ...decided,
        reason: `manual ban (cloudjail ban${options.force === true ? " --force" : ""})`,
      };
      const portRange = denyPortRange(jail.port, config.nacl.restrictToJailPorts);
      const imposed = await runtime.bans.impose(
        { ip, decision, failures: 0, lines: [], targets: naclIds, ...(portRange ? { portRange } : {}) },
        context.now,
        existing ?? null,
      );
      const record =
        imposed.imposed && imposed.record !== undefined
          ? await runtime.bans.enforce(imposed.record, runtime.newAllocator(), context.now)
          : imposed.record;
      const ban = record === undefined ? undefined : banView(record);
      if (context.json) writeJson(context, { banned: imposed.imposed, ban: ban ? banJson(ban) : undefined });
      else context.write(formatBanTable(ban ? [ban] : []));
      if (ban !== undefined && Object.keys(ban.pending).length > 0) {
        const reasons = Object.entries(ban.pending).map(([naclId, reason]) => `${naclId}: ${reason}`);
        throw new PendingBanError(
          `${ip} is banned but not yet in every NACL (${reasons.join("; ")}); the unbanner retries it every run`,
        );
      }
    });
  });
}
