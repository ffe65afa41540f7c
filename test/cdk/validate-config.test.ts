import { describe, expect, it } from "vitest";
import { parseJailConf } from "../../lambda/core/config";
import type { CloudjailConfig, JailConfig } from "../../lambda/core/types";
import { CloudjailSettingsError } from "../../lib/cloudjail-settings-error";
import { validateCloudjailConfig } from "../../lib/validate-config";

const SEED = `[DEFAULT]
ignoreip = 127.0.0.1/8 ::1 103.1.2.3
bantime  = 3600
findtime  = 300
maxretry = 3

[sshd]
enabled = true

[cloudjail]
vpc_ids = vpc-0123456789abcdef0
reserved_rule_range = 1-99
`;

const seed = (): CloudjailConfig => parseJailConf(SEED, "jail.local").config;

function withNacl(config: CloudjailConfig, nacl: Partial<CloudjailConfig["nacl"]>): CloudjailConfig {
  return { ...config, nacl: { ...config.nacl, ...nacl } };
}

function withJail(
  config: CloudjailConfig,
  jail: Partial<Record<keyof JailConfig, unknown>>,
): CloudjailConfig {
  return { ...config, jails: config.jails.map((each) => ({ ...each, ...jail }) as JailConfig) };
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CloudjailSettingsError);
    return (error as Error).message;
  }
  throw new Error("expected a CloudjailSettingsError");
}

describe("validating the configuration at synth", () => {
  it("accepts the seed article's jail.local protecting one VPC", () => {
    expect(validateCloudjailConfig(seed(), [100, 32767 - 1])).toEqual([]);
  });

  it("rejects an empty VPC list and says which context key to set", () => {
    const message = errorOf(() => validateCloudjailConfig(withNacl(seed(), { vpcIds: [], naclIds: [] })));
    expect(message).toMatch(/protected VPCs is empty/);
    expect(message).toMatch(/"cloudjail:vpcIds"/);
  });

  it("rejects an overflow target AWS would refuse when the configuration is a typed object", () => {
    const withOverflow = (overflow: unknown) => ({ ...seed(), overflow }) as CloudjailConfig;
    expect(
      errorOf(() => validateCloudjailConfig(withOverflow({ kind: "network-firewall", capacity: 50_000 }))),
    ).toMatch(/overflow: rule group capacity 50000 is not valid: .*1-30000/);
    expect(errorOf(() => validateCloudjailConfig(withOverflow({ kind: "waf", scope: "GLOBAL" })))).toMatch(
      /overflow: WAF scope "GLOBAL" is unknown/,
    );
    expect(errorOf(() => validateCloudjailConfig(withOverflow({ kind: "shield" })))).toMatch(
      /overflow: kind "shield" is unknown/,
    );
    expect(validateCloudjailConfig(withOverflow({ kind: "waf", scope: "CLOUDFRONT", ipv6: false }))).toEqual(
      [],
    );
  });

  it("accepts NACL ids instead of VPC ids", () => {
    expect(() =>
      validateCloudjailConfig(withNacl(seed(), { vpcIds: [], naclIds: ["acl-0123456789abcdef0"] })),
    ).not.toThrow();
  });

  it("rejects ids that are not VPC or NACL ids, naming the expected form", () => {
    expect(errorOf(() => validateCloudjailConfig(withNacl(seed(), { vpcIds: ["subnet-0123abcd"] })))).toMatch(
      /"subnet-0123abcd" is not a VPC id: use the form vpc-/,
    );
    expect(errorOf(() => validateCloudjailConfig(withNacl(seed(), { naclIds: ["acl-xyz"] })))).toMatch(
      /"acl-xyz" is not a network ACL id/,
    );
  });

  it("rejects a reserved range that overlaps the user's own rules, naming them and a free range", () => {
    const message = errorOf(() => validateCloudjailConfig(seed(), [100, 50, 10]));
    expect(message).toMatch(/reserved rule range 1-99 overlaps your own NACL rules 10, 50/);
    expect(message).toMatch(/renumber your rules/);
    const movable = errorOf(() =>
      validateCloudjailConfig(withNacl(seed(), { reservedRuleRange: { first: 200, last: 219 } }), [210, 300]),
    );
    expect(movable).toMatch(/e\.g\. to 1-20/);
  });

  it("warns when a user rule is numbered below the reserved range and would win over a ban", () => {
    const config = withNacl(seed(), { reservedRuleRange: { first: 100, last: 119 } });
    const [warning] = validateCloudjailConfig(config, [90, 200]);
    expect(warning).toMatch(/rules numbered 90 come before cloudjail's range 100-119/);
  });

  it("rejects rule numbers AWS does not allow", () => {
    expect(errorOf(() => validateCloudjailConfig(seed(), [40000]))).toMatch(/not a NACL rule number/);
    const inverted = withNacl(seed(), { reservedRuleRange: { first: 50, last: 10 } });
    expect(errorOf(() => validateCloudjailConfig(inverted))).toMatch(/range 50-10 is empty/);
  });

  it("rejects a bantime below one minute but accepts a permanent ban", () => {
    expect(errorOf(() => validateCloudjailConfig(withJail(seed(), { bantime: 30 })))).toMatch(
      /jail \[sshd\]: bantime 30s is below one minute.*set bantime to 1m or more/,
    );
    expect(() => validateCloudjailConfig(withJail(seed(), { bantime: -1 }))).not.toThrow();
    expect(() => validateCloudjailConfig(withJail(seed(), { bantime: 60 }))).not.toThrow();
  });

  it("rejects an unknown filter or mode, listing the valid ones", () => {
    expect(errorOf(() => validateCloudjailConfig(withJail(seed(), { filter: "apache-auth" })))).toMatch(
      /filter "apache-auth" is unknown: use one of sshd, recidive, custom/,
    );
    expect(errorOf(() => validateCloudjailConfig(withJail(seed(), { mode: "paranoid" })))).toMatch(
      /mode "paranoid" is unknown: use one of normal, ddos, extra, aggressive/,
    );
  });

  it("rejects a configuration in which no jail is enabled", () => {
    expect(errorOf(() => validateCloudjailConfig(withJail(seed(), { enabled: false })))).toMatch(
      /no jail is enabled/,
    );
  });
});
