import { readFileSync } from "node:fs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "../../lambda/aws/store";
import { ConfigError, parseConfigJson } from "../../lambda/core/config";
import { type AwsClients, type AwsOptions, createAwsClients, explainAwsError } from "./aws-clients";
import { UsageError } from "./errors";
import type { OperatorOptions } from "./operator-options";
import { cloudFormationLocator, type DeployedStack, defaultStackName, type StackLocator } from "./stack";

/**
 * What the operator commands (`status`, `banned`, `ban`, `unban`) share when they run: the clients, the deployed
 * stack and the context a command body receives (their options are in operator-options.ts). Commands load this
 * module (and with it the AWS SDK) only when they run. Everything that touches the outside comes in through
 * {@link OperatorDeps}, so tests run the real commands against dynalite and the NACL model.
 */

/** The outside world of an operator command. */
export interface OperatorDeps {
  readonly createClients: (options: AwsOptions) => AwsClients;
  /** How the stack is found; CloudFormation unless replaced. */
  readonly locateStack: (clients: AwsClients) => StackLocator;
  /** Epoch ms now. */
  readonly now: () => number;
  /** Where results go (standard output). */
  readonly write: (text: string) => void;
}

/** The real world: the SDK's credential chain, CloudFormation, the system clock, stdout. */
export const REAL_OPERATOR_DEPS: OperatorDeps = {
  createClients: createAwsClients,
  locateStack: (clients) => cloudFormationLocator(clients.cloudFormation, clients.region),
  now: () => Date.now(),
  write: (text) => {
    process.stdout.write(text);
  },
};

/** What a command body receives. */
export interface OperatorContext {
  readonly stack: DeployedStack;
  readonly clients: AwsClients;
  readonly documents: DynamoDBDocumentClient;
  readonly now: number;
  readonly json: boolean;
  readonly write: (text: string) => void;
}

/**
 * Creates the clients, finds the stack and runs `body`; SDK errors about credentials, region and permissions
 * become messages an operator can act on ({@link explainAwsError}). Clients are released afterwards.
 */
export async function runOperator<T>(
  options: OperatorOptions,
  deps: OperatorDeps,
  body: (context: OperatorContext) => Promise<T>,
): Promise<T> {
  const clients = deps.createClients({ profile: options.profile, region: options.region });
  try {
    const stackName = options.stack ?? defaultStackName();
    const stack =
      options.stackFile === undefined
        ? await deps.locateStack(clients)(stackName)
        : readStackFile(options.stackFile);
    return await body({
      stack,
      clients,
      documents: createDocumentClient(clients.dynamoDb),
      now: deps.now(),
      json: options.json === true,
      write: deps.write,
    });
  } catch (error) {
    throw explainAwsError(error, options);
  } finally {
    clients.destroy();
  }
}

/**
 * Reads a `--stack-file`: what CloudFormation would have told, for tests and offline use (`stackName`,
 * `tableName`, `config`, and optionally the other fields of {@link DeployedStack}).
 */
export function readStackFile(path: string): DeployedStack {
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as Partial<DeployedStack>;
    if (typeof value.stackName !== "string" || typeof value.tableName !== "string") {
      throw new UsageError(`${path}: a stack file needs "stackName", "tableName" and "config"`);
    }
    // What CloudFormation would also have told: the outputs, the resources, the subscribed log groups.
    const { stackStatus, outputs, resources, subscribedLogGroups, silentAfterSeconds, logGroupName } = value;
    return {
      stackName: value.stackName,
      tableName: value.tableName,
      config: parseConfigJson(value.config, path),
      ...(typeof logGroupName === "string" ? { logGroupName } : {}),
      ...(typeof stackStatus === "string" ? { stackStatus } : {}),
      ...(outputs !== undefined ? { outputs } : {}),
      ...(resources !== undefined ? { resources } : {}),
      ...(subscribedLogGroups !== undefined ? { subscribedLogGroups } : {}),
      ...(typeof silentAfterSeconds === "number" ? { silentAfterSeconds } : {}),
    };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof ConfigError || error instanceof SyntaxError) throw new UsageError(error.message);
    throw new UsageError(`cannot read stack file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

/** Writes `value` as indented JSON with a final newline. */
export function writeJson(context: Pick<OperatorContext, "write">, value: unknown): void {
  context.write(`${JSON.stringify(value, null, 2)}\n`);
}
