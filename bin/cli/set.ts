import type { Command } from "commander";
import { didYouMean } from "../../lambda/core/config-suggestion";
import { UsageError } from "./errors";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, operatorArguments, withOperatorOptions } from "./operator-options";

interface SetOptions extends OperatorOptions {
  readonly force?: boolean;
}

/** What `set <jail> ...` does, as fail2ban-client names it. */
export const SET_KEYS = ["banip", "unbanip", "addignoreip", "delignoreip"] as const;

/**
 * `cloudjail set <jail> banip <ip>` / `set <jail> unbanip <ip...>` / `set <jail> addignoreip|delignoreip <ip|cidr>`:
 * fail2ban-client's words for `cloudjail ban <jail> <ip>`, `cloudjail unban --jail <jail> <ip...>` and `cloudjail
 * ignore add|remove <ip|cidr> --jail <jail>`. They are those commands, run with the same options, so
 * they print and end the same way. Settings cannot be set here: they deploy with the stack (`cloudjail reload`).
 */
export function registerSet(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("set")
      .description(
        "ban, unban or allow in a jail, like fail2ban-client set <jail> banip|unbanip|addignoreip|delignoreip",
      )
      .argument("<jail>", "the jail, e.g. sshd")
      .argument("<key>", SET_KEYS.join(" | "))
      .argument("<ip...>", "the addresses (banip: one)")
      .option("--force", "banip: ban even an address the jail's ignoreip protects"),
  ).action(async (jail: string, key: string, ips: string[], options: SetOptions) => {
    const common = operatorArguments(options);
    if (key === "banip") {
      if (ips.length > 1) throw new UsageError("set <jail> banip takes one address at a time");
      const force = options.force === true ? ["--force"] : [];
      return runCommand(program, deps, "ban", [jail, ...ips, ...force, ...common]);
    }
    if (options.force === true) throw new UsageError("--force is for banip only");
    if (key === "unbanip") return runCommand(program, deps, "unban", ["--jail", jail, ...ips, ...common]);
    if (key === "addignoreip" || key === "delignoreip") {
      if (ips.length > 1) throw new UsageError(`set <jail> ${key} takes one address or CIDR at a time`);
      const verb = key === "addignoreip" ? "add" : "remove";
      return runCommand(program, deps, "ignore", [verb, ...ips, "--jail", jail, ...common]);
    }
    throw new UsageError(
      `cannot set "${key}" here: ${SET_KEYS.slice(0, -1).join(", ")} and ${SET_KEYS.at(-1)} only${didYouMean(key, SET_KEYS)}; ` +
        "a jail's settings deploy with the stack (see cloudjail reload)",
    );
  });
}

/** Runs the program's `ban` or `unban` command on `args`, registering it first when the CLI loaded `set` alone. */
async function runCommand(
  program: Command,
  deps: OperatorDeps | undefined,
  name: "ban" | "unban" | "ignore",
  args: string[],
): Promise<void> {
  let command = program.commands.find((each) => each.name() === name);
  if (command === undefined) {
    if (name === "ban") (await import("./ban")).registerBan(program, deps);
    else if (name === "unban") (await import("./unban")).registerUnban(program, deps);
    else (await import("./ignore")).registerIgnore(program, deps);
    command = program.commands.find((each) => each.name() === name);
  }
  await command?.parseAsync(args, { from: "user" });
}
