import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../bin/cli/errors";
import { runTestFilter, type TestFilterOptions } from "../../bin/cli/test-filter";

const folder = mkdtempSync(join(tmpdir(), "cloudjail-test-filter-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const LOG = [
  "Nov 25 10:59:25 web1 sshd[7172]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root",
  "Nov 25 10:59:27 web1 sshd[7172]: Failed password for root from 203.0.113.9 port 52200 ssh2",
  "Nov 25 10:59:28 web1 sshd[7172]: Connection closed by authenticating user root 203.0.113.9 port 52200 [preauth]",
  "Nov 25 11:00:01 web1 CRON[7200]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
  "Nov 25 11:00:02 web1 sshd[7201]: Invalid user x from 198.51.100.7 port 22 from 203.0.113.10 port 5555",
  "Nov 25 11:00:03 web1 sshd[7202]: error: kex_exchange_identification: Connection closed by remote host",
  "Nov 25 11:00:03 web1 sshd[7202]: Connection closed by 192.0.2.5 port 40000",
  "Nov 25 11:00:04 web1 sshd[7203]: Failed password for admin from 203.0.113.9 port 52201 ssh2",
  "Nov 25 11:00:05 web1 sshd[7204]: Accepted password for ec2-user from 192.0.2.6 port 40001 ssh2",
].join("\n");
const logFile = join(folder, "secure.log");
writeFileSync(logFile, `${LOG}\n`);

async function run(file: string, options: Partial<TestFilterOptions> = {}): Promise<string> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on("data", (chunk: Buffer) => chunks.push(chunk));
  await runTestFilter(file, { filter: "sshd", mode: "normal", out: "summary", ...options }, output);
  return Buffer.concat(chunks).toString("utf8");
}

