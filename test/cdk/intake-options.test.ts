import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseJailConf } from "../../lambda/core/jail-file-config";
import { SYNTH_TIMEOUT, synthCloudjail } from "./support/synth-cloudjail";

const jailLocal = (cloudjail: string) =>
  `[sshd]\nenabled = true\n[cloudjail]\nvpc_ids = vpc-0123456789abcdef0\n${cloudjail}\n`;

function configFile(cloudjail: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "cloudjail-intake-")), "jail.local");
  writeFileSync(file, jailLocal(cloudjail));
  return file;
}

describe("the [cloudjail] intake options", () => {
  it("are read from jail.local", () => {
    const { config } = parseJailConf(
      jailLocal(
        "onboarding = true\nprotect_tag = team:ssh\nprotect_all_instances = false\nonboarding_interval = 1h\n" +
          "agent_version = 1.300071.0\naccount_intake = yes",
      ),
      "jail.local",
    );
    expect(config.intake).toEqual({
      onboarding: true,
      protectTag: "team:ssh",
      protectAllInstances: false,
      onboardingInterval: 3600,
      agentVersion: "1.300071.0",
      accountIntake: true,
    });
  });

  it("refuse a value that is not one, naming the line", () => {
    expect(() => parseJailConf(jailLocal("onboarding_interval = soon"), "jail.local")).toThrow(
      /jail\.local:5 .*onboarding_interval/,
    );
  });

  it(
    "reach the stack: the tag key, the schedule and the account-wide intake they ask for",
    () => {
      const { template } = synthCloudjail({
        "cloudjail:config": configFile(
          "protect_tag = team:ssh\nonboarding_interval = 1h\naccount_intake = true",
        ),
      });
      template.allResourcesProperties("AWS::SSM::Association", {
        Targets: [{ Key: "tag-key", Values: ["team:ssh"] }],
        ScheduleExpression: "rate(1 hour)",
      });
      template.resourceCountIs("AWS::Logs::AccountPolicy", 1);
    },
    SYNTH_TIMEOUT,
  );

  it(
    "turn onboarding off, and refuse a schedule State Manager does not take",
    () => {
      const { template } = synthCloudjail({ "cloudjail:config": configFile("onboarding = false") });
      template.resourceCountIs("AWS::SSM::Association", 0);
      expect(() => synthCloudjail({ "cloudjail:config": configFile("onboarding_interval = 10m") })).toThrow(
        /30 minutes/,
      );
    },
    SYNTH_TIMEOUT,
  );
});
