import type { Command } from "commander";
import { parseDuration } from "../../lambda/core/duration";
import { DEFAULT_SILENT_AFTER_SECONDS, MIN_SILENT_AFTER_SECONDS } from "../../lambda/core/fleet-silence";
import { UsageError } from "./errors";
import type { OperatorDeps } from "./operator";
import { type OperatorOptions, withOperatorOptions } from "./operator-options";

interface FleetOptions extends OperatorOptions {
  readonly silentAfter?: string;
}

/**
 * `cloudjail fleet [--silent-after 1d]`: every EC2 instance of the protected network with whether SSM manages it,
 * the agent association's last run, the age of its last auth-log event, and the NACL that guards its subnet.
 * Silent instances are marked `!` and named, with the likeliest cause, under the table. Exit code 0 whatever it
 * finds (the alarm and `doctor` are the pass/fail views); 1 when AWS fails, 2 on a usage error.
 */
export function registerFleet(program: Command, deps?: OperatorDeps): void {
  withOperatorOptions(
    program
      .command("fleet")
      .description(
        "list the protected EC2 instances: SSM, agent association, last auth-log event, NACL; silent ones marked",
      )
      .option(
        "--silent-after <duration>",
        "how long without an auth-log event makes a running instance silent (default: the stack's fleet watcher's, else 1d)",
      ),
  ).action(async (options: FleetOptions) => {
    const override = options.silentAfter === undefined ? undefined : parseSilentAfter(options.silentAfter);
    const { runOperator, REAL_OPERATOR_DEPS, writeJson } = await import("./operator");
    const { FleetInstances } = await import("../../lambda/aws/fleet-instances");
    const { LogStreamActivity } = await import("../../lambda/aws/log-stream-activity");
    const { agentAssociations, managedInstances } = await import("./fleet-ssm");
    const { fleetJson, fleetRows, formatFleet } = await import("./fleet-view");
    const { physicalIdsOfType } = await import("./stack-parts");
    return runOperator(options, deps ?? REAL_OPERATOR_DEPS, async (context) => {
      const { stack, clients } = context;
      const silentAfter = override ?? stack.silentAfterSeconds ?? DEFAULT_SILENT_AFTER_SECONDS;
      const logGroups = stack.subscribedLogGroups ?? (stack.logGroupName ? [stack.logGroupName] : []);
      if (logGroups.length === 0) throw new UsageError(`stack ${stack.stackName} names no log group to read`);
      const network = new FleetInstances(clients.ec2, stack.config.nacl);
      const [instances, naclBySubnet, lastEvents] = await Promise.all([
        network.list(),
        network.naclBySubnet(),
        new LogStreamActivity(clients.logs).lastEvents(logGroups),
      ]);
      const ids = instances.map((instance) => instance.instanceId);
      const managed = ids.length === 0 ? new Map() : await managedInstances(clients.ssm, ids);
      const associations = await agentAssociations(
        clients.ssm,
        [...managed.keys()],
        physicalIdsOfType(stack, "AWS::SSM::Association"),
      );
      const rows = fleetRows(
        { instances, lastEvents, managed, associations, naclBySubnet },
        context.now,
        silentAfter,
      );
      if (context.json) writeJson(context, fleetJson(rows, silentAfter));
      else context.write(formatFleet(rows, context.now, silentAfter));
    });
  });
}

function parseSilentAfter(text: string): number {
  let seconds: number;
  try {
    seconds = parseDuration(text);
  } catch (error) {
    throw new UsageError(`--silent-after: ${(error as Error).message}`);
  }
  if (!(seconds >= MIN_SILENT_AFTER_SECONDS)) {
    throw new UsageError(
      `--silent-after "${text}" is below 2h: CloudWatch Logs reports a stream's last event up to an hour late`,
    );
  }
  return seconds;
}
