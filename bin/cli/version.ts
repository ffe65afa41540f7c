import type { Command } from "commander";
import type { OperatorDeps } from "./operator";

/** cloudjail's version, from its package.json. */
export const CLOUDJAIL_VERSION: string = (require("../../package.json") as { version: string }).version;

/**
 * `cloudjail version`: fail2ban-client's `version`, the version alone on one line (`--json`: `{ "version" }`). It is
 * this checkout's: the stack records no version of its own, and its Lambdas are bundled from the same sources.
 */
export function registerVersion(program: Command, deps?: Pick<OperatorDeps, "write">): void {
  const write = deps?.write ?? ((text: string) => process.stdout.write(text));
  program
    .command("version")
    .description("print cloudjail's version (fail2ban-client version)")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) => {
      write(
        options.json === true
          ? `${JSON.stringify({ version: CLOUDJAIL_VERSION })}\n`
          : `${CLOUDJAIL_VERSION}\n`,
      );
    });
}
