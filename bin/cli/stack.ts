import {
  type CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  paginateListStackResources,
} from "@aws-sdk/client-cloudformation";
import { ConfigError, parseConfigJson } from "../../lambda/core/config";
import type { CloudjailConfig, JailConfig } from "../../lambda/core/types";
import { FLEET_WATCH_ENVIRONMENT } from "../../lambda/handlers/environment";
import { STACK_OUTPUTS } from "../../lib/stack-outputs";
import { cdkContextString, FALLBACK_STACK_NAME, STACK_NAME_CONTEXT } from "./cdk-context";
import { UsageError } from "./errors";
import {
  configTextFromTemplate,
  environmentValueFromTemplate,
  subscribedLogGroupsFromTemplate,
  TemplateConfigError,
} from "./stack-template";

/** What the operator commands need to know about a deployed cloudjail stack. */
export interface DeployedStack {
  readonly stackName: string;
  /** The DynamoDB table holding windows, bans and NACL slot leases. */
  readonly tableName: string;
  /** The configuration the Lambdas run with (jails, NACL settings). */
  readonly config: CloudjailConfig;
  /** The log group the CloudWatch agent ships auth logs into, when the stack created one. */
  readonly logGroupName?: string;
  /** CloudFormation's status of the stack: CREATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, ... */
  readonly stackStatus?: string;
  /** The stack's outputs by key (lib/stack-outputs.ts). */
  readonly outputs?: Readonly<Record<string, string>>;
  /** Every resource of the stack. */
  readonly resources?: readonly StackResource[];
  /** The log groups the stack's subscription filters read, by name. */
  readonly subscribedLogGroups?: readonly string[];
  /** The fleet watcher's threshold, seconds (from its environment), when the stack has one. */
  readonly silentAfterSeconds?: number;
}

/** One resource of a stack, as ListStackResources names it. */
export interface StackResource {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
}

/** Finds a deployed stack by name; injected into the commands so that tests need no CloudFormation. */
export type StackLocator = (stackName: string) => Promise<DeployedStack>;

export { FALLBACK_STACK_NAME, STACK_NAME_CONTEXT } from "./cdk-context";

/**
 * The stack name `cdk deploy` used: `cloudjail:stackName` of the cdk.json in the current directory, else of the
 * cloudjail checkout the CLI runs from, else "Cloudjail".
 */
export function defaultStackName(cwd: string = process.cwd()): string {
  return cdkContextString(STACK_NAME_CONTEXT, cwd)?.value ?? FALLBACK_STACK_NAME;
}

/**
 * A locator reading CloudFormation: DescribeStacks (status, outputs), GetTemplate and ListStackResources (the
 * configuration inside the Lambdas' environment, the subscribed log groups, the fleet watcher's threshold, every
 * resource's physical id). An unknown stack or one that is not cloudjail's is a {@link UsageError} that names the
 * stack and region.
 */
export function cloudFormationLocator(
  client: CloudFormationClient,
  region: () => Promise<string>,
): StackLocator {
  return async (stackName) => {
    const where = async () => `"${stackName}" in ${await region()}`;
    let outputs: Map<string, string>;
    let stackStatus: string | undefined;
    try {
      const described = await client.send(new DescribeStacksCommand({ StackName: stackName }));
      const stack = described.Stacks?.[0];
      if (stack === undefined) throw new UsageError(`no stack ${await where()}`);
      stackStatus = stack.StackStatus;
      outputs = new Map(
        (stack.Outputs ?? []).map((output) => [output.OutputKey ?? "", output.OutputValue ?? ""]),
      );
    } catch (error) {
      if (isMissingStack(error)) {
        throw new UsageError(
          `no stack ${await where()}: deploy it with "npx cdk deploy", or pass --stack NAME / --region REGION`,
        );
      }
      throw error;
    }
    const tableName = outputs.get(STACK_OUTPUTS.tableName);
    if (tableName === undefined || tableName === "") {
      throw new UsageError(
        `stack ${await where()} has no ${STACK_OUTPUTS.tableName} output: it is not a cloudjail stack`,
      );
    }
    const template = await client.send(
      new GetTemplateCommand({ StackName: stackName, TemplateStage: "Original" }),
    );
    const resources: StackResource[] = [];
    for await (const page of paginateListStackResources({ client }, { StackName: stackName })) {
      for (const resource of page.StackResourceSummaries ?? []) {
        if (resource.LogicalResourceId && resource.PhysicalResourceId) {
          resources.push({
            logicalId: resource.LogicalResourceId,
            type: resource.ResourceType ?? "",
            physicalId: resource.PhysicalResourceId,
          });
        }
      }
    }
    const physicalIds = new Map(resources.map((resource) => [resource.logicalId, resource.physicalId]));
    try {
      const body = template.TemplateBody ?? "";
      const text = configTextFromTemplate(body, physicalIds);
      const config = parseConfigJson(JSON.parse(text), `stack ${stackName}`);
      const logGroupName = outputs.get(STACK_OUTPUTS.authLogGroupName);
      const silentAfter = environmentValueFromTemplate(
        body,
        FLEET_WATCH_ENVIRONMENT.silentAfterSeconds,
        physicalIds,
      );
      return {
        stackName,
        tableName,
        config,
        ...(logGroupName ? { logGroupName } : {}),
        ...(stackStatus ? { stackStatus } : {}),
        outputs: Object.fromEntries(outputs),
        resources,
        subscribedLogGroups: subscribedLogGroupsFromTemplate(body, physicalIds),
        ...(silentAfter !== undefined && Number.isInteger(Number(silentAfter))
          ? { silentAfterSeconds: Number(silentAfter) }
          : {}),
      };
    } catch (error) {
      if (
        error instanceof TemplateConfigError ||
        error instanceof ConfigError ||
        error instanceof SyntaxError
      ) {
        throw new UsageError(`stack ${await where()}: ${error.message}`);
      }
      throw error;
    }
  };
}

/** CloudFormation answers an unknown stack name with a ValidationError "Stack with id X does not exist". */
function isMissingStack(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === "ValidationError" || error.name === "ValidationException") &&
    /does not exist/.test(error.message)
  );
}

/** Finds the jail named `name` or throws a {@link UsageError} listing the jails there are. */
export function requireJail(config: CloudjailConfig, name: string): JailConfig {
  const jail = config.jails.find((candidate) => candidate.name === name);
  if (jail === undefined) {
    const names = config.jails.map((candidate) => candidate.name).join(", ") || "none";
    throw new UsageError(`unknown jail "${name}": the stack has ${names}`);
  }
  return jail;
}
