import { ConfigError } from "../lambda/core/config-error";
import { checkConfigRules, checkJailRules } from "../lambda/core/config-rules";
import { NETWORK_FIREWALL_CAPACITY_MAX } from "../lambda/core/overflow-settings";
import type { CloudjailConfig, OverflowSettings } from "../lambda/core/types";
import { CloudjailSettingsError } from "./cloudjail-settings-error";

/** AWS network ACL rule numbers run from 1 to 32766. */
const RULE_NUMBER_MIN = 1;
const RULE_NUMBER_MAX = 32766;
const VPC_ID = /^vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;
const NACL_ID = /^acl-[0-9a-f]{8}(?:[0-9a-f]{9})?$/;

/**
 * Checks a resolved configuration before anything is synthesized. Throws a {@link CloudjailSettingsError} whose
 * message says what to change; returns warnings for settings that deploy but probably do not do what was meant.
 */
export function validateCloudjailConfig(
  config: CloudjailConfig,
  userRuleNumbers: readonly number[] = [],
): readonly string[] {
  checkProtectedNetwork(config);
  checkOverflow(config.overflow);
  asSettingsError(() => checkConfigRules({ jails: [], enforce: config.enforce }));
  for (const jail of config.jails) asSettingsError(() => checkJailRules(jail));
  if (!config.jails.some((jail) => jail.enabled)) {
    throw new CloudjailSettingsError(
      'no jail is enabled: add "enabled = true" to a jail section of the configuration (e.g. [sshd])',
    );
  }
  return checkRuleNumbers(config, userRuleNumbers);
}

function checkProtectedNetwork(config: CloudjailConfig): void {
  const { vpcIds, naclIds = [] } = config.nacl;
  if (vpcIds.length === 0 && naclIds.length === 0) {
    throw new CloudjailSettingsError(
      'the list of protected VPCs is empty: set cdk.json context "cloudjail:vpcIds" to the VPCs to protect ' +
        '(e.g. ["vpc-0123456789abcdef0"]) or "cloudjail:naclIds" to the network ACLs cloudjail may write to ' +
        "(or vpc_ids / nacl_ids in the [cloudjail] section of jail.local)",
    );
  }
  for (const id of vpcIds) {
    if (!VPC_ID.test(id)) {
      throw new CloudjailSettingsError(`"${id}" is not a VPC id: use the form vpc-0123456789abcdef0`);
    }
  }
  for (const id of naclIds) {
    if (!NACL_ID.test(id)) {
      throw new CloudjailSettingsError(`"${id}" is not a network ACL id: use the form acl-0123456789abcdef0`);
    }
  }
}

/** A configuration written as a typed object in a CDK app has not been through the file parsers' checks. */
function checkOverflow(overflow: OverflowSettings | undefined): void {
  if (overflow === undefined) return;
  if (overflow.kind === "waf") {
    if (overflow.scope !== "REGIONAL" && overflow.scope !== "CLOUDFRONT") {
      throw new CloudjailSettingsError(
        `overflow: WAF scope "${overflow.scope}" is unknown: use REGIONAL (ALB, API Gateway) or CLOUDFRONT`,
      );
    }
    return;
  }
  if (overflow.kind !== "network-firewall") {
    throw new CloudjailSettingsError(
      `overflow: kind "${(overflow as { kind: unknown }).kind}" is unknown: use waf or network-firewall`,
    );
  }
  const { capacity } = overflow;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > NETWORK_FIREWALL_CAPACITY_MAX) {
    throw new CloudjailSettingsError(
      `overflow: rule group capacity ${capacity} is not valid: AWS allows a whole number 1-${NETWORK_FIREWALL_CAPACITY_MAX}`,
    );
  }
}

/** The jail rules live in lambda/core/config-rules.ts, shared with `cloudjail replay`. */
function asSettingsError(check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof ConfigError) throw new CloudjailSettingsError(error.message);
    throw error;
  }
}

function checkRuleNumbers(config: CloudjailConfig, userRuleNumbers: readonly number[]): readonly string[] {
  const { first, last } = config.nacl.reservedRuleRange;
  if (
    !Number.isInteger(first) ||
    !Number.isInteger(last) ||
    first < RULE_NUMBER_MIN ||
    last > RULE_NUMBER_MAX
  ) {
    throw new CloudjailSettingsError(
      `the reserved rule range ${first}-${last} is not valid: NACL rule numbers are whole numbers from ` +
        `${RULE_NUMBER_MIN} to ${RULE_NUMBER_MAX}`,
    );
  }
  if (first > last) {
    throw new CloudjailSettingsError(
      `the reserved rule range ${first}-${last} is empty: its first number must not exceed its last`,
    );
  }
  for (const number of userRuleNumbers) {
    if (!Number.isInteger(number) || number < RULE_NUMBER_MIN || number > RULE_NUMBER_MAX) {
      throw new CloudjailSettingsError(
        `"${number}" in "cloudjail:userRuleNumbers" is not a NACL rule number (${RULE_NUMBER_MIN}-${RULE_NUMBER_MAX})`,
      );
    }
  }
  const clashes = userRuleNumbers.filter((number) => number >= first && number <= last);
  if (clashes.length > 0) {
    throw new CloudjailSettingsError(
      `the reserved rule range ${first}-${last} overlaps your own NACL rules ${[...new Set(clashes)].sort((a, b) => a - b).join(", ")}: ` +
        "cloudjail would replace or delete them. Move the reserved range (cloudjail's nacl rule range setting) " +
        `${suggestion(first, last, userRuleNumbers)}, or renumber your rules`,
    );
  }
  const below = userRuleNumbers.filter((number) => number < first);
  return below.length === 0
    ? []
    : [
        `your NACL rules numbered ${below.join(", ")} come before cloudjail's range ${first}-${last}: the lowest ` +
          "number wins, so if one of them allows the banned traffic, the ban has no effect",
      ];
}

/** A free range of the same size below the user's lowest rule, where deny entries also win. */
function suggestion(first: number, last: number, userRuleNumbers: readonly number[]): string {
  const size = last - first + 1;
  const lowest = Math.min(...userRuleNumbers);
  return lowest - size >= RULE_NUMBER_MIN
    ? `below your rules, e.g. to 1-${size}`
    : "to numbers none of your rules use";
}
