import { describe, expect, it } from "vitest";
import { parseLogLine } from "../../../lambda/core/log-line-parser";
import { StampClock } from "../../../lambda/core/stamp-clock";
import { NOW } from "./helpers";

function parsed(text: string) {
  const line = parseLogLine(text);
  if (line === undefined) throw new Error(`not parsed: ${text}`);
  return {
    host: line.host,
    program: line.program,
    pid: line.pid,
    stamp: line.stamp,
    stampFormat: line.stampFormat,
    message: text.slice(line.messageStart),
    time: new StampClock(NOW).timeOf(line),
  };
}

describe("parseLogLine", () => {
  it("reads a traditional syslog line as RHEL and Amazon Linux write /var/log/secure", () => {
    const line = parsed(
      "Nov 25 10:59:25 ip-10-0-1-7 sshd[7172]: Failed password for root from 203.0.113.9 port 22 ssh2",
    );
    expect(line).toMatchObject({ host: "ip-10-0-1-7", program: "sshd", pid: 7172, stampFormat: "syslog" });
    expect(line.message).toBe("Failed password for root from 203.0.113.9 port 22 ssh2");
    expect(line.time).toBe(Date.UTC(2026, 10, 25, 10, 59, 25));
  });

  it("reuses the record it is given, leaving nothing of the previous line", () => {
    const record = parseLogLine("Nov 25 10:59:25 web1 sshd[7172]: first");
    const second = parseLogLine("sshd: second", record);
    expect(second).toBe(record);
    expect([second?.host, second?.pid, second?.stampFormat, second?.program]).toEqual([
      undefined,
      undefined,
      "none",
      "sshd",
    ]);
  });

  it("reads a space-padded day of month", () => {
    expect(parsed("Nov  5 01:02:03 web1 sshd[1]: x").time).toBe(Date.UTC(2026, 10, 5, 1, 2, 3));
  });

  it("reads rsyslog's RFC 3339 stamp with fraction and offset as Debian and Ubuntu write auth.log", () => {
    const line = parsed(
      "2026-11-25T10:59:25.013160+02:00 web1 sshd[7172]: Invalid user x from 203.0.113.9 port 22",
    );
    expect(line).toMatchObject({ host: "web1", program: "sshd", pid: 7172, stampFormat: "rfc3339" });
    expect(line.time).toBe(Date.UTC(2026, 10, 25, 8, 59, 25, 13));
    expect(line.message).toBe("Invalid user x from 203.0.113.9 port 22");
  });

  it("reads Z and +hhmm offsets", () => {
    expect(parsed("2026-11-25T10:59:25Z h sshd[1]: x").time).toBe(Date.UTC(2026, 10, 25, 10, 59, 25));
    expect(parsed("2026-11-25T10:59:25-0130 h sshd[1]: x").time).toBe(Date.UTC(2026, 10, 25, 12, 29, 25));
  });

  it("reads RFC 5424 without structured data", () => {
    const line = parsed(
      "<38>1 2019-07-08T17:40:16.95-04:00 host sshd 57915 - - Failed password for root from 192.0.2.1 port 5 ssh2",
    );
    expect(line).toMatchObject({ host: "host", program: "sshd", pid: 57915 });
    expect(line.time).toBe(Date.UTC(2019, 6, 8, 21, 40, 16, 950));
    expect(line.message).toBe("Failed password for root from 192.0.2.1 port 5 ssh2");
  });

  it("reads RFC 5424 with structured data, escaped brackets included", () => {
    const line = parsed(
      '<38>1 2019-07-08T17:40:16Z host sshd 57915 ID47 [a@1 k="v\\]x"][b@2 y="z"] Accepted x',
    );
    expect(line.message).toBe("Accepted x");
    expect(line.pid).toBe(57915);
  });

  it("reads the journal's short form without a time stamp", () => {
    const line = parsed("web1 sshd[7172]: Connection closed by 192.0.2.1 port 5 [preauth]");
    expect(line).toMatchObject({
      host: "web1",
      program: "sshd",
      pid: 7172,
      stampFormat: "none",
      time: undefined,
    });
    expect(line.message).toBe("Connection closed by 192.0.2.1 port 5 [preauth]");
  });

  it("reads sshd-session, OpenSSH 9.8's per-connection program name", () => {
    expect(parsed("Nov 25 10:59:25 web1 sshd-session[42]: x")).toMatchObject({
      program: "sshd-session",
      pid: 42,
    });
  });

  it("returns undefined for text without a program tag", () => {
    expect(parseLogLine("just some words here")).toBeUndefined();
    expect(parseLogLine("")).toBeUndefined();
    expect(parseLogLine("<999999>")).toBeUndefined();
  });
});

