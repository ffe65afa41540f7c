import { ArnFormat, type CfnResource, RemovalPolicy, Stack, Token, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { AGENT_PARAMETER_NAME, agentConfig } from "./agent-config";

export interface AuthLogShippingProps {
  /** How long auth log lines are kept. */
  readonly retention: logs.RetentionDays;
  /**
   * Name of the SSM parameter holding the CloudWatch agent configuration; must start with `AmazonCloudWatch-`
   * for the agent's managed policy to read it.
   * @default "AmazonCloudWatch-cloudjail"
   */
  readonly parameterName?: string;
}

/**
 * Where a fleet's auth logs arrive: a log group (streams per instance id, lib/agent-config.ts), the CloudWatch agent
 * configuration that fills it, stored in SSM Parameter Store for `append-config -c ssm:<parameterName>`, and the
 * managed policy instances need to ship with it.
 */
export class AuthLogShipping extends Construct {
  public readonly logGroup: logs.LogGroup;
  public readonly agentParameter: ssm.StringParameter;
  /**
   * Least privilege for the agent running this configuration (docs/agent.md, "IAM"): create and write streams of
   * the one log group, read the one parameter. The stack creates the group and sets its retention, so the agent
   * needs neither `logs:CreateLogGroup` nor `logs:PutRetentionPolicy` nor `logs:DescribeLogGroups`.
   */
  public readonly instancePolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: AuthLogShippingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // A readable fixed name: it is what operators type into the agent config and the console.
    this.logGroup = new logs.LogGroup(this, "AuthLogs", {
      logGroupName: `/cloudjail/${stack.stackName}/auth`,
      retention: props.retention,
      // Auth logs are evidence of attacks: keep them when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.agentParameter = new ssm.StringParameter(this, "AgentConfig", {
      parameterName: props.parameterName ?? AGENT_PARAMETER_NAME,
      description: "CloudWatch agent configuration shipping sshd auth logs to cloudjail",
      stringValue: stack.toJsonString(agentConfig(this.logGroup.logGroupName)),
    });
    this.instancePolicy = new iam.ManagedPolicy(this, "InstancePolicy", {
      description:
        "Lets the CloudWatch agent ship sshd logs into cloudjail's log group with cloudjail's configuration",
      statements: [
        new iam.PolicyStatement({
          sid: "ShipAuthLogs",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [
            stack.formatArn({
              service: "logs",
              resource: "log-group",
              resourceName: `${this.logGroup.logGroupName}:log-stream:*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
        new iam.PolicyStatement({
          sid: "ReadAgentConfiguration",
          actions: ["ssm:GetParameter"],
          resources: [this.agentParameter.parameterArn],
        }),
      ],
    });
    this.acknowledgeStreamWildcard();
  }

  /** cdk-nag's finding id for the policy's stream wildcard, written as cdk-nag writes it. */
  private acknowledgeStreamWildcard(): void {
    const stack = Stack.of(this);
    const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const group = stack.getLogicalId(this.logGroup.node.defaultChild as CfnResource);
    const arn = `arn:${part(stack.partition, "Partition")}:logs:${part(stack.region, "Region")}:${part(stack.account, "AccountId")}:log-group:<${group}>:log-stream:*`;
    Validations.of(this.instancePolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arn}]`,
      reason:
        "Each instance writes its own streams ({instance_id}, {instance_id}/journald), unknown at deploy: " +
        "log-stream:* covers only the streams of cloudjail's own auth log group.",
    });
  }

  /**
   * Lets instances with this role ship their auth logs with cloudjail's configuration. SSM's own rights
   * (`AmazonSSMManagedInstanceCore`), which the onboarding associations need to reach the instance, stay the role's.
   */
  public grantLogShipping(role: iam.IRole): void {
    role.addManagedPolicy(this.instancePolicy);
  }
}
