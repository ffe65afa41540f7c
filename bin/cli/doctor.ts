import type { Command } from "commander";
import { parseDuration } from "../../lambda/core/duration";
import type { CheckResult } from "./check-verdicts";
import { UsageError } from "./errors";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, withOperatorOptions } from "./operator-options";

interface DoctorOptions extends OperatorOptions {
  readonly since: string;
}

/** Raised when a check failed: its line says what to change; exit code 1. */
export class ChecksFailedError extends Error {
  override readonly name = "ChecksFailedError";
}

/**
 * `cloudjail doctor [--since 1h]`: proves a deployed stack end to end without changing anything. One line per
 * check (health-checks.ts), `ok` or `FAIL` with what to change; exit code 1 when one fails.
 */
export function registerDoctor(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("doctor")
      .description(
        "check a deployed stack end to end, changing nothing: subscriptions, Lambdas, queue, NACL rights, table, topic",
      )
      .option("--since <duration>", "how far back Lambda errors and throttles count (1h, 30m, 1d)", "1h"),
  ).action(async (options: DoctorOptions) => {
    const windowSeconds = parseWindow(options.since);
    const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
    const checks = await import("./health-checks");
    const { formatCheck } = await import("./check-verdicts");
    return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
      const health = { stack: context.stack, clients: context.clients, now: context.now, windowSeconds };
      const results: CheckResult[] = [];
      for (const run of [
        checks.stackCheck,
        checks.tableCheck,
        checks.subscriptionChecks,
        (each: typeof health) => checks.functionChecks(each, true),
        checks.queueCheck,
        checks.naclChecks,
        checks.topicChecks,
        checks.alarmsCheck,
      ]) {
        const found = await run(health);
        results.push(...found);
        if (!context.json) for (const result of found) context.write(`${formatCheck(result)}\n`);
      }
      const failed = results.filter((result) => !result.ok).length;
      if (context.json) writeJson(context, { stack: context.stack.stackName, failed, checks: results });
      else context.write(`\n${results.length - failed} of ${results.length} checks passed\n`);
      if (failed > 0) throw new ChecksFailedError(`${failed} of ${results.length} checks failed`);
    });
  });
}

/** `--since`: one of cloudjail's durations, from a minute to CloudWatch's 15 days of one-minute data. */
export function parseWindow(text: string): number {
  let seconds: number;
  try {
    seconds = parseDuration(text);
  } catch (error) {
    throw new UsageError(`--since: ${(error as Error).message}`);
  }
  if (!(seconds >= 60 && seconds <= 15 * 86_400)) {
    throw new UsageError(`--since "${text}" must be between 1m and 15d`);
  }
  return seconds;
}
