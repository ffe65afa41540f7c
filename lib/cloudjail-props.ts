import { Duration } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as logs from "aws-cdk-lib/aws-logs";
import type { CloudjailConfig } from "../lambda/core/types";
import { AGENT_PARAMETER_PREFIX } from "./agent-config";
import { CloudjailSettingsError } from "./cloudjail-settings-error";
import { type OnboardingTargets, PROTECT_TAG_KEY } from "./fleet-onboarding";
import { validateCloudjailConfig } from "./validate-config";

/** Properties of the {@link Cloudjail} construct. */
export interface CloudjailProps {
  /**
   * The resolved jail configuration (`parseJailConf` / `parseConfigJson`), including what to protect:
   * `nacl.vpcIds` and/or `nacl.naclIds`. The Lambdas receive it as `CLOUDJAIL_CONFIG`.
   */
  readonly config: CloudjailConfig;
  /**
   * Rule numbers of the NACL rules you manage yourself; cloudjail's reserved range must not overlap them.
   * @default [] (no check)
   */
  readonly userRuleNumbers?: readonly number[];
  /**
   * Create the auth log group and the CloudWatch agent configuration parameter that ships logs into it.
   * @default true
   */
  readonly shipAgentLogs?: boolean;
  /**
   * Existing log groups carrying sshd lines to subscribe as well (each log group allows two subscriptions).
   * @default []
   */
  readonly existingLogGroups?: readonly logs.ILogGroup[];
  /**
   * Name of the SSM parameter holding the agent configuration; must start with `AmazonCloudWatch-`.
   * @default `AmazonCloudWatch-<stack name>`, so that two stacks in one account and region never share it
   */
  readonly agentParameterName?: string;
  /**
   * Install the CloudWatch agent on the targeted instances and append cloudjail's configuration to it, by SSM State
   * Manager associations (lib/fleet-onboarding.ts). Needs `shipAgentLogs`.
   * @default true
   */
  readonly onboarding?: boolean;
  /**
   * The instances onboarding installs and configures the agent on.
   * @default { tagKey: "cloudjail:protect" }
   */
  readonly onboardingTargets?: OnboardingTargets;
  /**
   * How often the onboarding associations are re-applied (30 minutes at the shortest).
   * @default Duration.minutes(30)
   */
  readonly onboardingSchedule?: Duration;
  /**
   * The CloudWatch agent version onboarding installs: `latest`, or 1.300070.0 or later.
   * @default "latest"
   */
  readonly agentVersion?: string;
  /**
   * Feed every log group of the account and region to the responder by an account-level subscription filter policy
   * (lib/account-intake.ts), the stack's own groups excluded. An account holds one such policy per region.
   * @default false
   */
  readonly accountWideIntake?: boolean;
  /**
   * An existing table with cloudjail's key design (`lambda/aws/table-schema.ts`).
   * @default a new on-demand table, retained on stack deletion
   */
  readonly table?: dynamodb.ITable;
  /**
   * E-mail address subscribed to the alert topic.
   * @default no subscription
   */
  readonly alertEmail?: string;
  /**
   * How often the unbanner lifts expired bans and repairs drift.
   * @default Duration.minutes(1)
   */
  readonly unbanInterval?: Duration;
  /**
   * Retention of the auth logs and the Lambdas' logs.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Reserve (and cap) concurrency: 5 for the responder, 1 for the unbanner. Lambda keeps 100 executions of the
   * account unreserved, so this deploys only where the account's concurrency quota is at least
   * {@link RESERVED_CONCURRENCY_QUOTA} (new accounts have 10); the synth output says so when it is on.
   * @default false
   */
  readonly reserveConcurrency?: boolean;
  /**
   * Alarm when a managed NACL has this many free slots or fewer.
   * @default 2
   */
  readonly naclSlotsLowThreshold?: number;
  /**
   * Whether the stack's jails enforce their bans: false is detect-only (bans decided, recorded and announced, no NACL
   * or overflow entry). Wins over the configuration's `enforce` (`[cloudjail]`); a jail's own `enforce` wins over
   * both.
   * @default the configuration's `enforce`, else true
   */
  readonly enforce?: boolean;
}

/** {@link CloudjailProps} with every default applied. */
export interface ResolvedCloudjailProps {
  readonly config: CloudjailConfig;
  readonly userRuleNumbers: readonly number[];
  readonly shipAgentLogs: boolean;
  readonly existingLogGroups: readonly logs.ILogGroup[];
  readonly agentParameterName: string;
  readonly onboarding: boolean;
  readonly onboardingTargets: OnboardingTargets;
  readonly onboardingSchedule: Duration;
  readonly agentVersion: string;
  readonly accountWideIntake: boolean;
  readonly table: dynamodb.ITable | undefined;
  readonly alertEmail: string | undefined;
  readonly unbanInterval: Duration;
  readonly logRetention: logs.RetentionDays;
  /** Responder's reserved concurrency, or undefined for none. */
  readonly responderConcurrency: number | undefined;
  /** Unbanner's reserved concurrency, or undefined for none. */
  readonly unbannerConcurrency: number | undefined;
  readonly naclSlotsLowThreshold: number;
  /** Settings that synthesize but probably do not do what was meant. */
  readonly warnings: readonly string[];
}

