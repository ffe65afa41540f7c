import { type Command, Option } from "commander";

/**
 * The options every operator command (`status`, `banned`, `ban`, `unban`) accepts. Kept apart from operator.ts so
 * that registering the commands loads no AWS SDK: `cloudjail test-filter` and `--help` start without it.
 */
export interface OperatorOptions {
  /** Named profile of `~/.aws/config` / `~/.aws/credentials`; the SDK's `AWS_PROFILE` otherwise. */
  readonly profile?: string;
  /** Region; the SDK's `AWS_REGION` / profile region otherwise. */
  readonly region?: string;
  readonly stack?: string;
  readonly json?: boolean;
  /** Hidden: a JSON stack description `{ stackName, tableName, config }` used instead of CloudFormation. */
  readonly stackFile?: string;
}

/** Adds `--stack`, `--profile`, `--region`, `--json` (and the hidden `--stack-file`) to a command. */
export function withOperatorOptions(command: Command): Command {
  return command
    .option(
      "--stack <name>",
      'the deployed stack (default: cdk.json\'s "cloudjail:stackName", else Cloudjail)',
    )
    .option("--profile <name>", "AWS profile (default: the standard credential chain, AWS_PROFILE)")
    .option("--region <region>", "AWS region (default: AWS_REGION or the profile's region)")
    .option("--json", "print JSON for scripts instead of tables")
    .addOption(new Option("--stack-file <path>", "stack description instead of CloudFormation").hideHelp());
}

/** The command-line arguments that give `options` to another operator command (how `set` hands on to `ban`). */
export function operatorArguments(options: OperatorOptions): string[] {
  const given: [string, string | undefined][] = [
    ["--stack", options.stack],
    ["--profile", options.profile],
    ["--region", options.region],
    ["--stack-file", options.stackFile],
  ];
  return [
    ...given.flatMap(([flag, value]) => (value === undefined ? [] : [flag, value])),
    ...(options.json === true ? ["--json"] : []),
  ];
}
