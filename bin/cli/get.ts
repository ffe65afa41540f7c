import type { Command } from "commander";
import { didYouMean } from "../../lambda/core/config-suggestion";
import type { JailConfig } from "../../lambda/core/types";
import { UsageError } from "./errors";
import { requireIp } from "./ip-argument";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, withOperatorOptions } from "./operator-options";

/** What `get <jail> ...` answers, as fail2ban-client names it. */
export const GET_KEYS = ["banned", "bantime", "findtime", "maxretry", "ignoreip"] as const;
type GetKey = (typeof GET_KEYS)[number];

/**
 * `cloudjail get <jail> banned|bantime|findtime|maxretry|ignoreip`: fail2ban-client's getters, answered from the
 * deployed stack (its configuration, and its table for `banned`) and printed as fail2ban-client prints them: times
 * in seconds (`-1` for a permanent bantime), ignoreip as its `|-` list, `banned` as the jail's banned addresses on
 * one line, or with addresses, `1` or `0` for each.
 */
export function registerGet(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("get")
      .description("read a jail's setting or bans, like fail2ban-client get <jail> ...")
      .argument("<jail>", "the jail, e.g. sshd")
      .argument("<key>", GET_KEYS.join(" | "))
      .argument("[ip...]", "with banned: only these addresses (1 if banned in the jail, else 0)"),
  ).action(async (jailName: string, keyText: string, ipTexts: string[], options: OperatorOptions) => {
    const key = requireKey(keyText);
    if (key !== "banned" && ipTexts.length > 0) {
      throw new UsageError(`get <jail> ${key} takes no address (only "banned" does)`);
    }
    const ips = ipTexts.map(requireIp);
    const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
    const { requireJail } = await import("./stack");
    return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
      const jail = requireJail(context.stack.config, jailName);
      if (key === "ignoreip") {
        // The configured list, then the runtime allowlist's entries for this jail (cloudjail ignore add).
        const { Allowlist } = await import("../../lambda/aws/allowlist");
        const runtime = (
          await new Allowlist(context.documents, context.stack.tableName).list(Math.floor(context.now / 1000))
        ).filter(
          (entry) => entry.scope === "ignore" && (entry.jail === undefined || entry.jail === jail.name),
        );
        if (context.json) writeJson(context, { jail: jail.name, ignoreip: jail.ignoreip, runtime });
        else
          context.write(
            `${ignoreText(
              jail.ignoreip,
              runtime.map((entry) => entry.cidr),
            )}\n`,
          );
        return;
      }
      if (key !== "banned") {
        if (context.json) writeJson(context, { jail: jail.name, [key]: jail[key] });
        else context.write(`${settingText(jail, key)}\n`);
        return;
      }
      const { lookUpBans } = await import("./jail-status");
      const { CloudjailStore } = await import("../../lambda/aws/store");
      const store = new CloudjailStore(context.documents, context.stack.tableName);
      const { bans } = await lookUpBans(store, ips);
      const banned = bans.filter((ban) => ban.jail === jail.name).map((ban) => ban.ip);
      if (ips.length === 0) {
        if (context.json) writeJson(context, { jail: jail.name, banned });
        else context.write(`${banned.join(" ")}\n`);
        return;
      }
      const answers = [...new Set(ips)].map((ip) => ({ ip, banned: banned.includes(ip) }));
      if (context.json) writeJson(context, { jail: jail.name, addresses: answers });
      else context.write(answers.map((answer) => `${answer.banned ? 1 : 0}\n`).join(""));
    });
  });
}

function requireKey(text: string): GetKey {
  const key = GET_KEYS.find((each) => each === text);
  if (key === undefined) {
    throw new UsageError(
      `cannot get "${text}" of a jail: one of ${GET_KEYS.join(", ")}${didYouMean(text, GET_KEYS)}`,
    );
  }
  return key;
}

/** One setting as fail2ban-client prints it. */
export function settingText(jail: JailConfig, key: Exclude<GetKey, "banned">): string {
  if (key !== "ignoreip") return String(jail[key]);
  return ignoreText(jail.ignoreip, []);
}

/** The ignore list as fail2ban-client prints it: the configured ranges, then the runtime allowlist's (marked). */
export function ignoreText(configured: readonly string[], runtime: readonly string[]): string {
  const all = [...configured, ...runtime.map((cidr) => `${cidr} (runtime allowlist)`)];
  const [last, ...others] = all.reverse();
  if (last === undefined) return "No IP address/network is ignored";
  return [
    "These IP addresses/networks are ignored:",
    ...others.reverse().map((ip) => `|- ${ip}`),
    `\`- ${last}`,
  ].join("\n");
}
