import { afterEach, describe, expect, it, vi } from "vitest";
import { NaclModel } from "../../bin/local/nacl-model";
import { DEFAULT_NACL_SETTINGS } from "../../lambda/core/config";
import { METRIC, METRICS_NAMESPACE } from "../../lambda/core/telemetry";
import type { CloudjailConfig } from "../../lambda/core/types";
import { useDynalite } from "../support/dynalite";
import { mockEc2WithNaclModel } from "../support/ec2-nacl-mock";
import { sshdJail } from "../support/jails";
import { attackLines, logsEvent } from "../support/runtime-world";

const db = useDynalite();
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.restoreAllMocks();
  vi.resetModules();
});

function configure(env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

describe("the Lambda entry files", () => {
  it("run unchanged against the endpoints of the SDK's standard variables, with Powertools metrics", async () => {
    const model = new NaclModel({ quota: 20 });
    const vpcId = model.addVpc({ cidrBlock: "10.9.0.0/16" });
    const ec2 = mockEc2WithNaclModel(model);
    await db.createTable("entry-table");
    const config: CloudjailConfig = {
      jails: [sshdJail()],
      nacl: { ...DEFAULT_NACL_SETTINGS, vpcIds: [vpcId] },
    };
    configure({
      CLOUDJAIL_TABLE: "entry-table",
      CLOUDJAIL_CONFIG: JSON.stringify(config),
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      POWERTOOLS_DEV: undefined,
      POWERTOOLS_METRICS_DISABLED: undefined,
    });
    const written: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const { handler } = await import("../../lambda/handlers/responder");
      const now = Date.now();
      const summary = await handler(
        logsEvent(attackLines(["203.0.113.9"], 5, now), { logStream: "i-0abc", at: now }),
        { awsRequestId: "request-1" },
      );
      expect(summary.bans).toEqual(["203.0.113.9"]);
      const { handler: unbanner } = await import("../../lambda/handlers/unbanner");
      expect((await unbanner({})).reconcile.activeBans).toBe(1);
    } finally {
      ec2.restore();
    }
    const entries = model
      .entriesOf(model.defaultNaclOf(vpcId))
      .filter((entry) => entry.RuleAction === "deny" && entry.RuleNumber === 1);
    expect(entries[0]?.CidrBlock).toBe("203.0.113.9/32");
    const emf = written
      .flatMap((line) => line.split("\n"))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line));
    const responderMetrics = emf.find((blob) => blob[METRIC.bans] !== undefined);
    expect(responderMetrics?._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS_NAMESPACE);
    expect(responderMetrics?.[METRIC.bans]).toBe(1);
    const logLines = written.filter((line) => line.includes('"failures counted"'));
    expect(logLines.length).toBe(1);
  });

  it("fail the cold start, naming the variable, when the configuration is missing", async () => {
    configure({ CLOUDJAIL_TABLE: undefined, CLOUDJAIL_CONFIG: "{}" });
    await expect(import("../../lambda/handlers/responder")).rejects.toThrow(/CLOUDJAIL_TABLE is not set/);
    vi.resetModules();
    configure({ CLOUDJAIL_TABLE: "t", CLOUDJAIL_CONFIG: '{"jails": {"sshd": {"bantime": "soon"}}}' });
    await expect(import("../../lambda/handlers/unbanner")).rejects.toThrow(/CLOUDJAIL_CONFIG.*bantime/);
  });
});
