import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import type { LambdaClient } from "@aws-sdk/client-lambda";
import type { SNSClient } from "@aws-sdk/client-sns";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { SDK_RETRY } from "../../lambda/aws/sdk-retry";
import { UsageError } from "./errors";

/** How an operator command reaches AWS: the standard chain, narrowed by `--profile` and `--region`. */
export interface AwsOptions {
  /** Named profile of `~/.aws/config` / `~/.aws/credentials`; the SDK's `AWS_PROFILE` otherwise. */
  readonly profile?: string;
  /** Region; the SDK's `AWS_REGION` / profile region otherwise. */
  readonly region?: string;
}

/**
 * The SDK clients the operator commands use. Endpoints follow `AWS_ENDPOINT_URL_<SERVICE>` as the SDK reads them.
 * The clients only `fleet`, `doctor` and `ping` need are created (and their SDK modules loaded) on first use.
 */
export interface AwsClients {
  readonly cloudFormation: CloudFormationClient;
  readonly dynamoDb: DynamoDBClient;
  readonly ec2: EC2Client;
  readonly cloudWatch: CloudWatchClient;
  readonly logs: CloudWatchLogsClient;
  readonly lambda: LambdaClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly ssm: SSMClient;
  /** The region the clients resolved (for messages). */
  region(): Promise<string>;
  /** Releases sockets so that the process can exit. */
  destroy(): void;
}

/** Creates the clients from the standard credential chain. Nothing is resolved until the first call. */
export function createAwsClients(options: AwsOptions): AwsClients {
  const config = {
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.region === undefined ? {} : { region: options.region }),
  };
  const cloudFormation = new CloudFormationClient(config);
  const dynamoDb = new DynamoDBClient(config);
  // EC2 calls (bans and unbans through the NACL enforcer) are retried as the Lambdas' are: adaptive mode.
  const ec2 = new EC2Client({ ...config, ...SDK_RETRY });
  const created: Array<{ destroy(): void }> = [cloudFormation, dynamoDb, ec2];
  const lazy = <T extends { destroy(): void }>(make: () => T): (() => T) => {
    let client: T | undefined;
    return () => {
      if (client === undefined) {
        client = make();
        created.push(client);
      }
      return client;
    };
  };
  const cloudWatch = lazy(
    () => new (require("@aws-sdk/client-cloudwatch") as Sdk.CloudWatch).CloudWatchClient(config),
  );
  const logs = lazy(
    () => new (require("@aws-sdk/client-cloudwatch-logs") as Sdk.Logs).CloudWatchLogsClient(config),
  );
  const lambda = lazy(() => new (require("@aws-sdk/client-lambda") as Sdk.Lambda).LambdaClient(config));
  const sns = lazy(() => new (require("@aws-sdk/client-sns") as Sdk.Sns).SNSClient(config));
  const sqs = lazy(() => new (require("@aws-sdk/client-sqs") as Sdk.Sqs).SQSClient(config));
  const ssm = lazy(() => new (require("@aws-sdk/client-ssm") as Sdk.Ssm).SSMClient(config));
  return {
    cloudFormation,
    dynamoDb,
    ec2,
    get cloudWatch() {
      return cloudWatch();
    },
    get logs() {
      return logs();
    },
    get lambda() {
      return lambda();
    },
    get sns() {
      return sns();
    },
    get sqs() {
      return sqs();
    },
    get ssm() {
      return ssm();
    },
    region: async () => {
      try {
        return await cloudFormation.config.region();
      } catch (error) {
        throw explainAwsError(error, options);
      }
    },
    destroy: () => {
      for (const client of created) client.destroy();
    },
  };
}

/** The SDK modules loaded on first use (`require` keeps them out of the commands that never need them). */
declare namespace Sdk {
  type CloudWatch = typeof import("@aws-sdk/client-cloudwatch");
  type Logs = typeof import("@aws-sdk/client-cloudwatch-logs");
  type Lambda = typeof import("@aws-sdk/client-lambda");
  type Sns = typeof import("@aws-sdk/client-sns");
  type Sqs = typeof import("@aws-sdk/client-sqs");
  type Ssm = typeof import("@aws-sdk/client-ssm");
}

/** Error names the SDK uses when no usable credentials were found or they were refused. */
const MISSING_CREDENTIALS = new Set(["CredentialsProviderError", "ProviderError", "TokenProviderError"]);
const REJECTED_CREDENTIALS = new Set([
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "SignatureDoesNotMatch",
  "AuthFailure",
]);
const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"]);

/**
 * Turns the SDK's errors about the caller's setup into messages an operator can act on: missing credentials,
 * no region, expired or unknown keys (all usage errors, exit 2) and denied permissions (exit 1, naming the action).
 * Other errors are returned unchanged.
 */
export function explainAwsError(error: unknown, options: AwsOptions): unknown {
  if (!(error instanceof Error)) return error;
  const profile = options.profile === undefined ? "" : ` (profile "${options.profile}")`;
  if (MISSING_CREDENTIALS.has(error.name)) {
    return new UsageError(
      `no AWS credentials found${profile}: run "aws configure" or "aws sso login", set AWS_PROFILE, or pass ` +
        `--profile NAME (${firstLine(error.message)})`,
    );
  }
  if (error.message === "Region is missing") {
    return new UsageError(
      `no AWS region${profile}: pass --region, set AWS_REGION, or set region in the profile`,
    );
  }
  if (REJECTED_CREDENTIALS.has(error.name)) {
    return new UsageError(
      `AWS refused the credentials${profile}: ${firstLine(error.message)} (refresh them, e.g. "aws sso login")`,
    );
  }
  if (DENIED.has(error.name)) {
    return new Error(
      `permission denied${profile}: ${firstLine(error.message)} (docs/cli.md lists the IAM actions the CLI needs)`,
    );
  }
  return error;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
