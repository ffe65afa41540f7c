import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../bin/cli/errors";
import { runReplay } from "../../bin/cli/replay";
import { runTestFilter, type TestFilterOptions } from "../../bin/cli/test-filter";

/**
 * `--zone` of `test-filter` and `replay`: the zone of year-less, zone-less syslog stamps, by default this machine's
 * (TZ), printed in the output. The log is hand-written in RHEL's /var/log/secure format.
 */

const folder = mkdtempSync(join(tmpdir(), "cloudjail-zone-"));
const savedTz = process.env.TZ;
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Five failed passwords of 203.0.113.9, a minute apart, 07:00-07:04 local time on 25 November. */
const secure = join(folder, "secure");
writeFileSync(
  secure,
  `${[0, 1, 2, 3, 4]
    .map(
      (minute) =>
        `Nov 25 07:0${minute}:00 web1 sshd[${7100 + minute}]: Failed password for root from 203.0.113.9 port ${52200 + minute} ssh2`,
    )
    .join("\n")}\n`,
);
const jailLocal = join(folder, "jail.local");
writeFileSync(
  jailLocal,
  "[DEFAULT]\nbantime = 1h\nfindtime = 10m\nmaxretry = 5\n[sshd]\nenabled = true\n[cloudjail]\nvpc_ids = vpc-0123456789abcdef0\n",
);

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

async function testFilter(options: Partial<TestFilterOptions>): Promise<string> {
  const output = capture();
  await runTestFilter(secure, { filter: "sshd", mode: "normal", out: "summary", ...options }, output.stream);
  return output.text();
}

const times = (json: string) =>
  json
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { time: string }).time);

describe("cloudjail test-filter --zone", () => {
  it("reads the stamps in the zone named, DST and quarter hours included, and says so", async () => {
    expect(times(await testFilter({ out: "json", zone: "America/New_York", year: "2026" }))[0]).toBe(
      "2026-11-25T12:00:00.000Z",
    );
    expect(times(await testFilter({ out: "json", zone: "Asia/Kathmandu", year: "2026" }))[0]).toBe(
      "2026-11-25T01:15:00.000Z",
    );
    expect(times(await testFilter({ out: "json", zone: "+05:30", year: "2026" }))[4]).toBe(
      "2026-11-25T01:34:00.000Z",
    );
    expect(await testFilter({ zone: "Asia/Kathmandu" })).toContain("Time zone assumed: Asia/Katmandu");
  });

  it("assumes this machine's zone (TZ) when none is named, as fail2ban does", async () => {
    process.env.TZ = "Europe/Berlin";
    expect(await testFilter({})).toContain("Time zone assumed: Europe/Berlin");
    expect(times(await testFilter({ out: "json", year: "2026" }))[0]).toBe("2026-11-25T06:00:00.000Z");
  });

  it("refuses a zone that does not exist", async () => {
    await expect(testFilter({ zone: "Mars/Olympus_Mons" })).rejects.toThrow(UsageError);
  });
});

describe("cloudjail replay --zone", () => {
  async function replay(zone: string | undefined) {
    const out = capture();
    const err = capture();
    await runReplay(
      secure,
      { config: jailLocal, year: "2026", json: true, ...(zone === undefined ? {} : { zone }) },
      out.stream,
      err.stream,
      Date.UTC(2026, 11, 31),
    );
    const events = out
      .text()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { action: string; at: string });
    return { events, err: err.text() };
  }

  it("places the ban at the log's local time in the zone named, and prints the zone on standard error", async () => {
    const newYork = await replay("America/New_York");
    expect(newYork.events[0]).toMatchObject({ action: "ban", at: "2026-11-25T12:04:00.000Z" });
    expect(newYork.err).toContain("Time zone assumed: America/New_York");
    const utc = await replay("UTC");
    expect(utc.events[0]).toMatchObject({ action: "ban", at: "2026-11-25T07:04:00.000Z" });
  });
});
