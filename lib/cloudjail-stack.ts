import { Annotations, CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { Cloudjail } from "./cloudjail";
import { overflowOutputs } from "./cloudjail-overflow";
import type { CloudjailProps } from "./cloudjail-props";
import { STACK_OUTPUTS } from "./stack-outputs";

/** Properties of the deployable stack: the stack's own plus the {@link Cloudjail} construct's. */
export interface CloudjailStackProps extends StackProps, CloudjailProps {
  /**
   * Names of existing log groups to subscribe, added to `existingLogGroups`.
   * @default []
   */
  readonly existingLogGroupNames?: readonly string[];
  /**
   * Warnings from reading the configuration, shown by `cdk synth`.
   * @default []
   */
  readonly configWarnings?: readonly string[];
}

/** The stack `npx cdk deploy` creates: one {@link Cloudjail} and the outputs the `cloudjail` CLI reads. */
export class CloudjailStack extends Stack {
  public readonly cloudjail: Cloudjail;

  constructor(scope: Construct, id: string, props: CloudjailStackProps) {
    super(scope, id, props);
    const imported = (props.existingLogGroupNames ?? []).map((name, index) =>
      logs.LogGroup.fromLogGroupName(this, `ExistingLogGroup${index}`, name),
    );
    this.cloudjail = new Cloudjail(this, "Cloudjail", {
      ...props,
      existingLogGroups: [...(props.existingLogGroups ?? []), ...imported],
    });
    for (const warning of props.configWarnings ?? []) {
      Annotations.of(this).addWarningV2("cloudjail:config", warning);
    }
    const { cloudjail } = this;
    const outputs: Record<string, string | undefined> = {
      [STACK_OUTPUTS.tableName]: cloudjail.table.tableName,
      [STACK_OUTPUTS.responderFunctionName]: cloudjail.responder.functionName,
      [STACK_OUTPUTS.unbannerFunctionName]: cloudjail.unbanner.functionName,
      [STACK_OUTPUTS.topicArn]: cloudjail.alertTopic.topicArn,
      [STACK_OUTPUTS.failedBatchesQueueUrl]: cloudjail.failedBatches.queueUrl,
      [STACK_OUTPUTS.authLogGroupName]: cloudjail.authLogs?.logGroup.logGroupName,
      [STACK_OUTPUTS.agentParameterName]: cloudjail.authLogs?.agentParameter.parameterName,
      [STACK_OUTPUTS.instancePolicyArn]: cloudjail.authLogs?.instancePolicy.managedPolicyArn,
      [STACK_OUTPUTS.dashboardName]: cloudjail.monitoring.dashboard.dashboardName,
      ...overflowOutputs(cloudjail.overflow),
    };
    for (const [name, value] of Object.entries(outputs)) {
      if (value !== undefined) new CfnOutput(this, name, { value });
    }
  }
}
