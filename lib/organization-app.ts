import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { type ConfigLoader, stackPropsFromContext } from "./app-context";
import { CloudjailSettingsError } from "./cloudjail-settings-error";
import { OrganizationCentralStack } from "./organization-central-stack";
import { OrganizationMemberStack } from "./organization-member-stack";

/** The cdk.json context keys of the organization app (bin/org-app.ts), beside the single-account ones. */
export const ORG_CONTEXT = {
  organizationId: "cloudjail:organizationId",
  centralAccount: "cloudjail:centralAccount",
  centralRegion: "cloudjail:centralRegion",
  organizationalUnitIds: "cloudjail:organizationalUnitIds",
  regions: "cloudjail:regions",
} as const;

/** Stack ids the organization app synthesizes. */
export const ORG_STACKS = { central: "CloudjailOrganization", member: "CloudjailMember" } as const;

/**
 * Adds both organization stacks to `app`: the member stack is synthesized first, in an app of its own, so that its
 * template file can become the central stack's StackSet template (an asset of the central stack), and is also added
 * to `app` so that `cdk synth` writes its assets manifest for publishing to the per-region buckets.
 */
export function addOrganizationStacks(
  app: App,
  loadConfig: ConfigLoader,
): { central: OrganizationCentralStack; member: OrganizationMemberStack } {
  const read = (key: string): string => {
    const value = app.node.tryGetContext(key);
    if (typeof value !== "string" || value.trim() === "") {
      throw new CloudjailSettingsError(
        `context ${key} is not set: pass -c ${key}=... (docs/organization.md)`,
      );
    }
    return value.trim();
  };
  const list = (key: string) =>
    read(key)
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  const central = { account: read(ORG_CONTEXT.centralAccount), region: read(ORG_CONTEXT.centralRegion) };
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  const memberProps = { ...stackPropsFromContext(app, loadConfig), central };
  const memberApp = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), "cloudjail-member-")),
    context: { ...contextOf(app) },
  });
  new OrganizationMemberStack(memberApp, ORG_STACKS.member, memberProps);
  const template = memberApp.synth().getStackByName(ORG_STACKS.member);
  const member = new OrganizationMemberStack(app, ORG_STACKS.member, {
    ...memberProps,
    description: "cloudjail member stack (deployed by the CloudjailOrganization StackSet)",
  });
  const memberTemplate = path.join(memberApp.outdir, template.templateFile);
  const centralStack = new OrganizationCentralStack(app, ORG_STACKS.central, {
    description: "cloudjail organization: central bus, member topic, ledger and the member StackSet",
    env: central,
    organizationId: read(ORG_CONTEXT.organizationId),
    organizationalUnitIds: list(ORG_CONTEXT.organizationalUnitIds),
    regions: list(ORG_CONTEXT.regions),
    memberTemplateFile: memberTemplate,
  });
  return { central: centralStack, member };
}

function contextOf(app: App): Record<string, unknown> {
  const keys = Object.values(ORG_CONTEXT);
  return Object.fromEntries(
    [...keys, "aws:cdk:bundling-stacks", "cloudjail:config", "cloudjail:vpcIds", "cloudjail:naclIds"]
      .map((key) => [key, app.node.tryGetContext(key)])
      .filter(([, value]) => value !== undefined),
  );
}
