import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { useDynalite } from "../support/dynalite";
import { repoConfig } from "./support/stack-config";

const cli = path.resolve(__dirname, "../../bin/cloudjail.js");
const scratch = mkdtempSync(path.join(tmpdir(), "cloudjail-cli-"));

/** An environment with no AWS credentials anywhere: no variables, no files, no instance metadata. */
const bareEnvironment = {
  PATH: process.env.PATH ?? "",
  HOME: scratch,
  AWS_CONFIG_FILE: path.join(scratch, "no-config"),
  AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, "no-credentials"),
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

function cloudjail(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [cli, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const db = useDynalite();

describe("the cloudjail process", () => {
  it("ends with exit code 2 and says how to get credentials when there are none", async () => {
    const result = await cloudjail(["status", "--region", "eu-west-1"], bareEnvironment);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^cloudjail: no AWS credentials found: run "aws configure" or "aws sso login"/,
    );
    expect(result.stdout).toBe("");
  });

  it("reads the table through the standard AWS_ENDPOINT_URL_DYNAMODB and ends with exit code 0", async () => {
    const stackFile = path.join(scratch, "stack.json");
    writeFileSync(
      stackFile,
      JSON.stringify({ stackName: "Cloudjail", tableName: db.tableName, config: repoConfig() }),
    );
    const env = {
      ...bareEnvironment,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    };
    const status = await cloudjail(["status", "--all", "--stack-file", stackFile], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("Status for the jail: sshd\n");
    const malformed = await cloudjail(["unban", "1.2.3", "--stack-file", stackFile], env);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toBe('cloudjail: "1.2.3" is not an IPv4 or IPv6 address or CIDR\n');
  });

  it("lists every command in --help, fail2ban-client's verbs among them", async () => {
    const help = await cloudjail(["--help"], bareEnvironment);
    expect(help.code).toBe(0);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z-]+)\b/gm)].map((match) => match[1]);
    expect(commands).toEqual(
      expect.arrayContaining(["status", "banned", "ban", "unban", "get", "set", "ping", "version", "reload"]),
    );
    expect(commands).toEqual(expect.arrayContaining(["fleet", "doctor", "test-filter", "replay", "demo"]));
  });

  it("ends reload with exit code 0 and a misspelled get key with exit code 2, needing no AWS", async () => {
    const reload = await cloudjail(["reload"], bareEnvironment);
    expect(reload.code).toBe(0);
    expect(reload.stdout).toContain("npx cdk deploy");
    const get = await cloudjail(["get", "sshd", "bantme"], bareEnvironment);
    expect(get.code).toBe(2);
    expect(get.stderr).toMatch(/did you mean "bantime"\?\n$/);
  });
});
