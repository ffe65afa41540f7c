import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDetector } from "../../../lambda/core/create-detector";
import { MAX_LINE_LENGTH, MAX_SSHD_MESSAGE } from "../../../lambda/core/line-limits";
import { detect, NOW, secure } from "./helpers";

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

describe("hostile input", () => {
  it("skips a 1 MB line without pattern work", () => {
    const line = secure(1, `Invalid user ${"A".repeat(1 << 20)} from 192.0.2.1 port 22`);
    const { failures, stats } = detect([line]);
    expect(failures).toEqual([]);
    expect(stats).toMatchObject({ read: 1, skipped: 1, matched: 0 });
  });

  it("reads an sshd message up to sshd's 500 bytes, and skips (and counts) a longer one", () => {
    const tail = " from 192.0.2.1 port 22";
    const longest = `Invalid user ${"u".repeat(MAX_SSHD_MESSAGE - 13 - tail.length)}${tail}`;
    expect(longest.length).toBe(MAX_SSHD_MESSAGE);
    expect(detect([secure(1, longest)]).ips).toEqual(["192.0.2.1"]);
    const over = detect([secure(2, `Invalid user u${longest.slice(13)}`)]);
    expect(over.ips).toEqual([]);
    expect(over.stats).toMatchObject({ read: 1, skipped: 1, matched: 0 });
    const huge = secure(3, `Invalid user ${"u".repeat(64 * 1024)} from 192.0.2.1 port 22`);
    expect(detect([huge]).stats.skipped).toBe(1);
  });

  it("skips binary junk and invalid UTF-8 (decoded as U+FFFD)", () => {
    const junk = [
      secure(1, "Failed password for root\u0000 from 192.0.2.1 port 22 ssh2"),
      secure(2, `Invalid user \uFFFD\uFFFD from 192.0.2.2 port 22`),
      Buffer.from([0xff, 0xfe, 0x00, 0x73, 0x73, 0x68, 0x64, 0x80]).toString("utf8"),
    ];
    const { failures, stats } = detect(junk, "aggressive");
    expect(failures).toEqual([]);
    expect(stats).toMatchObject({ read: 3, skipped: 3 });
  });

  it("stays linear on adversarial repetitions of sshd's own words in 8 KB lines", () => {
    const words = [
      " from 1.2.3.4 port 22",
      " port ",
      " [preauth]",
      " ssh2",
      "Failed ",
      " rhost=",
      " not allowed because ",
    ];
    const detector = createDetector({ filter: { filter: "sshd", mode: "aggressive" }, now: NOW });
    for (const word of words) {
      const filler = word.repeat(Math.floor((MAX_LINE_LENGTH - 100) / word.length));
      const lines = [
        secure(1, `Invalid user ${filler} from 192.0.2.1 port 22`),
        secure(
          2,
          `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${filler}`,
        ),
        secure(3, `Connection closed by invalid user ${filler}`),
        secure(4, `User ${filler}`),
      ];
      // A quadratic scan of an 8 KB line costs tens of millions of steps per line: seconds for these 2,000
      // lines. A linear one takes a few milliseconds; the bound leaves room for a loaded machine.
      const elapsed = timed(() => {
        for (let i = 0; i < 500; i++) for (const line of lines) detector.push(line, { line: i });
      });
      expect(elapsed, word).toBeLessThan(1500);
    }
  });

  it("never throws, whatever the line", () => {
    const detector = createDetector({ filter: { filter: "sshd", mode: "aggressive" }, now: NOW });
    const sshdish = fc.constantFrom(
      "Nov 25 10:59:25 h sshd[1]: ",
      "<38>1 2026-11-25T10:59:25Z h sshd 1 - [",
      "2026-11-25T10:59:25+00:00 h sshd-session[",
      "h sshd[",
      "",
    );
    const words = fc.constantFrom(
      "Failed ",
      "password",
      " for ",
      "invalid user ",
      " from ",
      "192.0.2.1",
      "::ffff:",
      " port ",
      "22",
      " ssh2",
      " [preauth]",
      "Connection closed by ",
      "Disconnecting",
      "Received disconnect from ",
      ":3: ",
      "pam_unix(sshd:auth): authentication failure; ",
      " rhost=",
      "error: ",
      "kex_exchange_identification: ",
      "]",
      ": ",
      " ",
    );
    fc.assert(
      fc.property(sshdish, fc.array(fc.oneof(words, fc.string()), { maxLength: 30 }), (prefix, parts) => {
        const result = detector.push(prefix + parts.join(""), { line: 1 });
        expect(Array.isArray(result)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
