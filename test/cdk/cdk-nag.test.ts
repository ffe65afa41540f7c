import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildCloudjail, SYNTH_TIMEOUT } from "./support/synth-cloudjail";

interface ValidationReport {
  pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
}

/** A jail.local with an enabled sshd jail and `cloudjail` as its [cloudjail] section. */
function configWith(cloudjail: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "cloudjail-nag-")), "jail.local");
  writeFileSync(file, `[sshd]\nenabled = true\n[cloudjail]\n${cloudjail}\n`);
  return file;
}

function report(outdir: string): ValidationReport {
  return JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8"));
}

describe("cdk-nag's AwsSolutions checks", () => {
  it.each([
    ["protected by VPC id (tag-scoped NACL writes)", { "cloudjail:vpcIds": ["vpc-0123456789abcdef0"] }],
    [
      "protected by NACL id",
      { "cloudjail:naclIds": ["acl-0123456789abcdef0"], "cloudjail:alertEmail": "a@b.example" },
    ],
    [
      "WAF IP sets are the overflow target",
      { "cloudjail:vpcIds": ["vpc-0123456789abcdef0"], "cloudjail:config": configWith("overflow = waf") },
    ],
    [
      "a Network Firewall rule group is the overflow target",
      {
        "cloudjail:vpcIds": ["vpc-0123456789abcdef0"],
        "cloudjail:config": configWith("overflow = network-firewall"),
      },
    ],
  ])(
    "pass with no unacknowledged finding when %s",
    (_, context) => {
      const { app } = buildCloudjail(context);
      expect(() => app.synth()).not.toThrow();
    },
    SYNTH_TIMEOUT,
  );

  describe("when the CDK CLI knows the account and region (cdk synth with credentials)", () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it(
      "pass with the NACL tag-scoped grant's ARN written with that account and region",
      () => {
        vi.stubEnv("CDK_DEFAULT_ACCOUNT", "123456789012");
        vi.stubEnv("CDK_DEFAULT_REGION", "eu-west-1");
        const { app } = buildCloudjail({ "cloudjail:vpcIds": ["vpc-0123456789abcdef0"] });
        expect(() => app.synth()).not.toThrow();
      },
      SYNTH_TIMEOUT,
    );
  });

  it(
    "run on every synth of the app: an unexplained wildcard grant fails it",
    () => {
      const { app, stack } = buildCloudjail({ "cloudjail:vpcIds": ["vpc-0123456789abcdef0"] });
      const role = stack.cloudjail.responder.role as iam.Role;
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ["ec2:*"], resources: ["*"] }));
      expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::ec2:\*\]/);
      const [awsSolutions] = report(app.outdir).pluginReports;
      expect(awsSolutions).toMatchObject({ pluginName: "AwsSolutions", conclusion: "failure" });
      expect(JSON.stringify(awsSolutions.violations)).toContain("AwsSolutions-IAM5[Action::ec2:*]");
    },
    SYNTH_TIMEOUT,
  );

  it(
    "record a reason next to every acknowledgement",
    () => {
      const { stack } = buildCloudjail({ "cloudjail:vpcIds": ["vpc-0123456789abcdef0"] });
      const acknowledgements = stack.node
        .findAll()
        .flatMap((construct) =>
          construct.node.metadata.filter(
            (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
          ),
        )
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
      expect(acknowledgements.length).toBeGreaterThanOrEqual(4);
      for (const [rule, reason] of acknowledgements) expect(String(reason).length, rule).toBeGreaterThan(40);
    },
    SYNTH_TIMEOUT,
  );
});
