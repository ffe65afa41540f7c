import type { Command } from "commander";
import type { CheckResult } from "./check-verdicts";
import { ChecksFailedError } from "./doctor";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, withOperatorOptions } from "./operator-options";

/**
 * `cloudjail ping`: fail2ban-client's `ping`, for a stack: it answers `Server replied: pong` when the stack is
 * reachable and healthy (deployed, table ACTIVE, every Lambda Active, no alarm in ALARM), else the lines that are
 * not, with exit code 1. `cloudjail doctor` checks more, and slower.
 */
export function registerPing(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("ping")
      .description("is the deployed stack reachable and healthy? (fail2ban-client ping)"),
  ).action(async (options: OperatorOptions) => {
    const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
    const checks = await import("./health-checks");
    const { formatCheck } = await import("./check-verdicts");
    return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
      const health = {
        stack: context.stack,
        clients: context.clients,
        now: context.now,
        windowSeconds: 3_600,
      };
      const results: CheckResult[] = [];
      for (const run of [
        checks.stackCheck,
        checks.tableCheck,
        (each: typeof health) => checks.functionChecks(each, false),
        checks.alarmsCheck,
      ]) {
        results.push(...(await run(health)));
      }
      const failing = results.filter((result) => !result.ok);
      if (context.json) writeJson(context, { pong: failing.length === 0, checks: results });
      else if (failing.length === 0) context.write("Server replied: pong\n");
      else for (const result of failing) context.write(`${formatCheck(result)}\n`);
      if (failing.length > 0) {
        throw new ChecksFailedError(
          `stack ${context.stack.stackName} is reachable but not healthy: ${failing.length} of ${results.length} checks failed`,
        );
      }
    });
  });
}
