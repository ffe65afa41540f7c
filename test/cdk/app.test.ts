import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { App } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import { describe, expect, it } from "vitest";
import { parseJailConf } from "../../lambda/core/config";
import { CONTEXT, stackPropsFromContext } from "../../lib/app-context";
import { CloudjailSettingsError } from "../../lib/cloudjail-settings-error";
import { REPO_ROOT, SEED_JAIL_LOCAL, SYNTH_TIMEOUT } from "./support/synth-cloudjail";

const run = promisify(execFile);
const scratch = mkdtempSync(path.join(tmpdir(), "cloudjail-app-"));

/** Runs bin/app.ts as `cdk synth` does, with context as the CDK CLI passes it; resolves with exit code and stderr. */
async function synthWith(context: Record<string, unknown>): Promise<{ code: number; stderr: string }> {
  const env = {
    ...process.env,
    CDK_CONTEXT_JSON: JSON.stringify({ "aws:cdk:bundling-stacks": [], ...context }),
    CDK_OUTDIR: mkdtempSync(path.join(scratch, "out-")),
  };
  try {
    const { stderr } = await run(process.execPath, ["--import", "tsx", "bin/app.ts"], {
      cwd: REPO_ROOT,
      env,
    });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

function jailLocal(name: string, text: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  return file;
}

const VPC = "vpc-0123456789abcdef0";

// Each case is a separate `cdk synth` process, mostly waiting on module loading: run them side by side.
describe.concurrent("cdk synth with a configuration that cannot work", () => {
  it(
    "stops on an empty VPC list and says which context key to set",
    async () => {
      const { code, stderr } = await synthWith({ [CONTEXT.config]: SEED_JAIL_LOCAL });
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /^cloudjail: the list of protected VPCs is empty: set cdk.json context "cloudjail:vpcIds"/m,
      );
    },
    SYNTH_TIMEOUT,
  );

  it(
    "stops on a bantime below a minute, naming the jail",
    async () => {
      const config = jailLocal("short.local", "[sshd]\nenabled = true\nbantime = 30\n");
      const { code, stderr } = await synthWith({ [CONTEXT.config]: config, [CONTEXT.vpcIds]: [VPC] });
      expect(code).toBe(1);
      expect(stderr).toMatch(/^cloudjail: jail \[sshd\]: bantime 30s is below one minute/m);
    },
    SYNTH_TIMEOUT,
  );

  it(
    "stops on an unknown sshd mode, with the file and line",
    async () => {
      const config = jailLocal("mode.local", "[sshd]\nenabled = true\nmode = paranoid\n");
      const { code, stderr } = await synthWith({ [CONTEXT.config]: config, [CONTEXT.vpcIds]: [VPC] });
      expect(code).toBe(1);
      expect(stderr).toMatch(/^cloudjail: .*mode\.local:3.*paranoid/m);
    },
    SYNTH_TIMEOUT,
  );

  it(
    "stops when the reserved range overlaps the user's own NACL rules",
    async () => {
      const { code, stderr } = await synthWith({
        [CONTEXT.config]: SEED_JAIL_LOCAL,
        [CONTEXT.vpcIds]: [VPC],
        [CONTEXT.userRuleNumbers]: "50,100",
      });
      expect(code).toBe(1);
      expect(stderr).toMatch(/^cloudjail: the reserved rule range 1-99 overlaps your own NACL rules 50:/m);
    },
    SYNTH_TIMEOUT,
  );

  it(
    "stops when the configuration file is missing and says how to name one",
    async () => {
      const { code, stderr } = await synthWith({ [CONTEXT.config]: path.join(scratch, "absent.local") });
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /^cloudjail: cannot read the configuration file .*absent\.local: .*"cloudjail:config"/m,
      );
    },
    SYNTH_TIMEOUT,
  );
});

describe("reading cdk.json context", () => {
  const seed = parseJailConf(
    "[sshd]\nenabled = true\n[cloudjail]\nvpc_ids = vpc-0aaaaaaaaaaaaaaaa\n",
    "jail.local",
  );
  const propsFrom = (context: Record<string, unknown>) =>
    stackPropsFromContext(new App({ context }), () => seed);

  it("takes lists as JSON arrays or as comma-separated -c values", () => {
    expect(propsFrom({ [CONTEXT.vpcIds]: [VPC, "vpc-0bbbbbbbbbbbbbbbb"] }).config.nacl.vpcIds).toEqual([
      VPC,
      "vpc-0bbbbbbbbbbbbbbbb",
    ]);
    const props = propsFrom({
      [CONTEXT.naclIds]: "acl-0123456789abcdef0, acl-0fedcba9876543210",
      [CONTEXT.userRuleNumbers]: "100,200",
    });
    expect(props.config.nacl.naclIds).toEqual(["acl-0123456789abcdef0", "acl-0fedcba9876543210"]);
    expect(props.userRuleNumbers).toEqual([100, 200]);
  });

  it("lets context VPC ids replace the configuration file's, and keeps the file's when unset or empty", () => {
    expect(propsFrom({ [CONTEXT.vpcIds]: VPC }).config.nacl.vpcIds).toEqual([VPC]);
    expect(propsFrom({}).config.nacl.vpcIds).toEqual(["vpc-0aaaaaaaaaaaaaaaa"]);
    expect(propsFrom({ [CONTEXT.vpcIds]: [], [CONTEXT.naclIds]: [] }).config.nacl.vpcIds).toEqual([
      "vpc-0aaaaaaaaaaaaaaaa",
    ]);
  });

  it("reads the alert e-mail, log groups, retention and switches", () => {
    const props = propsFrom({
      [CONTEXT.alertEmail]: "ops@example.com",
      [CONTEXT.logGroupNames]: ["/fleet/auth"],
      [CONTEXT.logRetentionDays]: 30,
      [CONTEXT.shipAgentLogs]: "false",
      [CONTEXT.reserveConcurrency]: true,
    });
    expect(props).toMatchObject({
      alertEmail: "ops@example.com",
      existingLogGroupNames: ["/fleet/auth"],
      logRetention: logs.RetentionDays.ONE_MONTH,
      shipAgentLogs: false,
      reserveConcurrency: true,
    });
  });

  it("rejects values it cannot use, naming the key", () => {
    expect(() => propsFrom({ [CONTEXT.userRuleNumbers]: "100,abc" })).toThrow(CloudjailSettingsError);
    expect(() => propsFrom({ [CONTEXT.userRuleNumbers]: "100,abc" })).toThrow(
      /"cloudjail:userRuleNumbers": "abc"/,
    );
    expect(() => propsFrom({ [CONTEXT.logRetentionDays]: 31 })).toThrow(
      /31 is not a CloudWatch Logs retention/,
    );
    expect(() => propsFrom({ [CONTEXT.shipAgentLogs]: "maybe" })).toThrow(
      /"cloudjail:shipAgentLogs" must be true or false/,
    );
  });
});
