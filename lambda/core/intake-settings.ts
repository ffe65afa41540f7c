import { parseDuration } from "./duration";

/**
 * How the stack brings a fleet's auth logs in (issue 14 §3, §4), from jail.local's `[cloudjail]` section. Deploy-time
 * only: the CDK app reads them, the Lambdas ignore them. An absent field takes the construct's default.
 */
export interface IntakeSettings {
  /** Install and configure the CloudWatch agent by State Manager associations. */
  readonly onboarding?: boolean;
  /** The tag key that marks an instance for onboarding. */
  readonly protectTag?: string;
  /** Onboard every managed instance of the account and region instead of tagged ones. */
  readonly protectAllInstances?: boolean;
  /** Seconds between association runs. */
  readonly onboardingInterval?: number;
  /** The agent version to install: `latest` or 1.300070.0 or later. */
  readonly agentVersion?: string;
  /** The account-level subscription filter policy. */
  readonly accountIntake?: boolean;
}

/** jail.local option names of the intake settings, for error messages. */
export const INTAKE_OPTION_NAMES =
  "onboarding, protect_tag, protect_all_instances, onboarding_interval, agent_version, account_intake";

/**
 * Reads one `[cloudjail]` option if it is an intake option (`onboarding = false`, `protect_tag = team:ssh`,
 * `onboarding_interval = 1h`, ...): returns the settings so far with it, or undefined when `key` (normalised: no
 * `_`/`-`/`.`) is not one.
 */
export function readIntakeOption(
  key: string,
  text: string,
  current: IntakeSettings,
  parseBoolean: (text: string) => boolean,
): IntakeSettings | undefined {
  switch (key) {
    case "onboarding":
      return { ...current, onboarding: parseBoolean(text) };
    case "protecttag":
      return { ...current, protectTag: nonEmpty(text, "a tag key, e.g. cloudjail:protect") };
    case "protectallinstances":
      return { ...current, protectAllInstances: parseBoolean(text) };
    case "onboardinginterval":
      return { ...current, onboardingInterval: parseDuration(text) };
    case "agentversion":
      return { ...current, agentVersion: nonEmpty(text, "latest, or a version such as 1.300070.0") };
    case "accountintake":
      return { ...current, accountIntake: parseBoolean(text) };
    default:
      return undefined;
  }
}

function nonEmpty(text: string, what: string): string {
  const value = text.trim();
  if (value === "") throw new Error(`empty: write ${what}`);
  return value;
}
