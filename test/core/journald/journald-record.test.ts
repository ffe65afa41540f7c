import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../../lambda/core/create-detector";
import { eventLines, streamInstance, withoutSshdText } from "../../../lambda/core/event-lines";
import { readJournaldRecord } from "../../../lambda/core/journald-record";
import { sshdJail } from "../../support/jails";

/** The decoded `awslogs.data` of the captured records (test/fixtures/agent/README.md). */
interface Payload {
  readonly logEvents: { id: string; timestamp: number; message: string }[];
}
const FIXTURES = join(__dirname, "../../fixtures/agent/journald");
const payload = (file: string) => JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as Payload;
const record = (fields: Record<string, unknown>) => JSON.stringify({ body: fields });

/** journald's fields of a real OpenSSH 10.0 failure line, as debian-13's capture has them. */
const SSHD_FIELDS = {
  MESSAGE: "Failed password for root from 198.51.100.7 port 40000 ssh2",
  SYSLOG_IDENTIFIER: "sshd-session",
  SYSLOG_PID: "25201",
  _COMM: "sshd-session",
  _EXE: "/usr/lib/openssh/sshd-session",
  _HOSTNAME: "ip-10-0-1-23",
  _PID: "25201",
  _SYSTEMD_UNIT: "ssh.service",
  _UID: "0",
};
const AT = Date.parse("2026-12-07T15:11:00.101Z");

describe("a journald record from the CloudWatch agent", () => {
  it("becomes the syslog line journalctl would print, with journald's own process name and pid", () => {
    expect(readJournaldRecord(record({ ...SSHD_FIELDS, SYSLOG_PID: "4242" }), AT)).toEqual({
      writer: "sshd",
      message: SSHD_FIELDS.MESSAGE,
      text: `2026-12-07T15:11:00.101Z ip-10-0-1-23 sshd-session[25201]: ${SSHD_FIELDS.MESSAGE}`,
    });
  });

  it("is sshd's under every unit name sshd runs in: sshd.service, ssh.service, socket-activated instances", () => {
    for (const unit of ["sshd.service", "ssh.service", "sshd@0-10.0.1.23:22-198.51.100.7:40000.service"]) {
      expect(readJournaldRecord(record({ ...SSHD_FIELDS, _SYSTEMD_UNIT: unit }), AT)?.writer).toBe("sshd");
    }
    for (const comm of ["sshd", "sshd-auth"]) {
      const fields = { ...SSHD_FIELDS, _COMM: comm, _EXE: `/usr/sbin/${comm}` };
      expect(readJournaldRecord(record(fields), AT)?.writer).toBe("sshd");
    }
  });

  it("is forged when journald says another writer: logger, a non-root user, a session scope, no process name", () => {
    const forgeries: Record<string, unknown>[] = [
      { _COMM: "logger", _EXE: "/usr/bin/logger" },
      { _UID: "1002" },
      { _SYSTEMD_UNIT: "session-3.scope" },
      { _SYSTEMD_UNIT: "cron.service" },
      { _EXE: "/tmp/x/logger" },
      { _COMM: undefined, _EXE: undefined, _SYSTEMD_UNIT: undefined },
      { _UID: ["0", "0"] },
    ];
    for (const change of forgeries) {
      const line = readJournaldRecord(record({ ...SSHD_FIELDS, ...change }), AT);
      expect(line, JSON.stringify(change)).toMatchObject({ writer: "forged", text: undefined });
    }
  });

  it("reads other programs' records as their own lines (for custom filters), never as sshd's", () => {
    const fields = { MESSAGE: "password check failed for user (root)", SYSLOG_IDENTIFIER: "unix_chkpwd" };
    expect(
      readJournaldRecord(record({ ...fields, _COMM: "unix_chkpwd", _PID: "77", _UID: "0" }), AT),
    ).toEqual({
      writer: "other",
      message: fields.MESSAGE,
      text: `2026-12-07T15:11:00.101Z - unix_chkpwd[77]: ${fields.MESSAGE}`,
    });
  });

  it("writes a MESSAGE of byte values and control characters as sshd escapes them, on one line", () => {
    const bytes = [...Buffer.from("Failed password for "), 0xff, 0xfe, ...Buffer.from(" from 1.2.3.4")];
    expect(readJournaldRecord(record({ ...SSHD_FIELDS, MESSAGE: bytes }), AT)?.message).toBe(
      "Failed password for \\377\\376 from 1.2.3.4",
    );
    expect(readJournaldRecord(record({ ...SSHD_FIELDS, MESSAGE: "a\nb" }), AT)?.message).toBe("a\\012b");
  });

  it("is not a journald record when the message is syslog text, other JSON, or has no MESSAGE", () => {
    for (const message of [
      "Dec  7 15:11:00 ip-10-0-1-23 sshd[1]: Failed password for root from 1.2.3.4 port 1 ssh2",
      '{"level":"info"}',
      '{"body":{"MESSAGE":',
      record({ _COMM: "sshd" }),
      record({ MESSAGE: [300] }),
      '{"body":[1]}',
    ]) {
      expect(readJournaldRecord(message, AT)).toBeUndefined();
    }
  });
});

