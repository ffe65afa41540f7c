import type { JailConfig, PortRange } from "../../lambda/core/types";
import { createRuntime, type Runtime } from "../../lambda/handlers/runtime";
import type { OperatorContext } from "./operator";

/**
 * The Lambdas' own runtime (lambda/handlers/runtime.ts) on the operator's clients and the stack's table and
 * configuration: a manual ban or unban takes a rule-slot lease, writes or removes the NACL entry and updates the
 * IP record through the same BanService as the responder and unbanner, so the unbanner later treats it like any
 * other ban. Manual bans send no SNS notification (the CLI is given no SNS client).
 */
export function createOperatorRuntime(context: OperatorContext): Runtime {
  return createRuntime(
    { tableName: context.stack.tableName, config: context.stack.config },
    { dynamodb: context.clients.dynamoDb, ec2: context.clients.ec2 },
    { clock: () => context.now },
  );
}

/**
 * The TCP range a ban of `jail` denies when `restrictToJailPorts` is on: one range over all the jail's ports, as
 * the responder computes it (respond.ts, portSpan), so that a manual ban looks like an automatic one.
 */
export function jailPortSpan(jail: JailConfig, restrictToJailPorts: boolean): PortRange | undefined {
  const ports = jail.port;
  if (!restrictToJailPorts || ports === undefined || ports.length === 0) return undefined;
  return { from: Math.min(...ports.map((port) => port.from)), to: Math.max(...ports.map((port) => port.to)) };
}