/**
 * With `reserveConcurrency`, at most this many responders write NACL entries at once: EC2 throttles mutating calls
 * per account (token bucket), and cloudjail's ban writes must not starve the account's other automation. Excess
 * batches wait in Lambda's async queue (up to the max event age) instead of failing.
 */
export const RESPONDER_CONCURRENCY = 5;
/** With `reserveConcurrency`, one unbanner at a time. */
export const UNBANNER_CONCURRENCY = 1;
/** Executions Lambda never lets an account reserve: `UnreservedConcurrentExecutions` stays at 100 or more. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;
/** The smallest account concurrency quota (service quota L-B99A9384) under which `reserveConcurrency` deploys. */
export const RESERVED_CONCURRENCY_QUOTA =
  LAMBDA_UNRESERVED_MINIMUM + RESPONDER_CONCURRENCY + UNBANNER_CONCURRENCY;

/** What `cdk synth` prints when concurrency is reserved: the quota the deploy then needs. */
export function reservedConcurrencyNotice(): string {
  return (
    `reserveConcurrency reserves ${RESPONDER_CONCURRENCY} executions for the responder and ${UNBANNER_CONCURRENCY} ` +
    `for the unbanner: the deploy fails unless the account's Lambda concurrent executions quota (L-B99A9384) is at ` +
    `least ${RESERVED_CONCURRENCY_QUOTA}, because Lambda keeps 100 unreserved (new accounts have 10)`
  );
}

/** Applies defaults and rejects invalid combinations: the one place {@link CloudjailProps} are resolved. */
export function resolveCloudjailProps(props: CloudjailProps, stackName: string): ResolvedCloudjailProps {
  const userRuleNumbers = props.userRuleNumbers ?? [];
  const config = props.enforce === undefined ? props.config : { ...props.config, enforce: props.enforce };
  const warnings = validateCloudjailConfig(config, userRuleNumbers);
  const shipAgentLogs = props.shipAgentLogs ?? true;
  const existingLogGroups = props.existingLogGroups ?? [];
  if (!shipAgentLogs && existingLogGroups.length === 0) {
    throw new CloudjailSettingsError(
      "no log group to read: keep the agent log group (shipAgentLogs) or subscribe existing groups " +
        '(cdk.json context "cloudjail:logGroupNames")',
    );
  }
  const agentParameterName = props.agentParameterName ?? `${AGENT_PARAMETER_PREFIX}${stackName}`;
  if (!agentParameterName.startsWith(AGENT_PARAMETER_PREFIX)) {
    throw new CloudjailSettingsError(
      `agent parameter name "${agentParameterName}" must start with "${AGENT_PARAMETER_PREFIX}": the agent's ` +
        "CloudWatchAgentServerPolicy can only read parameters with that prefix",
    );
  }
  // Props win over the configuration's [cloudjail] intake options, which win over the defaults.
  const intake = props.config.intake ?? {};
  const onboarding = props.onboarding ?? intake.onboarding ?? shipAgentLogs;
  if (onboarding && !shipAgentLogs) {
    throw new CloudjailSettingsError(
      "onboarding installs cloudjail's agent configuration, which shipAgentLogs = false does not create: " +
        "turn one on or the other off",
    );
  }
  const unbanInterval = props.unbanInterval ?? Duration.minutes(1);
  if (unbanInterval.toSeconds() < 60) {
    throw new CloudjailSettingsError(
      `unban interval ${unbanInterval.toHumanString()} is shorter than EventBridge's finest schedule of one minute`,
    );
  }
  const naclSlotsLowThreshold = props.naclSlotsLowThreshold ?? 2;
  if (!Number.isInteger(naclSlotsLowThreshold) || naclSlotsLowThreshold < 0) {
    throw new CloudjailSettingsError(
      `NACL slots alarm threshold ${naclSlotsLowThreshold} must be a whole number >= 0`,
    );
  }
  const reserve = props.reserveConcurrency ?? false;
  return {
    config,
    userRuleNumbers,
    shipAgentLogs,
    existingLogGroups,
    agentParameterName,
    onboarding,
    onboardingTargets:
      props.onboardingTargets ??
      (intake.protectAllInstances
        ? "all-managed-instances"
        : { tagKey: intake.protectTag ?? PROTECT_TAG_KEY }),
    onboardingSchedule:
      props.onboardingSchedule ??
      (intake.onboardingInterval === undefined
        ? Duration.minutes(30)
        : Duration.seconds(intake.onboardingInterval)),
    agentVersion: props.agentVersion ?? intake.agentVersion ?? "latest",
    accountWideIntake: props.accountWideIntake ?? intake.accountIntake ?? false,
    table: props.table,
    alertEmail: props.alertEmail,
    unbanInterval,
    logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    responderConcurrency: reserve ? RESPONDER_CONCURRENCY : undefined,
    unbannerConcurrency: reserve ? UNBANNER_CONCURRENCY : undefined,
    naclSlotsLowThreshold,
    warnings,
  };
}
