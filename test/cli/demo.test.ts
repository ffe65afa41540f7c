import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEMO_LOG } from "../../bin/cli/demo";
import { ProgressBar } from "../../bin/local/demo-progress";
import { type DemoRunOptions, runDemo } from "../../bin/local/demo-run";
import { DEFAULT_AGGREGATION } from "../../lambda/core/nacl-settings";
import { demoConfig } from "./support/stack-config";

const capturedLog = readFileSync(DEFAULT_DEMO_LOG, "utf8");
const noBar = new ProgressBar({ isTTY: false, columns: 80, write: () => true }, undefined);

async function demo(input: Readable, options: Partial<DemoRunOptions> = {}) {
  let output = "";
  const summary = await runDemo({
    input,
    live: false,
    config: demoConfig(),
    speed: "max",
    write: (text) => {
      output += text;
    },
    progress: noBar,
    bytesRead: () => 0,
    ...options,
  });
  return { output, summary };
}

/** `[time, ip]` of every timeline line of `kind` (BAN or UNBAN). */
function events(output: string, kind: "BAN" | "UNBAN"): Array<[string, string]> {
  return [...output.matchAll(new RegExp(`^(\\d\\d:\\d\\d:\\d\\d)  ${kind} +(\\S+)`, "gm"))].map((match) => [
    match[1] ?? "",
    match[2] ?? "",
  ]);
}

const minutes = (time: string) => {
  const [h, m, s] = time.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0) + (s ?? 0) / 60;
};

/** The captured log's first lines: the admin's login and the first attacker's four wrong root passwords. */
const firstAttack = capturedLog
  .split("\n")
  .filter((line) => /192\.0\.2\.44|203\.0\.113\.10/.test(line))
  .slice(0, 20)
  .join("\n");

describe("cloudjail demo on the captured log (npm start)", () => {
  let replay: Awaited<ReturnType<typeof demo>>;
  beforeAll(async () => {
    replay = await demo(Readable.from([capturedLog]));
  });

  it("bans the attackers, lifts the bans when the hour has passed in log time, and bans the returning one again", () => {
    const { output, summary } = replay;
    const bans = events(output, "BAN");
    expect(bans.map(([, ip]) => ip).sort()).toEqual(
      [
        "198.51.100.23",
        "198.51.100.80",
        "2001:db8:4::77",
        "203.0.113.10",
        "203.0.113.10",
        "203.0.113.99",
      ].sort(),
    );
    for (const innocent of ["192.0.2.44", "103.1.2.3", "198.51.100.51", "203.0.113.200"]) {
      expect(output).not.toMatch(new RegExp(`(BAN|written).*${innocent.replaceAll(".", "\\.")}`));
    }
    const unbans = events(output, "UNBAN");
    expect(unbans.map(([, ip]) => ip).sort()).toEqual([
      "198.51.100.23",
      "198.51.100.80",
      "2001:db8:4::77",
      "203.0.113.10",
    ]);
    for (const [time, ip] of unbans) {
      const banned = bans.find(([, bannedIp]) => bannedIp === ip)?.[0] ?? "";
      expect(minutes(time) - minutes(banned)).toBeGreaterThanOrEqual(60);
      expect(minutes(time) - minutes(banned)).toBeLessThanOrEqual(61);
    }
    const [rebanned] = bans.filter(([, ip]) => ip === "203.0.113.10").slice(1);
    expect(minutes(rebanned?.[0] ?? "")).toBeGreaterThan(
      minutes(unbans.find(([, ip]) => ip === "203.0.113.10")?.[0] ?? ""),
    );
    expect(summary).toMatchObject({ bans: 6, unbans: 4 });
    expect(summary.unbannerRuns).toBeGreaterThanOrEqual(60);
  });

  it("ends with the NACL table and the status view", () => {
    const end = replay.output.slice(replay.output.lastIndexOf("Network ACL "));
    expect(end.match(/^ +\d+ +DENY +\S+/gm)?.map((row) => row.trim().split(/ +/).slice(0, 3))).toEqual([
      ["1", "DENY", "203.0.113.10/32"],
      ["5", "DENY", "203.0.113.99/32"],
    ]);
    expect(end).toContain("Status for the jail: sshd\n");
    expect(end).toContain("   |- Currently banned:\t2\n   |- Total banned:\t6\n");
    expect(end).toContain("`- Banned IP list:\t203.0.113.99 203.0.113.10\n");
  });
});

describe("cloudjail demo --log - (standard input)", () => {
  it("bans from lines as they arrive and prints the tables when the input ends", async () => {
    const input = new PassThrough();
    const running = demo(input, { live: true });
    input.write(`${firstAttack}\n`);
    input.end();
    const { output } = await running;
    expect(events(output, "BAN").map(([, ip]) => ip)).toEqual(["203.0.113.10"]);
    expect(output).toContain("Banned IP list:\t203.0.113.10\n");
  });

  it("still prints the tables when stopped by Ctrl-C while the feed is open", async () => {
    const input = new PassThrough();
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = demo(input, { live: true, stop: stopped });
    input.write(`${firstAttack}\n`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    stop();
    const { output } = await running;
    expect(output).toContain("Status for the jail: sshd\n");
    expect(output).toContain("Banned IP list:\t203.0.113.10\n");
  });
});

describe("cloudjail demo --data DIR", () => {
  it("keeps bans and NACL entries between runs, and counts nothing twice when the same log is replayed", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "cloudjail-demo-"));
    const first = await demo(Readable.from([firstAttack]), { dataDir });
    expect(events(first.output, "BAN")).toHaveLength(1);
    const second = await demo(Readable.from([firstAttack]), { dataDir });
    expect(events(second.output, "BAN")).toEqual([]);
    expect(second.summary.failures).toBe(0);
    expect(second.output).toMatch(/^ +1 +DENY +203\.0\.113\.10\/32/m);
    expect(second.output).toContain("   |- Currently banned:\t1\n   |- Total banned:\t1\n");
  });
});

describe("cloudjail demo with aggregation on", () => {
  it("writes covering entries as the Lambdas do (DescribeVpcs through the EC2 endpoint) and unbans covered members", async () => {
    const config = demoConfig({ aggregation: { ...DEFAULT_AGGREGATION, threshold: 2 } });
    const { output } = await demo(Readable.from([capturedLog]), { config });
    expect(output).toMatch(/^ +\+ acl-\S+ rule \d+: deny 198\.51\.100\.0\/24 all traffic {2}\(written\)$/m);
    expect(events(output, "UNBAN").map(([, ip]) => ip)).toEqual(
      expect.arrayContaining(["198.51.100.23", "198.51.100.80", "198.51.100.0/24"]),
    );
    const end = output.slice(output.lastIndexOf("Network ACL "));
    expect(end.match(/^ +\d+ +DENY +\S+/gm)?.map((row) => row.trim().split(/ +/)[2])).toEqual([
      "203.0.113.0/24",
    ]);
  });
});
