import { describe, expect, it } from "vitest";
import { createDetector } from "../../../lambda/core/create-detector";
import type { SshdMode } from "../../../lambda/core/types";
import { detect, NOW, secure } from "./helpers";

/** One line per message family, each from its own sshd process, as OpenSSH 9.x writes them. */
const NORMAL: ReadonlyArray<readonly [string, string]> = [
  ["sshd.failed-auth", "Failed password for root from 192.0.2.1 port 40001 ssh2"],
  ["sshd.failed-auth", "Failed password for invalid user admin from 192.0.2.2 port 40002 ssh2"],
  ["sshd.failed-auth", "Failed keyboard-interactive/pam for ubuntu from 192.0.2.3 port 40003 ssh2"],
  ["sshd.invalid-user", "Invalid user oracle from 192.0.2.4 port 40004"],
  ["sshd.user-not-allowed", "User bob from 192.0.2.5 not allowed because not listed in AllowUsers"],
  ["sshd.root-login-refused", "ROOT LOGIN REFUSED FROM 192.0.2.6 port 40006"],
  [
    "sshd.max-auth-attempts",
    "error: maximum authentication attempts exceeded for root from 192.0.2.7 port 40007 ssh2 [preauth]",
  ],
  ["sshd.user-not-allowed", "User carol from 192.0.2.8 not allowed because a group is listed in DenyGroups"],
  ["sshd.pam-failure", "error: PAM: Authentication failure for root from 192.0.2.9"],
  [
    "sshd.auth-fail-disconnect",
    "Received disconnect from 192.0.2.10 port 40010:3: com.jcraft.jsch.JSchException: Auth fail [preauth]",
  ],
  [
    "sshd.too-many-auth-failures",
    "Disconnecting authenticating user root 192.0.2.11 port 40011: Too many authentication failures [preauth]",
  ],
];

const DDOS: ReadonlyArray<readonly [string, string]> = [
  ["sshd.banner-exchange", "banner exchange: Connection from 198.51.100.1 port 50001: invalid format"],
  ["sshd.no-identification", "Did not receive identification string from 198.51.100.2 port 50002"],
  ["sshd.timeout-preauth", "fatal: Timeout before authentication for 198.51.100.3 port 50003"],
  ["sshd.closed-preauth", "Connection closed by 198.51.100.4 port 50004 [preauth]"],
  ["sshd.closed-preauth", "Connection reset by 198.51.100.5 port 50005 [preauth]"],
  [
    "sshd.dispatch-fatal",
    "ssh_dispatch_run_fatal: Connection from 198.51.100.6 port 50006: message authentication code incorrect [preauth]",
  ],
  [
    "sshd.bad-protocol-version",
    "Bad protocol version identification 'GET / HTTP/1.1' from 198.51.100.7 port 50007",
  ],
];

const EXTRA: ReadonlyArray<readonly [string, string]> = [
  [
    "sshd.unable-to-negotiate",
    "Unable to negotiate with 203.0.113.1 port 60001: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]",
  ],
  [
    "sshd.unable-to-negotiate",
    "Unable to negotiate with 203.0.113.2 port 60002: no matching host key type found. Their offer: ssh-dss [preauth]",
  ],
  [
    "sshd.no-auth-methods",
    "Received disconnect from 203.0.113.3 port 60003:14: No supported authentication methods available [preauth]",
  ],
];

/**
 * A client that named a user and left without a failed attempt: it could not authenticate (extra), and its
 * connection ended before authentication (ddos, where fail2ban's samples count it too).
 */
const DDOS_AND_EXTRA: ReadonlyArray<readonly [string, string]> = [
  ["sshd.closed-preauth-user", "Disconnected from authenticating user root 203.0.113.4 port 60004 [preauth]"],
  [
    "sshd.closed-preauth-user",
    "Connection closed by authenticating user alice 203.0.113.5 port 60005 [preauth]",
  ],
  ["sshd.closed-preauth-user", "Connection reset by invalid user support 203.0.113.6 port 60006 [preauth]"],
];

function run(families: ReadonlyArray<readonly [string, string]>, mode: SshdMode) {
  return detect(
    families.map(([, message], index) => secure(1000 + index, message)),
    mode,
  );
}