describe("StampClock", () => {
  const line = (stamp: string) => {
    const parsed = parseLogLine(`${stamp} web1 sshd[1]: x`);
    if (parsed === undefined) throw new Error(`not parsed: ${stamp}`);
    return parsed;
  };

  it("gives year-less stamps the current year", () => {
    expect(new StampClock(NOW).timeOf(line("Jan  2 03:04:05"))).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
  });

  it("gives a stamp that would lie in the future the year before (December lines read in January)", () => {
    const january = Date.UTC(2027, 0, 1, 0, 5);
    expect(new StampClock(january).timeOf(line("Dec 31 23:59:00"))).toBe(Date.UTC(2026, 11, 31, 23, 59));
  });

  it("keeps the current year for a stamp less than a day ahead (local time east of UTC)", () => {
    expect(new StampClock(NOW).timeOf(line("Nov 25 20:00:00"))).toBe(Date.UTC(2026, 10, 25, 20));
  });

  it("uses --year when given", () => {
    expect(new StampClock(NOW, 2019).timeOf(line("Dec 31 23:59:00"))).toBe(Date.UTC(2019, 11, 31, 23, 59));
  });

  it("returns undefined for impossible stamps", () => {
    expect(new StampClock(NOW).timeOf(line("Xyz 25 10:59:25"))).toBeUndefined();
    expect(new StampClock(NOW).timeOf(line("Nov 25 25:59:25"))).toBeUndefined();
    expect(new StampClock(NOW).timeOf(line("2026-13-25T10:59:25Z"))).toBeUndefined();
    expect(new StampClock(NOW).timeOf(line("2026-11-25T10:59:25+99"))).toBeUndefined();
  });
});

describe("parseLogLine, issue 12 forms", () => {
  it("skips a UTF-8 byte-order mark before the first line", () => {
    expect(parsed("\uFEFFNov 25 10:59:25 web1 sshd[1]: x")).toMatchObject({
      host: "web1",
      pid: 1,
      message: "x",
    });
  });

  it("reads journalctl's short-precise, short-iso and short-iso-precise stamps", () => {
    expect(parsed("Nov 25 10:59:25.250000 web1 sshd[1]: x").time).toBe(
      Date.UTC(2026, 10, 25, 10, 59, 25, 250),
    );
    expect(parsed("2026-11-25T10:59:25+0000 web1 sshd[1]: x").time).toBe(Date.UTC(2026, 10, 25, 10, 59, 25));
    expect(parsed("2026-11-25T10:59:25.250000+01:00 web1 sshd[1]: x").time).toBe(
      Date.UTC(2026, 10, 25, 9, 59, 25, 250),
    );
  });

  it("reads a day of month written without padding", () => {
    expect(parsed("Jun 7 01:10:56 host sshd[5937]: x")).toMatchObject({ host: "host", pid: 5937 });
    expect(parsed("Jun 7 01:10:56 host sshd[5937]: x").time).toBe(Date.UTC(2026, 5, 7, 1, 10, 56));
  });

  it("reads a bracketed tag with or without its colon", () => {
    expect(parsed("Mar  3 00:17:22 [sshd]: User root")).toMatchObject({
      program: "sshd",
      message: "User root",
    });
    expect(parsed("Jun 25 23:53:34 [sshd] User root")).toMatchObject({
      program: "sshd",
      message: "User root",
    });
  });

  it("steps over Solaris message ids and kernel-ring stamps inside the message", () => {
    expect(parsed("Mar 29 05:59:23 dusky sshd[1]: [ID 800047 auth.info] Failed x").message).toBe("Failed x");
    expect(parsed("srv sshd[1]: kernel: [  970.699397] Failed x").message).toBe("Failed x");
    expect(parsed("srv sshd[1]: kernel:[  970.699396]: Failed x").message).toBe("Failed x");
  });

  it("unwraps rsyslog's message repeated N times", () => {
    const line = parseLogLine("Nov 25 10:59:25 web1 sshd[1]: message repeated 3 times: [ Failed x]");
    expect([line?.message, line?.repeats]).toEqual(["Failed x", 3]);
  });

  it("reads RFC 5424 structured data whose quoted value holds an unescaped bracket", () => {
    const text = '<38>1 2019-07-08T17:40:17.95-04:00 h sshd 55555 - [a b="1"][x@1 t="[brackets]"] Failed x';
    expect(parsed(text)).toMatchObject({ pid: 55555, message: "Failed x" });
  });
});
