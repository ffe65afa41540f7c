import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { UsageError } from "./errors";

/** How an operator command reaches AWS: the standard chain, narrowed by `--profile` and `--region`. */
export interface AwsOptions {
  /** Named profile of `~/.aws/config` / `~/.aws/credentials`; the SDK's `AWS_PROFILE` otherwise. */
  readonly profile?: string;
  /** Region; the SDK's `AWS_REGION` / profile region otherwise. */
  readonly region?: string;
}

/** The SDK clients the operator commands use. Endpoints follow `AWS_ENDPOINT_URL_<SERVICE>` as the SDK reads them. */
export interface AwsClients {
  readonly cloudFormation: CloudFormationClient;
  readonly dynamoDb: DynamoDBClient;
  readonly ec2: EC2Client;
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
  // The NACL enforcer retries EC2 calls itself, with jitter: the SDK must not multiply its attempts.
  const ec2 = new EC2Client({ ...config, maxAttempts: 1 });
  return {
    cloudFormation,
    dynamoDb,
    ec2,
    region: async () => {
      try {
        return await cloudFormation.config.region();
      } catch (error) {
        throw explainAwsError(error, options);
      }
    },
    destroy: () => {
      cloudFormation.destroy();
      dynamoDb.destroy();
      ec2.destroy();
    },
  };
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