describe("cloudjail test-filter", () => {
  it("prints one address per counted failure with --out ip", async () => {
    expect(await run(logFile, { out: "ip" })).toBe("203.0.113.9\n203.0.113.10\n203.0.113.9\n");
  });

  it("prints line number and address with --out row, and counts ddos lines in ddos mode", async () => {
    expect(await run(logFile, { out: "row", mode: "ddos" })).toBe(
      "2\t203.0.113.9\n5\t203.0.113.10\n6\t192.0.2.5\n8\t203.0.113.9\n",
    );
  });

  it("prints one JSON object per failure with --out json", async () => {
    const objects = (await run(logFile, { out: "json", year: "2025" }))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(objects[1]).toEqual({
      line: 5,
      time: "2025-11-25T11:00:02.000Z",
      ip: "203.0.113.10",
      user: "x from 198.51.100.7 port 22",
      pattern: "sshd.invalid-user",
      mode: "normal",
    });
    expect(objects).toHaveLength(3);
  });

  it("summarises lines, hits per pattern and failures per address, most first", async () => {
    const summary = await run(logFile);
    expect(summary).toContain("Lines: 9 read, 3 matched, 6 missed, 0 ignored, 0 skipped");
    expect(summary).toContain("Failures counted: 3 from 2 addresses");
    expect(summary).toMatch(/Hits per pattern:\n\s+2 {2}sshd\.failed-auth\n\s+1 {2}sshd\.invalid-user\n\n/);
    expect(summary).toMatch(
      /Failures per IP, most first:\n\s+2 {2}203\.0\.113\.9\n\s+1 {2}203\.0\.113\.10\n/,
    );
    expect(summary).toMatch(/Elapsed: \d+\.\d{3} s, \d+ lines\/s/);
  });

  it("lists apart, as not bannable, the failures sshd wrote with a host name or a non-canonical address", async () => {
    const file = join(folder, "names.log");
    writeFileSync(
      file,
      [
        "Feb 25 14:34:11 belka sshd[31607]: User root from example.com not allowed because not listed in AllowUsers",
        "Jun 21 16:47:48 host sshd[13709]: error: PAM: Authentication failure for myhlj1374 from 192.030.0.6",
        "Jun 21 16:47:49 host sshd[13710]: User admin from example.com not allowed because not in any group",
        "Jun 21 16:47:50 host sshd[13711]: Failed password for root from 203.0.113.9 port 5 ssh2",
      ].join("\n"),
    );
    const summary = await run(file);
    expect(summary).toContain("Failures counted: 1 from 1 addresses");
    expect(summary).toContain(
      "Not bannable (sshd wrote no address): 3 failures\n          2  example.com\n          1  192.030.0.6\n",
    );
    expect(await run(file, { out: "ip" })).toBe("203.0.113.9\n");
    expect(await run(logFile)).not.toContain("Not bannable");
  });

  it("reads a file without a final newline and with CRLF line ends", async () => {
    const file = join(folder, "crlf.log");
    writeFileSync(file, LOG.split("\n").join("\r\n"));
    expect(await run(file, { out: "ip" })).toBe("203.0.113.9\n203.0.113.10\n203.0.113.9\n");
  });

  it("streams lines longer than the limit as skipped without holding them", async () => {
    const file = join(folder, "long.log");
    writeFileSync(file, `${"x".repeat(3 << 20)}\n${LOG.split("\n")[1]}\n${"y".repeat(3 << 20)}`);
    const summary = await run(file);
    expect(summary).toContain("Lines: 3 read, 1 matched, 0 missed, 0 ignored, 2 skipped");
  });

  it("rejects an unknown mode, output, filter, a bad year and an unreadable file as usage errors", async () => {
    await expect(run(logFile, { mode: "paranoid" })).rejects.toThrow(
      /unknown mode "paranoid" \(valid: normal, ddos/,
    );
    await expect(run(logFile, { out: "xml" })).rejects.toThrow(/unknown output "xml"/);
    await expect(run(logFile, { filter: "apache" })).rejects.toThrow(/unknown filter "apache"/);
    await expect(run(logFile, { year: "26" })).rejects.toThrow(/invalid --year "26"/);
    await expect(run(join(folder, "missing.log"))).rejects.toThrow(
      /cannot read .*missing\.log: no such file/,
    );
    await expect(run(folder)).rejects.toThrow(UsageError);
  });

  it("runs a fail2ban filter file's failregex and ignoreregex with --filter <path>", async () => {
    const filterFile = join(folder, "myapp.conf");
    writeFileSync(
      filterFile,
      [
        "# a fail2ban filter.d file",
        "[INCLUDES]",
        "before = common.conf",
        "[Definition]",
        "failregex = ^%(__prefix_line)slogin failed for <F-USER>\\S+</F-USER> from <HOST>$",
        "            ^token rejected from <HOST>$",
        "ignoreregex = for healthcheck ",
        "",
      ].join("\n"),
    );
    const log = join(folder, "myapp.log");
    writeFileSync(
      log,
      [
        "Nov 25 11:00:00 web1 myapp[9]: login failed for bob from 192.0.2.7",
        "Nov 25 11:00:01 web1 myapp[9]: login failed for healthcheck from 192.0.2.8",
        "Nov 25 11:00:02 web1 myapp[9]: token rejected from 2001:DB8::9",
        "",
      ].join("\n"),
    );
    expect(await run(log, { filter: filterFile, out: "row" })).toBe("1\t192.0.2.7\n3\t2001:db8::9\n");
    const summary = await run(log, { filter: filterFile });
    expect(summary).toContain(`Filter: ${filterFile}`);
    expect(summary).toContain("Lines: 3 read, 2 matched, 0 missed, 1 ignored, 0 skipped");
  });

  it("rejects a filter file without failregex or with an unsupported pattern, naming the file", async () => {
    const empty = join(folder, "empty.conf");
    writeFileSync(empty, "[Definition]\nignoreregex =\n");
    await expect(run(logFile, { filter: empty })).rejects.toThrow(/empty\.conf: no failregex/);
    const interpolated = join(folder, "interpolated.conf");
    writeFileSync(interpolated, "[Definition]\nfailregex = ^%(_daemon)s failed from <HOST>\n");
    await expect(run(logFile, { filter: interpolated })).rejects.toThrow(
      /interpolated\.conf: .*interpolation/,
    );
  });

  it("exits 0 after a run (also with no match) and 2 with a message for usage errors, as a process", () => {
    const cli = join(__dirname, "../../bin/cloudjail.js");
    const ok = spawnSync(process.execPath, [cli, "test-filter", "-", "--out", "ip"], {
      input: "nothing here\n",
    });
    expect([ok.status, ok.stdout.toString()]).toEqual([0, ""]);
    const bad = spawnSync(process.execPath, [cli, "test-filter", logFile, "--mode", "paranoid"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.toString()).toContain('unknown mode "paranoid"');
  });
});
