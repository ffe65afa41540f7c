/**
 * The CDK app `cdk.json` runs (`npx tsx bin/app.ts`): one cloudjail stack configured by cdk.json context and the
 * jail configuration file it names (see docs/deploy.md). Configuration errors end the synth with one message.
 */
import { App } from "aws-cdk-lib";
import { ConfigError } from "../lambda/core/config";
import { addCloudjailStack } from "../lib/cloudjail-app";
import { CloudjailSettingsError } from "../lib/cloudjail-settings-error";
import { loadConfigFile } from "../lib/config-file";

try {
  const app = new App();
  addCloudjailStack(app, loadConfigFile);
  app.synth();
} catch (error) {
  if (isMissingFile(error)) {
    process.stderr.write(
      `cloudjail: cannot read the configuration file ${error.path}: create it, or point cdk.json context ` +
        '"cloudjail:config" at your jail.local or JSON configuration\n',
    );
  } else if (error instanceof CloudjailSettingsError || error instanceof ConfigError) {
    process.stderr.write(`cloudjail: ${error.message}\n`);
  } else {
    throw error;
  }
  process.exitCode = 1;
}

function isMissingFile(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === "ENOENT";
}
