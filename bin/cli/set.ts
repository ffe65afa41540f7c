import type { Command } from "commander";
import { didYouMean } from "../../lambda/core/config-suggestion";
import { UsageError } from "./errors";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, operatorArguments, withOperatorOptions } from "./operator-options";

interface SetOptions extends OperatorOptions {
  readonly force?: boolean;
}

/** What `set <jail> ...` does, as fail2ban-client names it. */
export const SET_KEYS = ["banip", "unbanip"] as const;

/**
 * `cloudjail set <jail> banip <ip>` / `set <jail> unbanip <ip...>`: fail2ban-client's words for `cloudjail ban
 * <jail> <ip>` and `cloudjail unban --jail <jail> <ip...>`. They are those commands, run with the same options, so
 * they print and end the same way. Settings cannot be set here: they deploy with the stack (`cloudjail reload`).
 */
export function registerSet(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("set")
      .description("ban or unban in a jail, like fail2ban-client set <jail> banip|unbanip <ip>")
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
    throw new UsageError(
      `cannot set "${key}" here: ${SET_KEYS.join(" and ")} only${didYouMean(key, SET_KEYS)}; ` +
        "a jail's settings deploy with the stack (see cloudjail reload)",
    );
  });
}

/** Runs the program's `ban` or `unban` command on `args`, registering it first when the CLI loaded `set` alone. */
async function runCommand(
  program: Command,
  deps: OperatorDeps | undefined,
  name: "ban" | "unban",
  args: string[],
): Promise<void> {
  let command = program.commands.find((each) => each.name() === name);
  if (command === undefined) {
    if (name === "ban") (await import("./ban")).registerBan(program, deps);
    else (await import("./unban")).registerUnban(program, deps);
    command = program.commands.find((each) => each.name() === name);
  }
  await command?.parseAsync(args, { from: "user" });
}
