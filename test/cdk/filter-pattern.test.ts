import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseJailConf } from "../../lambda/core/config";
import { createDetector } from "../../lambda/core/create-detector";
import type { CloudjailConfig, Failure, SshdMode } from "../../lambda/core/types";
import { FILTER_PATTERN_MAX_LENGTH, subscriptionFilterPattern } from "../../lib/filter-pattern";
import { passesFilterPattern } from "./support/filter-pattern-matcher";

const MODES: readonly SshdMode[] = ["normal", "ddos", "extra", "aggressive"];
const FIXTURES = path.resolve(__dirname, "../fixtures/sshd");
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

function configFor(jails: string): CloudjailConfig {
  return parseJailConf(`${jails}\n[cloudjail]\nvpc_ids = vpc-0123456789abcdef0\n`, "test.local").config;
}

const sshdIn = (mode: SshdMode) => configFor(`[sshd]\nenabled = true\nmode = ${mode}\n`);

/** Every failure the detector of `mode` finds in `lines`, keyed so that two runs can be compared. */
function detect(mode: SshdMode, lines: readonly { text: string; line: number }[]): string[] {
  const detector = createDetector({ filter: { filter: "sshd", mode }, now: NOW });
  const failures: Failure[] = [];
  for (const { text, line } of lines) failures.push(...detector.push(text, { line }));
  failures.push(...detector.end());
  return failures.map((failure) => `${failure.line} ${failure.ip} ${failure.patternId}`);
}

const fixtureFiles = readdirSync(FIXTURES).filter((name) => name.endsWith(".log"));

function linesOf(file: string): { text: string; line: number }[] {
  return readFileSync(path.join(FIXTURES, file), "utf8")
    .split("\n")
    .filter((text) => text !== "")
    .map((text, index) => ({ text, line: index + 1 }));
}

describe("the subscription filter pattern", () => {
  it("passes the lines sshd writes for a failed login in every mode", () => {
    const failedLogin = [
      "sshd[1]: Failed password for root from 203.0.113.9 port 4242 ssh2",
      "sshd[1]: Invalid user admin from 203.0.113.9 port 4242",
      "sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9",
      "sshd[1]: error: maximum authentication attempts exceeded for root from 203.0.113.9 port 4242 ssh2 [preauth]",
      "sshd[1]: Connection closed by authenticating user root 203.0.113.9 port 4242 [preauth]",
    ];
    for (const mode of MODES) {
      const pattern = subscriptionFilterPattern(sshdIn(mode));
      for (const line of failedLogin)
        expect(passesFilterPattern(pattern, line), `${mode}: ${line}`).toBe(true);
    }
  });

  it("drops the quiet lines of an auth log, so they cost no invocation", () => {
    const quiet = [
      "sshd[2]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
      "sshd[2]: pam_unix(sshd:session): session closed for user alice",
      "sshd[3]: Server listening on 0.0.0.0 port 22.",
      "sshd[3]: Received signal 15; terminating.",
      "sudo[4]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/dnf update",
      "CROND[5]: (root) CMD (run-parts /etc/cron.hourly)",
      "systemd-logind[6]: New session 42 of user alice.",
    ];
    const pattern = subscriptionFilterPattern(sshdIn("aggressive"));
    for (const line of quiet) expect(passesFilterPattern(pattern, line), line).toBe(false);
  });

  it("lets only the ddos and aggressive modes pay for banner and identification noise", () => {
    const noise = [
      "sshd[7]: error: kex_exchange_identification: banner line contains invalid characters",
      "sshd[8]: Bad protocol version identification 'GET / HTTP/1.1' from 203.0.113.9 port 4242",
    ];
    for (const line of noise) {
      const passes = (mode: SshdMode) => passesFilterPattern(subscriptionFilterPattern(sshdIn(mode)), line);
      expect(MODES.filter(passes), line).toEqual(["ddos", "aggressive"]);
    }
  });

  it("passes every line to a jail with its own failregex, whose wording cloudjail cannot know", () => {
    const config = configFor(
      "[sshd]\nenabled = true\n[web]\nenabled = true\nfilter = custom\nfailregex = ^login failed from <HOST>$\n",
    );
    expect(subscriptionFilterPattern(config)).toBe("");
  });

  it("ignores disabled jails", () => {
    const config = configFor("[sshd]\nenabled = true\n[web]\nenabled = false\nfailregex = ^bad <HOST>$\n");
    expect(subscriptionFilterPattern(config)).toBe(subscriptionFilterPattern(sshdIn("normal")));
  });

  it("stays within CloudWatch Logs' limit of 1024 characters with every term in use", () => {
    expect(subscriptionFilterPattern(sshdIn("aggressive")).length).toBeLessThanOrEqual(
      FILTER_PATTERN_MAX_LENGTH,
    );
  });

  it("is checked against real logs with failures in them", () => {
    const failures = fixtureFiles.map((file) => detect("aggressive", linesOf(file)).length);
    expect(fixtureFiles.length).toBeGreaterThan(0);
    expect(failures.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
  });

  describe.each(fixtureFiles)("on the real sshd log %s", (file) => {
    const lines = linesOf(file);

    it.each(MODES)("loses no failure the %s detector finds", (mode) => {
      const pattern = subscriptionFilterPattern(sshdIn(mode));
      const everything = detect(mode, lines);
      const filtered = detect(
        mode,
        lines.filter(({ text }) => passesFilterPattern(pattern, text)),
      );
      expect(filtered).toEqual(everything);
    });
  });
});
