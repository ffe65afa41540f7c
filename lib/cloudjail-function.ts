import * as path from "node:path";
import { type Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** The repository root: handler entries and the lock file are found relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

export interface CloudjailFunctionProps {
  /** Handler entry file relative to the project root, e.g. `lambda/handlers/responder.ts` (exports `handler`). */
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  /** Retention of the function's own log group. */
  readonly logRetention: logs.RetentionDays;
  /** Concurrent executions reserved (and capped); `undefined` leaves the function in the unreserved pool. */
  readonly reservedConcurrency: number | undefined;
  readonly environment: Record<string, string>;
  /** @default 256 */
  readonly memorySize?: number;
}

/**
 * One of cloudjail's Lambdas, built the same way: esbuild on the build machine (no Docker), arm64, Node.js 24,
 * source maps enabled at run time, its own role (no AWS managed policy: it may write only its own log group)
 * and its own log group with a retention, instead of the never-expiring group Lambda would create.
 */
export class CloudjailFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: CloudjailFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `${props.description} (cloudjail)`,
    });
    this.function = new nodejs.NodejsFunction(this, "Function", {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: "handler",
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, "package-lock.json"),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: { NODE_OPTIONS: "--enable-source-maps", ...props.environment },
      bundling: {
        forceDockerBundling: false,
        sourceMap: true,
        sourcesContent: false,
        minify: true,
        // The SDK v3 in the runtime may lag behind the one tested here: bundle the exact versions.
        bundleAwsSDK: true,
      },
    });
    this.logGroup.grantWrite(this.role);
  }
}
