import { type App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { type ConfigLoader, stackPropsFromContext } from "./app-context";
import { CloudjailStack } from "./cloudjail-stack";

/** The stack's construct id when `cloudjail:stackName` is not set. */
export const DEFAULT_STACK_NAME = "Cloudjail";

/**
 * Adds the cloudjail stack configured by the app's context to `app`, with cdk-nag's AwsSolutions checks on every
 * synth. No lookups and no account are needed: the stack is environment-agnostic unless the CDK CLI provides one.
 */
export function addCloudjailStack(app: App, loadConfig: ConfigLoader): CloudjailStack {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const props = stackPropsFromContext(app, loadConfig);
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  return new CloudjailStack(app, props.stackName ?? DEFAULT_STACK_NAME, {
    ...props,
    description: "cloudjail: fail2ban for an AWS fleet (sshd failures -> network ACL deny entries)",
    env: account && region ? { account, region } : undefined,
  });
}