describe("the sshd filter's modes", () => {
  it.each(NORMAL)("counts %s in every mode: %s", (id, message) => {
    for (const mode of ["normal", "ddos", "extra", "aggressive"] as const) {
      const { failures } = detect([secure(7, message)], mode);
      expect(
        failures.map((failure) => failure.patternId),
        mode,
      ).toEqual([id]);
      expect(failures[0]?.family).toBe("normal");
    }
  });

  it.each(DDOS)("counts %s in ddos and aggressive mode only: %s", (id, message) => {
    expect(detect([secure(7, message)], "normal").failures).toEqual([]);
    expect(detect([secure(7, message)], "extra").failures).toEqual([]);
    expect(detect([secure(7, message)], "ddos").failures.map((failure) => failure.patternId)).toEqual([id]);
    expect(detect([secure(7, message)], "aggressive").failures.map((failure) => failure.patternId)).toEqual([
      id,
    ]);
  });

  it.each(EXTRA)("counts %s in extra and aggressive mode only: %s", (id, message) => {
    expect(detect([secure(7, message)], "normal").failures).toEqual([]);
    expect(detect([secure(7, message)], "extra").failures.map((failure) => failure.patternId)).toEqual([id]);
    expect(detect([secure(7, message)], "aggressive").failures.map((failure) => failure.patternId)).toEqual([
      id,
    ]);
  });

  it.each(DDOS_AND_EXTRA)(
    "counts %s in ddos, extra and aggressive mode, never in normal: %s",
    (id, message) => {
      expect(detect([secure(7, message)], "normal").failures).toEqual([]);
      for (const mode of ["ddos", "extra", "aggressive"] as const) {
        expect(
          detect([secure(7, message)], mode).failures.map((failure) => failure.patternId),
          mode,
        ).toEqual([id]);
      }
    },
  );

  it("counts in aggressive mode the union of the other modes", () => {
    const all = [...NORMAL, ...DDOS, ...EXTRA, ...DDOS_AND_EXTRA];
    expect(run(all, "aggressive").failures).toHaveLength(all.length);
    expect(run(all, "normal").failures).toHaveLength(NORMAL.length);
    expect(run(all, "ddos").failures).toHaveLength(NORMAL.length + DDOS.length + DDOS_AND_EXTRA.length);
    expect(run(all, "extra").failures).toHaveLength(NORMAL.length + EXTRA.length + DDOS_AND_EXTRA.length);
  });

  it("attributes each failure to the address sshd wrote, in canonical form", () => {
    expect(run(NORMAL, "normal").ips).toEqual(NORMAL.map((_, index) => `192.0.2.${index + 1}`));
  });

  it("reads IPv6 and IPv4-mapped IPv6 addresses in canonical form", () => {
    const { ips } = detect([
      secure(1, "Failed password for root from 2001:DB8:0:0::7 port 22 ssh2"),
      secure(2, "Failed password for root from ::ffff:198.51.100.9 port 22 ssh2"),
      secure(3, "Invalid user x from ::1 port 22"),
    ]);
    expect(ips).toEqual(["2001:db8::7", "198.51.100.9", "::1"]);
  });

  it("never counts a successful login", () => {
    const { failures, stats } = detect(
      [
        secure(1, "Accepted password for ec2-user from 192.0.2.1 port 22 ssh2"),
        secure(2, "Accepted publickey for ec2-user from 192.0.2.1 port 22 ssh2: ED25519 SHA256:abc"),
        secure(2, "Disconnected from user ec2-user 192.0.2.1 port 22"),
        secure(3, "Received disconnect from 192.0.2.1 port 22:11: disconnected by user"),
      ],
      "aggressive",
    );
    expect(failures).toEqual([]);
    expect(stats.matched).toBe(0);
  });

  it("does not count pam_unix's own line: sshd writes its own line for the same refusal", () => {
    const pam =
      "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.8  user=root";
    expect(detect([secure(1, pam)], "aggressive").failures).toEqual([]);
  });

  it("does not count publickey failures, as fail2ban's default publickey = nofail", () => {
    expect(
      detect(
        [secure(1, "Failed publickey for root from 192.0.2.1 port 22 ssh2: RSA SHA256:abcdef")],
        "aggressive",
      ).failures,
    ).toEqual([]);
  });

  it("counts lines of sshd-session (OpenSSH 9.8+) like sshd's, and ignores other programs", () => {
    const message = "Failed password for root from 192.0.2.1 port 22 ssh2";
    expect(detect([secure(1, message, "sshd-session")]).ips).toEqual(["192.0.2.1"]);
    expect(detect([secure(1, message, "sudo"), `Nov 25 10:59:25 web1 CRON[5]: ${message}`]).ips).toEqual([]);
  });

  it("reads each supported prefix format", () => {
    const message = "Failed password for root from 192.0.2.1 port 22 ssh2";
    const { failures } = detect([
      `Nov 25 10:59:25 web1 sshd[1]: ${message}`,
      `2026-11-25T10:59:26.013160+00:00 web1 sshd[2]: ${message}`,
      `<38>1 2026-11-25T10:59:27Z web1 sshd 3 - - ${message}`,
      `<38>1 2026-11-25T10:59:28Z web1 sshd 4 - [meta x="1"] ${message}`,
      `web1 sshd[5]: ${message}`,
    ]);
    expect(failures.map((failure) => [failure.pid, failure.at])).toEqual([
      [1, Date.UTC(2026, 10, 25, 10, 59, 25)],
      [2, Date.UTC(2026, 10, 25, 10, 59, 26, 13)],
      [3, Date.UTC(2026, 10, 25, 10, 59, 27)],
      [4, Date.UTC(2026, 10, 25, 10, 59, 28)],
      [5, undefined],
    ]);
  });

  it("uses the delivery time for a line without a time stamp", () => {
    const detector = createDetector({ filter: { filter: "sshd", mode: "normal" }, now: NOW });
    const [failure] = detector.push("web1 sshd[5]: Invalid user x from 192.0.2.1 port 22", {
      line: 3,
      receivedAt: 1234,
    });
    expect(failure).toMatchObject({ at: 1234, line: 3, ip: "192.0.2.1", user: "x", host: "web1", pid: 5 });
  });

  it("counts hits per pattern and matched/missed lines", () => {
    const { stats } = detect([
      secure(1, "Failed password for root from 192.0.2.1 port 22 ssh2"),
      secure(2, "Failed password for root from 192.0.2.2 port 22 ssh2"),
      secure(3, "Server listening on 0.0.0.0 port 22."),
      "Nov 25 10:59:25 web1 systemd[1]: Started Session 1 of user root.",
    ]);
    expect(stats).toMatchObject({ read: 4, matched: 2, missed: 2, ignored: 0, skipped: 0 });
    expect([...stats.hitsByPattern]).toEqual([["sshd.failed-auth", 2]]);
  });
});
