import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EC2Client } from "@aws-sdk/client-ec2";
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { describe, expect, it } from "vitest";
import { DEFAULT_NACL_SETTINGS } from "../../lambda/core/config";
import type { CloudjailConfig } from "../../lambda/core/types";
import { RUNTIME_ENVIRONMENT } from "../../lambda/handlers/environment";
import {
  clientsFromEnvironment,
  createRuntime,
  RuntimeConfigError,
  readRuntimeEnvironment,
} from "../../lambda/handlers/runtime";
import { sshdJail } from "../support/jails";

const CONFIG: CloudjailConfig = {
  jails: [sshdJail()],
  nacl: { ...DEFAULT_NACL_SETTINGS, vpcIds: ["vpc-0123456789abcdef0"] },
};
const WAF = { kind: "waf", scope: "REGIONAL", ipv4: { name: "cj-v4", id: "v4-id" } } as const;

function env(overflow?: string) {
  return {
    [RUNTIME_ENVIRONMENT.table]: "cloudjail-state",
    [RUNTIME_ENVIRONMENT.config]: JSON.stringify(CONFIG),
    ...(overflow === undefined ? {} : { [RUNTIME_ENVIRONMENT.overflow]: overflow }),
  };
}

describe("CLOUDJAIL_OVERFLOW at cold start", () => {
  it("is optional: without it the runtime has no overflow target and builds no client for one", () => {
    const environment = readRuntimeEnvironment(env());
    expect(environment.overflow).toBeUndefined();
    const clients = clientsFromEnvironment(environment);
    expect(clients.wafv2 ?? clients.networkFirewall).toBeUndefined();
  });

  it("names the target the runtime keeps the overflow bans in", () => {
    const environment = readRuntimeEnvironment(env(JSON.stringify(WAF)));
    expect(environment.overflow).toEqual(WAF);
    expect(clientsFromEnvironment(environment).wafv2).toBeInstanceOf(WAFV2Client);
    const runtime = createRuntime(environment, {
      dynamodb: new DynamoDBClient({ region: "us-east-1" }),
      ec2: new EC2Client({ region: "us-east-1" }),
      wafv2: new WAFV2Client({ region: "us-east-1" }),
    });
    expect(runtime.overflow).toBeDefined();
  });

  it("fails the start with the variable's name when it is wrong", () => {
    expect(() => readRuntimeEnvironment(env("{"))).toThrow(RuntimeConfigError);
    expect(() => readRuntimeEnvironment(env(JSON.stringify({ ...WAF, scope: "GLOBAL" })))).toThrow(
      /CLOUDJAIL_OVERFLOW: scope/,
    );
  });
});

describe("the runtime's AWS clients", () => {
  it("retry EC2 and the overflow target's service with the SDK's adaptive mode, 6 attempts in all", async () => {
    const clients = clientsFromEnvironment(readRuntimeEnvironment(env(JSON.stringify(WAF))));
    for (const client of [clients.ec2, clients.wafv2]) {
      const strategy = (await client?.config.retryStrategy()) as { mode?: string } | undefined;
      expect(strategy?.mode).toBe("adaptive");
      expect(await client?.config.maxAttempts()).toBe(6);
    }
  });
});
