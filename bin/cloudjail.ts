import type { Command as CommandType } from "commander";
import { Command, CommanderError } from "commander";
import { EXIT, UsageError } from "./cli/errors";

type Register = (program: CommandType) => void;

/**
 * Each command lives in bin/cli/<name>.ts and registers itself. Modules load on demand (`require` here, so that
 * both tsx and the esbuild bundle keep them lazy): `test-filter` on a million-line log should not pay for the AWS
 * SDK that `status` needs.
 */
const COMMANDS: Record<string, () => Register> = {
  "test-filter": () =>
    (require("./cli/test-filter") as typeof import("./cli/test-filter")).registerTestFilter,
  replay: () => (require("./cli/replay") as typeof import("./cli/replay")).registerReplay,
  status: () => (require("./cli/status") as typeof import("./cli/status")).registerStatus,
  banned: () => (require("./cli/banned") as typeof import("./cli/banned")).registerBanned,
  ban: () => (require("./cli/ban") as typeof import("./cli/ban")).registerBan,
  unban: () => (require("./cli/unban") as typeof import("./cli/unban")).registerUnban,
  ignore: () => (require("./cli/ignore") as typeof import("./cli/ignore")).registerIgnore,
  demo: () => (require("./cli/demo") as typeof import("./cli/demo")).registerDemo,
  fleet: () => (require("./cli/fleet") as typeof import("./cli/fleet")).registerFleet,
  doctor: () => (require("./cli/doctor") as typeof import("./cli/doctor")).registerDoctor,
  ping: () => (require("./cli/ping") as typeof import("./cli/ping")).registerPing,
  get: () => (require("./cli/get") as typeof import("./cli/get")).registerGet,
  set: () => (require("./cli/set") as typeof import("./cli/set")).registerSet,
  version: () => (require("./cli/version") as typeof import("./cli/version")).registerVersion,
  reload: () => (require("./cli/reload") as typeof import("./cli/reload")).registerReload,
};

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command("cloudjail")
    .description("fail2ban for AWS fleets: test filters and replay logs locally, operate a deployed stack")
    .version((require("./cli/version") as typeof import("./cli/version")).CLOUDJAIL_VERSION)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showHelpAfterError("(run with --help for usage)");
  const requested = argv[2];
  // A known command loads alone; anything else (help, a typo, no command) loads all, so help lists every command.
  const loaders =
    requested !== undefined && Object.hasOwn(COMMANDS, requested)
      ? [COMMANDS[requested]]
      : Object.values(COMMANDS);
  for (const load of loaders) load()(program);
  await program.parseAsync(argv);
}

main(process.argv).catch((error: unknown) => {
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
