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
