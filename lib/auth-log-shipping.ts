import { Aws, Fn, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { agentConfig } from "./agent-config";

export interface AuthLogShippingProps {
  /** How long auth log lines are kept. */
  readonly retention: logs.RetentionDays;
  /**
   * Name of the SSM parameter holding the CloudWatch agent configuration; must start with `AmazonCloudWatch-`
   * for the agent's managed policy to read it.
   */
  readonly parameterName: string;
}

/**
 * Where a fleet's auth logs arrive: a log group (one stream per instance id) and the CloudWatch agent
 * configuration that fills it, stored in SSM Parameter Store for `fetch-config -c ssm:<parameterName>`.
 */
export class AuthLogShipping extends Construct {
  public readonly logGroup: logs.LogGroup;
  public readonly agentParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: AuthLogShippingProps) {
    super(scope, id);
    // Readable (operators find it in the console by the stack's name) and unique to this deployment of the stack:
    // the group is retained on delete, so a fixed name would make the next deploy fail with "already exists".
    // The suffix is the stack id's UUID, new on every create; the agent reads the name from the parameter below.
    const deploymentId = Fn.select(2, Fn.split("/", Aws.STACK_ID));
    this.logGroup = new logs.LogGroup(this, "AuthLogs", {
      logGroupName: `/cloudjail/${Stack.of(this).stackName}/auth-${deploymentId}`,
      retention: props.retention,
      // Auth logs are evidence of attacks: keep them when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.agentParameter = new ssm.StringParameter(this, "AgentConfig", {
      parameterName: props.parameterName,
      description: "CloudWatch agent configuration shipping sshd auth logs to cloudjail",
      stringValue: Stack.of(this).toJsonString(agentConfig(this.logGroup.logGroupName)),
    });
  }
}