describe("the lines of a batch", () => {
  it("count every forged failure line of the captures and none of sshd's own (debian-12 and debian-13)", () => {
    for (const world of ["debian-12", "debian-13"]) {
      const { logEvents } = payload(`${world}.identifier.cloudwatch.json`);
      const lines = eventLines(logEvents);
      expect(lines.journaldRecords).toBe(logEvents.length);
      expect(lines.forged).toBe(8);
      const readable = lines.texts.filter((text) => text !== undefined);
      expect(readable.some((text) => text.includes("203.0.113."))).toBe(false);
      // Also left out: the two lines alice's own sshd child (uid 1001) wrote after her login; no failure there.
      const left = logEvents.filter((_, index) => lines.texts[index] === undefined);
      const uids = left.map((event) => (JSON.parse(event.message) as { body: { _UID: string } }).body._UID);
      expect(uids.filter((uid) => uid === "1001")).toHaveLength(2);
      expect(left.length).toBe(10);
      expect(readable.length).toBe(logEvents.length - 10);
    }
  });

  it("let the sshd detector find every real attacker of the capture and no forger's victim", () => {
    const { logEvents } = payload("debian-13.identifier.cloudwatch.json");
    const lines = eventLines(logEvents);
    const detector = createDetector({
      filter: sshdJail({ mode: "aggressive" }),
      now: Date.parse("2026-12-07T16:00:00Z"),
    });
    const found = lines.texts.flatMap((text, index) =>
      text === undefined
        ? []
        : detector.push(text, { line: index + 1, receivedAt: logEvents[index]?.timestamp }),
    );
    const ips = new Set(found.map((failure) => failure.ip));
    expect([...ips].sort()).toEqual([
      "127.0.41.1",
      "127.0.41.2",
      "127.0.41.3",
      "127.0.41.5",
      "127.0.41.6",
      "127.0.41.7",
      "::1",
    ]);
    // One failed password is one failure, however many lines sshd and PAM wrote for it.
    expect(found.filter((failure) => failure.ip === "127.0.41.1")).toHaveLength(1);
    expect(found.filter((failure) => failure.ip === "::1")).toHaveLength(2);
  });

  it("leave out a host's sshd file lines once its journal arrives, and keep other programs' lines", () => {
    const fileLine =
      "Dec  7 15:11:00 ip-10-0-1-23 sshd[7]: Failed password for root from 1.2.3.4 port 1 ssh2";
    const cronLine = "Dec  7 15:11:00 ip-10-0-1-23 CRON[8]: pam_unix(cron:session): session opened";
    const events = [fileLine, cronLine].map((message) => ({ message, timestamp: AT }));
    expect(eventLines(events).texts).toEqual([fileLine, cronLine]);
    expect(withoutSshdText(eventLines(events))).toMatchObject({
      texts: [undefined, cronLine],
      duplicateSource: 1,
    });
    const mixed = eventLines([...events, { message: record(SSHD_FIELDS), timestamp: AT }]);
    expect(mixed.texts.slice(0, 2)).toEqual([undefined, cronLine]);
  });

  it("name the instance of a stream by the part before the first slash", () => {
    expect(streamInstance("i-0abc/journald")).toBe("i-0abc");
    expect(streamInstance("i-0abc")).toBe("i-0abc");
  });
});
