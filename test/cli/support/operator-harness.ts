import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { Command, CommanderError } from "commander";
import type { AwsClients } from "../../../bin/cli/aws-clients";
import { UsageError } from "../../../bin/cli/errors";
import type { OperatorDeps } from "../../../bin/cli/operator";
import type { DeployedStack } from "../../../bin/cli/stack";
import { type Ec2Endpoint, type Ec2EndpointOptions, startEc2Endpoint } from "../../../bin/local/ec2-endpoint";
import { NaclModel } from "../../../bin/local/nacl-model";
import { LOCAL_CREDENTIALS, type LocalDynamo, startDynalite } from "../../support/dynalite";

/**
 * Runs the real operator commands in this process against dynalite (a real DynamoDB API) and the loopback EC2
 * endpoint backed by the NACL model: the commands' SDK calls go over HTTP exactly as they would to AWS. Only the
 * CloudFormation lookup is replaced, by a stack description (tested on its own in stack.test.ts). The services no
 * local server answers here (CloudWatch, CloudWatch Logs, Lambda, SNS, SQS, SSM) are behind aws-sdk-client-mock in
 * the tests that need them.
 */
export interface OperatorWorld {
  readonly db: LocalDynamo;
  readonly model: NaclModel;
  readonly ec2: Ec2Endpoint;
  /** A client on the same endpoints (for arranging state and checking it). */
  clients(): AwsClients;
  stop(): Promise<void>;
}

export async function startOperatorWorld(options: Ec2EndpointOptions = {}): Promise<OperatorWorld> {
  const db = await startDynalite();
  const model = new NaclModel({ quota: 20 });
  const ec2 = await startEc2Endpoint(model, options);
  const clients = (): AwsClients => {
    const common = { region: "us-east-1", credentials: LOCAL_CREDENTIALS };
    const cloudFormation = new CloudFormationClient(common);
    const dynamoDb = new DynamoDBClient({ ...common, endpoint: db.endpoint });
    const ec2Client = new EC2Client({ ...common, endpoint: ec2.url, maxAttempts: 1 });
    const others = {
      cloudWatch: new CloudWatchClient(common),
      logs: new CloudWatchLogsClient(common),
      lambda: new LambdaClient(common),
      sns: new SNSClient(common),
      sqs: new SQSClient(common),
      ssm: new SSMClient(common),
    };
    return {
      cloudFormation,
      dynamoDb,
      ec2: ec2Client,
      ...others,
      region: async () => "us-east-1",
      destroy: () => {
        for (const client of [cloudFormation, dynamoDb, ec2Client, ...Object.values(others)])
          client.destroy();
      },
    };
  };
  return {
    db,
    model,
    ec2,
    clients,
    stop: async () => {
      await ec2.close();
      await db.stop();
    },
  };
}

/** What one command run printed and how it ended. */
export interface CommandRun {
  readonly output: string;
  /** The error the command ended with (the CLI entry maps UsageError to exit 2, others to 1). */
  readonly error?: Error;
  /** The exit code bin/cloudjail.ts gives that ending. */
  readonly exitCode: 0 | 1 | 2;
}

/** Runs `args` through a program holding the given registrations, with `stack` as the deployed stack. */
export async function runCommand(
  world: OperatorWorld,
  register: ReadonlyArray<(program: Command, deps: OperatorDeps) => void>,
  stack: Omit<DeployedStack, "stackName"> & { stackName?: string },
  args: readonly string[],
  now: number,
): Promise<CommandRun> {
  let output = "";
  const deployed: DeployedStack = { stackName: stack.stackName ?? "Cloudjail", ...stack };
  const deps: OperatorDeps = {
    createClients: () => world.clients(),
    locateStack: () => async (name) => {
      if (name !== deployed.stackName) throw new UsageError(`no stack "${name}" in us-east-1`);
      return deployed;
    },
    now: () => now,
    write: (text) => {
      output += text;
    },
  };
  const program = new Command("cloudjail")
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const each of register) each(program, deps);
  try {
    await program.parseAsync(["node", "cloudjail", ...args]);
    return { output, exitCode: 0 };
  } catch (error) {
    const exitCode = error instanceof UsageError || error instanceof CommanderError ? 2 : 1;
    return { output, error: error as Error, exitCode };
  }
}
