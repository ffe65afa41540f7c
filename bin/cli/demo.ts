import { createReadStream, statSync } from "node:fs";
import * as path from "node:path";
import type { Readable } from "node:stream";
import type { Command } from "commander";
import { formatDuration } from "../../lambda/core/duration";
import { ProgressBar } from "../local/demo-progress";
import { UsageError } from "./errors";
import { configPath, loadConfig } from "./load-config";

/** The log `npm start` replays: real sshd lines captured for the repo by demo/capture.sh (63 minutes). */
export const DEFAULT_DEMO_LOG = path.resolve(__dirname, "../../demo/secure");
/**
 * The configuration the captured demo log runs with by default: config/jail.local plus the address the capture
 * plays the admin's office from (103.1.2.3), so that the demo shows ignoreip at work. A log of your own runs with
 * config/jail.local unless `--config` says otherwise.
 */
export const DEFAULT_DEMO_CONFIG = path.resolve(__dirname, "../../demo/jail.local");

interface DemoCommandOptions {
  readonly log?: string;
  readonly config?: string;
  readonly data?: string;
  readonly speed: string;
}

/**
 * `cloudjail demo`: what cloudjail would do to a log, with no AWS account. `npm start` runs it on the repo's
 * captured log. `--log -` reads standard input, so `tail -f /var/log/secure | cloudjail demo --log -` shows live
 * what would be banned (and protects nothing).
 */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "run the real responder and unbanner on a log, with a local DynamoDB and a simulated network ACL (no AWS account)",
    )
    .option(
      "--log <file>",
      'sshd log to replay; "-" reads standard input (default: demo/secure, captured for the repo)',
    )
    .option(
      "--config <file>",
      "jail configuration, jail.local or JSON (default: demo/jail.local for the demo log, else config/jail.local)",
    )
    .option(
      "--data <dir>",
      "keep DynamoDB's data and the NACL entries here between runs (default: a fresh start)",
    )
    .option("--speed <n>", 'seconds of log time per real second, or "max"', "max")
    .action(async (options: DemoCommandOptions) => {
      const speed = parseSpeed(options.speed);
      const loaded = loadConfig(
        options.config === undefined && options.log === undefined
          ? DEFAULT_DEMO_CONFIG
          : configPath(options.config),
      );
      const logName = options.log ?? DEFAULT_DEMO_LOG;
      const live = logName === "-";
      const { input, totalBytes } = live
        ? { input: process.stdin as Readable, totalBytes: undefined }
        : openLog(logName);
      const write = (text: string) => {
        process.stdout.write(text);
      };
      for (const warning of loaded.warnings) process.stderr.write(`cloudjail: ${warning}\n`);
      write(
        header(
          live ? "standard input (live)" : path.relative(process.cwd(), logName) || logName,
          loaded,
          options,
        ),
      );
      let stop: () => void = () => {};
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      process.once("SIGINT", stop);
      try {
        // dynalite, the AWS SDK and the runtime load when the demo runs, not at every start of the CLI.
        const { runDemo } = await import("../local/demo-run");
        await runDemo({
          input,
          live,
          config: loaded.config,
          dataDir: options.data,
          speed,
          write,
          progress: new ProgressBar(process.stderr, totalBytes),
          bytesRead: () => (input as Readable & { bytesRead?: number }).bytesRead ?? 0,
          stop: stopped,
        });
      } finally {
        process.removeListener("SIGINT", stop);
      }
    });
}

function parseSpeed(text: string): number | "max" {
  if (text === "max") return "max";
  const speed = Number(text);
  if (!Number.isFinite(speed) || speed <= 0) {
    throw new UsageError(`--speed ${text}: give seconds of log time per real second (e.g. 60) or "max"`);
  }
  return speed;
}

function openLog(file: string): { input: Readable; totalBytes: number } {
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new UsageError(`--log ${file}: not a file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read log ${file}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`,
    );
  }
  return { input: createReadStream(file), totalBytes: size };
}

function header(logName: string, loaded: ReturnType<typeof loadConfig>, options: DemoCommandOptions): string {
  const jails = loaded.config.jails
    .filter((jail) => jail.enabled)
    .map(
      (jail) =>
        `${jail.name} (maxretry ${jail.maxretry}, findtime ${formatDuration(jail.findtime)}, bantime ` +
        `${jail.bantime < 0 ? "permanent" : formatDuration(jail.bantime)}, ignoreip ${jail.ignoreip.join(" ") || "-"})`,
    );
  const { first, last } = loaded.config.nacl.reservedRuleRange;
  return [
    "cloudjail demo: the real responder and unbanner on a local DynamoDB (dynalite) and a simulated network ACL.",
    "No AWS account, no credentials, nothing leaves this machine.",
    `  log:    ${logName}`,
    `  config: ${path.relative(process.cwd(), loaded.path) || loaded.path}: ${jails.join("; ") || "no enabled jail"}`,
    `  NACL:   rules ${first}-${last} reserved for cloudjail, quota ${loaded.config.nacl.quota} per family`,
    `  state:  ${options.data === undefined ? "fresh (pass --data DIR to keep it between runs)" : options.data}`,
    `  speed:  ${options.speed === "max" ? "as fast as possible" : `${options.speed}x log time`}`,
    "",
    "",
  ].join("\n");
}
