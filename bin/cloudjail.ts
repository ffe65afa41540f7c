import { Command, CommanderError } from "commander";
import { registerBan } from "./cli/ban";
import { registerBanned } from "./cli/banned";
import { registerDemo } from "./cli/demo";
import { EXIT, UsageError } from "./cli/errors";
import { registerReplay } from "./cli/replay";
import { registerStatus } from "./cli/status";
import { registerTestFilter } from "./cli/test-filter";
import { registerUnban } from "./cli/unban";

const program = new Command("cloudjail")
  .description("fail2ban for AWS fleets: test filters and replay logs locally, operate a deployed stack")
  .version(require("../package.json").version)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) })
  .showHelpAfterError("(run with --help for usage)");

// Each command lives in bin/cli/<name>.ts and registers itself here.
const registrations: Array<(program: Command) => void> = [
  registerTestFilter,
  registerReplay,
  registerStatus,
  registerBanned,
  registerBan,
  registerUnban,
  registerDemo,
];
for (const register of registrations) register(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`cloudjail: ${error.message}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  process.stderr.write(`cloudjail: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = EXIT.failed;
});
