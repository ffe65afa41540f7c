/**
 * Reads the configuration a deployed cloudjail stack runs with out of its CloudFormation template: both Lambdas
 * carry it as the `CLOUDJAIL_CONFIG` environment variable, written by CDK as a string or an `Fn::Join` whose parts
 * are strings and `Ref`s (the alert topic's ARN). Pure: the template and the stack's physical ids come in.
 */

/** The Lambda environment variable holding the resolved configuration (issue 4, lambda/handlers/runtime.ts). */
export const CONFIG_VARIABLE = "CLOUDJAIL_CONFIG";

/** Thrown when the template holds no configuration, or one this reader cannot resolve. */
export class TemplateConfigError extends Error {
  override readonly name = "TemplateConfigError";
}

interface TemplateResource {
  readonly Type?: string;
  readonly Properties?: { readonly Environment?: { readonly Variables?: Record<string, unknown> } };
}

/**
 * The `CLOUDJAIL_CONFIG` text of the first Lambda function that has one. `physicalIds` maps logical ids to
 * physical ids (what `Ref` returns for the resources CDK references here).
 */
export function configTextFromTemplate(
  templateBody: string,
  physicalIds: ReadonlyMap<string, string>,
): string {
  let template: { Resources?: Record<string, TemplateResource> };
  try {
    template = JSON.parse(templateBody);
  } catch {
    throw new TemplateConfigError(
      "the stack's template is not JSON: it was not deployed by cloudjail's CDK app",
    );
  }
  for (const resource of Object.values(template.Resources ?? {})) {
    if (resource.Type !== "AWS::Lambda::Function") continue;
    const value = resource.Properties?.Environment?.Variables?.[CONFIG_VARIABLE];
    if (value !== undefined) return resolveValue(value, physicalIds);
  }
  throw new TemplateConfigError(
    `no Lambda function of the stack has ${CONFIG_VARIABLE}: it is not a cloudjail stack`,
  );
}

/** Resolves a string, `{ Ref }` or `{ "Fn::Join": [separator, parts] }`; anything else is refused. */
function resolveValue(value: unknown, physicalIds: ReadonlyMap<string, string>): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) {
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref === "string") {
      const physical = physicalIds.get(ref);
      if (physical === undefined)
        throw new TemplateConfigError(`${CONFIG_VARIABLE} refers to unknown resource ${ref}`);
      return physical;
    }
    const join = (value as { "Fn::Join"?: unknown })["Fn::Join"];
    if (Array.isArray(join) && typeof join[0] === "string" && Array.isArray(join[1])) {
      return join[1].map((part: unknown) => resolveValue(part, physicalIds)).join(join[0]);
    }
  }
  throw new TemplateConfigError(
    `${CONFIG_VARIABLE} uses ${JSON.stringify(value).slice(0, 80)}, which cannot be resolved`,
  );
}
