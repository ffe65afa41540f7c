import { Duration, Stack } from "aws-cdk-lib";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import { CloudjailSettingsError } from "./cloudjail-settings-error";

/** The tag key that marks an instance for protection; any value will do. */
export const PROTECT_TAG_KEY = "cloudjail:protect";

/** The agent release that first reads the journal (`logs.logs_collected.journald`, docs/agent.md "Release"). */
export const FIRST_JOURNALD_AGENT_VERSION = "1.300070.0";

/** State Manager's shortest rate schedule for associations (docs/agent.md, "SSM: installing and configuring"). */
const SHORTEST_SCHEDULE = Duration.minutes(30);
/** Rate expressions must stay under 31 days. */
const LONGEST_SCHEDULE = Duration.days(31);

/** Which managed instances the associations install and configure the agent on. */
export type OnboardingTargets =
  /** Instances carrying this tag key, whatever its value. */
  | { readonly tagKey: string }
  /** Every managed instance of the account and region. */
  | "all-managed-instances";

export interface FleetOnboardingProps {
  /** The SSM parameter holding cloudjail's agent configuration (lib/agent-config.ts). */
  readonly agentParameter: ssm.IStringParameter;
  /**
   * Which instances to onboard.
   * @default { tagKey: "cloudjail:protect" }
   */
  readonly targets?: OnboardingTargets;
  /**
   * How often State Manager re-applies both associations (whole minutes, 30 minutes to under 31 days), so an
   * instance that lost its agent or its configuration gets them back.
   * @default Duration.minutes(30)
   */
  readonly schedule?: Duration;
  /**
   * The `AmazonCloudWatchAgent` Distributor package version: `latest`, or 1.300070.0 or later (journald).
   * @default "latest"
   */
  readonly agentVersion?: string;
}

/**
 * Puts every targeted instance on cloudjail without hand work: one State Manager association installs the
 * CloudWatch agent (`AWS-ConfigureAWSPackage`), another appends cloudjail's configuration to whatever the agent
 * already runs (`AmazonCloudWatch-ManageAgent`, `configure (append)`), both re-applied on a schedule. Instances
 * still need the rights to ship: `AuthLogShipping.grantLogShipping(role)`.
 */
export class FleetOnboarding extends Construct {
  public readonly installAgent: ssm.CfnAssociation;
  public readonly configureAgent: ssm.CfnAssociation;

  constructor(scope: Construct, id: string, props: FleetOnboardingProps) {
    super(scope, id);
    const targets = associationTargets(props.targets ?? { tagKey: PROTECT_TAG_KEY });
    const scheduleExpression = rateExpression(props.schedule ?? SHORTEST_SCHEDULE);
    const agentVersion = checkedAgentVersion(props.agentVersion ?? "latest");
    const stackName = Stack.of(this).stackName;

    this.installAgent = new ssm.CfnAssociation(this, "InstallAgent", {
      associationName: `${stackName}-install-cloudwatch-agent`,
      name: "AWS-ConfigureAWSPackage",
      targets,
      scheduleExpression,
      parameters: { action: ["Install"], name: ["AmazonCloudWatchAgent"], version: [agentVersion] },
    });
    this.configureAgent = new ssm.CfnAssociation(this, "ConfigureAgent", {
      associationName: `${stackName}-configure-cloudwatch-agent`,
      name: "AmazonCloudWatch-ManageAgent",
      targets,
      scheduleExpression,
      parameters: {
        // append-config: the user's own agent configurations stay; re-appending replaces only cloudjail's file.
        action: ["configure (append)"],
        mode: ["ec2"],
        optionalConfigurationSource: ["ssm"],
        optionalConfigurationLocation: [props.agentParameter.parameterName],
        optionalRestart: ["yes"],
      },
    });
    // Created after the install, so the first runs on existing instances find the agent more often than not; a run
    // that comes first fails and the next scheduled one succeeds.
    this.configureAgent.node.addDependency(this.installAgent);
  }
}

function associationTargets(targets: OnboardingTargets): ssm.CfnAssociation.TargetProperty[] {
  if (targets === "all-managed-instances") return [{ key: "InstanceIds", values: ["*"] }];
  const tagKey = targets.tagKey.trim();
  // EC2 tag keys: 1 to 128 characters, not starting with aws:.
  if (tagKey === "" || tagKey.length > 128 || tagKey.toLowerCase().startsWith("aws:")) {
    throw new CloudjailSettingsError(
      `onboarding tag key "${targets.tagKey}" must be 1 to 128 characters and not start with "aws:"`,
    );
  }
  return [{ key: "tag-key", values: [tagKey] }];
}

/** `rate(N minutes|hours|days)` in the largest whole unit. */
function rateExpression(schedule: Duration): string {
  const minutes = schedule.toMinutes({ integral: false });
  if (
    !Number.isInteger(minutes) ||
    minutes < SHORTEST_SCHEDULE.toMinutes() ||
    minutes >= LONGEST_SCHEDULE.toMinutes()
  ) {
    throw new CloudjailSettingsError(
      `onboarding schedule ${schedule.toHumanString()} must be whole minutes from 30 minutes to under 31 days ` +
        "(State Manager's rate expressions for associations)",
    );
  }
  if (minutes % (24 * 60) === 0) return plural(minutes / (24 * 60), "day");
  if (minutes % 60 === 0) return plural(minutes / 60, "hour");
  return plural(minutes, "minute");
}

function plural(count: number, unit: string): string {
  return `rate(${count} ${unit}${count === 1 ? "" : "s"})`;
}

/** `latest`, or a version at or after {@link FIRST_JOURNALD_AGENT_VERSION}: older agents refuse the journald key. */
function checkedAgentVersion(version: string): string {
  if (version === "latest") return version;
  const given = /^(\d+)\.(\d+)\.(\d+)/.exec(version)?.slice(1).map(Number);
  const first = FIRST_JOURNALD_AGENT_VERSION.split(".").map(Number);
  const differing = given?.findIndex((part, index) => part !== first[index]);
  const atLeast =
    given !== undefined && (differing === -1 || (given[differing ?? 0] ?? 0) > (first[differing ?? 0] ?? 0));
  if (!atLeast) {
    throw new CloudjailSettingsError(
      `agent version "${version}" cannot read the journal: use "latest" or ${FIRST_JOURNALD_AGENT_VERSION} or later`,
    );
  }
  return version;
}
