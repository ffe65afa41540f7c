/**
 * The organization's CDK app (issue 16): `npx cdk synth --app "npx tsx bin/org-app.ts" -c ...` writes the central
 * stack (bus, member topic, ledger, StackSet) and the member stack the StackSet deploys. See docs/organization.md.
 */
import { App } from "aws-cdk-lib";
import { ConfigError } from "../lambda/core/config";
import { CloudjailSettingsError } from "../lib/cloudjail-settings-error";
import { loadConfigFile } from "../lib/config-file";
import { addOrganizationStacks } from "../lib/organization-app";

try {
  const app = new App();
  addOrganizationStacks(app, loadConfigFile);
  app.synth();
} catch (error) {
  if (error instanceof CloudjailSettingsError || error instanceof ConfigError) {
    process.stderr.write(`cloudjail: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
