/**
 * Reads what the CLI needs out of a deployed cloudjail stack's CloudFormation template: the configuration both
 * Lambdas carry as the `CLOUDJAIL_CONFIG` environment variable (written by CDK as a string or an `Fn::Join` whose
 * parts are strings and `Ref`s, such as the alert topic's ARN), other environment values, and the log groups its
 * subscription filters read. Pure: the template and the stack's physical ids come in.
 */

import { RUNTIME_ENVIRONMENT } from "../../lambda/handlers/environment";

/** The Lambda environment variable holding the resolved configuration (issue 4, lambda/handlers/environment.ts). */
const CONFIG_VARIABLE = RUNTIME_ENVIRONMENT.config;

/** Thrown when the template holds no configuration, or one this reader cannot resolve. */
export class TemplateConfigError extends Error {
  override readonly name = "TemplateConfigError";
}

interface TemplateResource {
  readonly Type?: string;
  readonly Properties?: {
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
    /** An `AWS::Logs::SubscriptionFilter`'s group: a name, or a `Ref` to a log group of the stack. */
    readonly LogGroupName?: unknown;
  };
}

/**
 * The `CLOUDJAIL_CONFIG` text of the first Lambda function that has one. `physicalIds` maps logical ids to
 * physical ids (what `Ref` returns for the resources CDK references here).
 */
export function configTextFromTemplate(
  templateBody: string,
  physicalIds: ReadonlyMap<string, string>,
): string {
  const value = environmentValueFromTemplate(templateBody, CONFIG_VARIABLE, physicalIds);
  if (value !== undefined) return value;
  throw new TemplateConfigError(
    `no Lambda function of the stack has ${CONFIG_VARIABLE}: it is not a cloudjail stack`,
  );
}

/** The value of environment variable `variable` in the first Lambda function of the template that sets it. */
export function environmentValueFromTemplate(
  templateBody: string,
  variable: string,
  physicalIds: ReadonlyMap<string, string>,
): string | undefined {
  for (const resource of resourcesOf(templateBody)) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    const value = resource.Properties?.Environment?.Variables?.[variable];
    if (value !== undefined) return resolveValue(value, physicalIds, variable);
  }
  return undefined;
}

/** The names of the log groups the template's subscription filters read (the auth log group and existing ones). */
export function subscribedLogGroupsFromTemplate(
  templateBody: string,
  physicalIds: ReadonlyMap<string, string>,
): string[] {
  const names = resourcesOf(templateBody)
    .filter((resource) => resource.Type === "AWS::Logs::SubscriptionFilter")
    .map((resource) => resolveValue(resource.Properties?.LogGroupName, physicalIds, "LogGroupName"));
  return [...new Set(names)];
}

function resourcesOf(templateBody: string): TemplateResource[] {
  let template: { Resources?: Record<string, TemplateResource> };
  try {
    template = JSON.parse(templateBody);
  } catch {
    throw new TemplateConfigError(
      "the stack's template is not JSON: it was not deployed by cloudjail's CDK app",
    );
  }
  return Object.values(template.Resources ?? {});
}

/** Resolves a string, `{ Ref }` or `{ "Fn::Join": [separator, parts] }`; anything else is refused. */
function resolveValue(value: unknown, physicalIds: ReadonlyMap<string, string>, what: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) {
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref === "string") {
      const physical = physicalIds.get(ref);
      if (physical === undefined) throw new TemplateConfigError(`${what} refers to unknown resource ${ref}`);
      return physical;
    }
    const join = (value as { "Fn::Join"?: unknown })["Fn::Join"];
    if (Array.isArray(join) && typeof join[0] === "string" && Array.isArray(join[1])) {
      return join[1].map((part: unknown) => resolveValue(part, physicalIds, what)).join(join[0]);
    }
  }
  throw new TemplateConfigError(
    `${what} uses ${JSON.stringify(value)?.slice(0, 80)}, which cannot be resolved`,
  );
}
