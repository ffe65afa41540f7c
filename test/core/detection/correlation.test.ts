import { describe, expect, it } from "vitest";
import { createDetector } from "../../../lambda/core/create-detector";
import { MAX_CONNECTIONS } from "../../../lambda/core/sshd-detector";
import { detect, NOW, secure } from "./helpers";

const PAM = (ip: string, user = "root") =>
  `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`;

describe("one failed attempt counts once", () => {
  it("counts a single mistyped password (PAM line, Failed line, closing line) as exactly one failure", () => {
    const lines = [
      secure(7172, PAM("192.0.2.1")),
      secure(7172, "Failed password for root from 192.0.2.1 port 40000 ssh2"),
      secure(7172, "Connection closed by authenticating user root 192.0.2.1 port 40000 [preauth]"),
    ];
    for (const mode of ["normal", "ddos", "extra", "aggressive"] as const) {
      expect(detect(lines, mode).ips, mode).toEqual(["192.0.2.1"]);
    }
  });

  it("counts each of three passwords in one connection once, and not the summary lines", () => {
    const attempt = [
      secure(9, PAM("192.0.2.1")),
      secure(9, "Failed password for root from 192.0.2.1 port 4 ssh2"),
    ];
    const lines = [
      ...attempt,
      ...attempt,
      ...attempt,
      secure(
        9,
        "error: maximum authentication attempts exceeded for root from 192.0.2.1 port 4 ssh2 [preauth]",
      ),
      secure(
        9,
        "Disconnecting authenticating user root 192.0.2.1 port 4: Too many authentication failures [preauth]",
      ),
      secure(
        9,
        "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.1  user=root",
      ),
    ];
    expect(detect(lines, "aggressive").ips).toEqual(["192.0.2.1", "192.0.2.1", "192.0.2.1"]);
  });

  it("counts an invalid user's password attempt once with its Invalid user line", () => {
    const lines = [
      secure(11, "Invalid user oracle from 192.0.2.2 port 5"),
      secure(11, "pam_unix(sshd:auth): check pass; user unknown"),
      secure(
        11,
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.2",
      ),
      secure(11, "Failed password for invalid user oracle from 192.0.2.2 port 5 ssh2"),
      secure(11, "Connection closed by invalid user oracle 192.0.2.2 port 5 [preauth]"),
    ];
    expect(detect(lines, "aggressive").ips).toEqual(["192.0.2.2"]);
  });

  it("counts a keyboard-interactive failure (two PAM lines and the Failed line) once", () => {
    const lines = [
      secure(12, PAM("192.0.2.3")),
      secure(12, "error: PAM: Authentication failure for root from 192.0.2.3"),
      secure(12, "Failed keyboard-interactive/pam for root from 192.0.2.3 port 6 ssh2"),
    ];
    expect(detect(lines).ips).toEqual(["192.0.2.3"]);
  });

  it("counts without PAM every Failed line", () => {
    const failed = secure(13, "Failed password for root from 192.0.2.4 port 7 ssh2");
    expect(detect([failed, failed]).ips).toEqual(["192.0.2.4", "192.0.2.4"]);
  });

  it("keeps connections of different sshd processes apart", () => {
    const lines = [
      secure(1, "Invalid user a from 192.0.2.5 port 9"),
      secure(2, "Invalid user b from 192.0.2.6 port 8"),
      secure(2, "Failed password for invalid user b from 192.0.2.6 port 8 ssh2"),
      secure(1, "Failed password for invalid user a from 192.0.2.5 port 9 ssh2"),
    ];
    expect(detect(lines).ips).toEqual(["192.0.2.5", "192.0.2.6"]);
  });

  it("counts keyboard-interactive rounds: a refused answer followed by the next round is one attempt", () => {
    // Real OpenSSH 9.2 order (test/fixtures/sshd/kbd-interactive.secure.log); pam_unix runs in a child pid.
    const lines = [
      secure(31, PAM("192.0.2.11", "alice")),
      secure(30, "error: PAM: Authentication failure for alice from 192.0.2.11"),
      secure(30, "Postponed keyboard-interactive for alice from 192.0.2.11 port 4 ssh2 [preauth]"),
      secure(32, PAM("192.0.2.11", "alice")),
      secure(30, "error: PAM: Authentication failure for alice from 192.0.2.11"),
      secure(30, "Failed keyboard-interactive/pam for alice from 192.0.2.11 port 4 ssh2"),
      secure(30, "Postponed keyboard-interactive for alice from 192.0.2.11 port 4 ssh2 [preauth]"),
      secure(30, "error: PAM: Authentication failure for alice from 192.0.2.11"),
      secure(30, "Failed keyboard-interactive/pam for alice from 192.0.2.11 port 4 ssh2"),
      secure(
        30,
        "error: maximum authentication attempts exceeded for alice from 192.0.2.11 port 4 ssh2 [preauth]",
      ),
    ];
    expect(detect(lines).ips).toEqual(["192.0.2.11", "192.0.2.11", "192.0.2.11"]);
  });

  it("does not end an invalid user's attempt at the first keyboard-interactive round", () => {
    const lines = [
      secure(33, "Invalid user nobody from 192.0.2.12 port 5"),
      secure(
        33,
        "Postponed keyboard-interactive for invalid user nobody from 192.0.2.12 port 5 ssh2 [preauth]",
      ),
      secure(33, "error: PAM: Authentication failure for illegal user nobody from 192.0.2.12"),
      secure(33, "Failed keyboard-interactive/pam for invalid user nobody from 192.0.2.12 port 5 ssh2"),
    ];
    expect(detect(lines).ips).toEqual(["192.0.2.12"]);
  });

  it("counts the summary line when it is all the connection wrote", () => {
    const lines = [
      secure(
        3,
        "error: maximum authentication attempts exceeded for root from 192.0.2.7 port 1 ssh2 [preauth]",
      ),
    ];
    expect(detect(lines).ips).toEqual(["192.0.2.7"]);
  });

  it("starts a new connection when a reused pid shows another address", () => {
    const lines = [
      secure(4, "Invalid user a from 192.0.2.8 port 1"),
      secure(4, "Invalid user b from 192.0.2.9 port 2"),
      secure(4, "Failed password for invalid user b from 192.0.2.9 port 2 ssh2"),
    ];
    expect(detect(lines).ips).toEqual(["192.0.2.8", "192.0.2.9"]);
  });

  it("starts a new connection for an attempt after the pid's connection ended", () => {
    const lines = [
      secure(5, "Failed password for root from 192.0.2.10 port 1 ssh2"),
      secure(5, "Connection closed by authenticating user root 192.0.2.10 port 1 [preauth]"),
      secure(5, "Failed password for root from 192.0.2.10 port 2 ssh2"),
    ];
    expect(detect(lines).ips).toEqual(["192.0.2.10", "192.0.2.10"]);
  });
});

describe("lines without an address", () => {
  it("takes the address of a later line of the same sshd process (kex_exchange_identification)", () => {
    const lines = [
      secure(21, "error: kex_exchange_identification: Connection closed by remote host"),
      secure(22, "Failed password for root from 192.0.2.99 port 1 ssh2"),
      secure(21, "Connection closed by 198.51.100.20 port 41000"),
    ];
    const { failures } = detect(lines, "ddos");
    expect(failures.map((failure) => [failure.ip, failure.patternId, failure.line])).toEqual([
      ["192.0.2.99", "sshd.failed-auth", 2],
      ["198.51.100.20", "sshd.kex-identification", 1],
    ]);
  });

  it("counts banner junk (kex line and banner exchange line) as one ddos failure", () => {
    const lines = [
      secure(
        23,
        'error: kex_exchange_identification: client sent invalid protocol identifier "GET / HTTP/1.1"',
      ),
      secure(23, "banner exchange: Connection from 198.51.100.21 port 41001: invalid format"),
    ];
    expect(detect(lines, "ddos").ips).toEqual(["198.51.100.21"]);
    expect(detect(lines, "normal").ips).toEqual([]);
  });

  it("takes the address of an earlier line of the same connection", () => {
    const lines = [
      secure(24, 'Connection from 198.51.100.22 port 41002 on 10.0.0.5 port 22 rdomain ""'),
      secure(24, "error: kex_exchange_identification: read: Connection reset by peer"),
    ];
    expect(detect(lines, "ddos").ips).toEqual(["198.51.100.22"]);
  });

  it("counts nothing for an IP-less line whose address never comes", () => {
    const { failures, stats } = detect(
      [secure(25, "error: kex_exchange_identification: Connection closed by remote host")],
      "ddos",
    );
    expect(failures).toEqual([]);
    expect(stats.matched).toBe(1);
  });

  it("keeps at most MAX_CONNECTIONS sshd processes in memory and still counts correctly after evictions", () => {
    const detector = createDetector({ filter: { filter: "sshd", mode: "normal" }, now: NOW });
    let counted = 0;
    const processes = MAX_CONNECTIONS * 3;
    for (let pid = 1; pid <= processes; pid++) {
      const ip = `10.${(pid >> 16) & 255}.${(pid >> 8) & 255}.${pid & 255}`;
      counted += detector.push(secure(pid, PAM(ip)), { line: pid * 2 - 1 }).length;
      counted += detector.push(secure(pid, `Failed password for root from ${ip} port 1 ssh2`), {
        line: pid * 2,
      }).length;
    }
    expect(counted).toBe(processes);
    // Memory: the table never exceeds its capacity (checked through a fresh pid whose state must be new).
    expect(
      detector.push(secure(1, `Failed password for root from 10.0.0.1 port 1 ssh2`), { line: 0 }),
    ).toHaveLength(1);
  });

  describe("a PAM module's refusal that sshd never confirms (fail2ban's gh-2070: pam_unix, then pam_ldap)", () => {
    const pamFor = (user: string, ip = "192.0.2.113") =>
      `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=${user} rhost=${ip}`;

    it("is no failure when the connection then logs in as the same user", () => {
      const lines = [
        secure(1556, PAM("192.0.2.113", "rda")),
        secure(1556, `${pamFor("rda")} [preauth]`),
        secure(1556, "Accepted password for rda from 192.0.2.113 port 52100 ssh2"),
        secure(1556, "Connection closed by 192.0.2.113"),
      ];
      for (const mode of ["normal", "ddos", "extra", "aggressive"] as const) {
        expect(detect(lines, mode).failures, mode).toEqual([]);
      }
    });

    it("counts once per other user name when the connection then logs in as another user", () => {
      const lines = [
        secure(1558, pamFor("root", "192.0.2.114")),
        secure(1558, pamFor("sudoer", "192.0.2.114")),
        secure(1558, pamFor("root", "192.0.2.114")),
        secure(1558, "Accepted password for known from 192.0.2.114 port 52100 ssh2"),
      ];
      const { failures } = detect(lines);
      expect(failures.map((failure) => [failure.ip, failure.user, failure.line])).toEqual([
        ["192.0.2.114", "root", 1],
        ["192.0.2.114", "sudoer", 2],
      ]);
      expect(failures.every((failure) => failure.patternId === "sshd.pam-module-failure")).toBe(true);
    });

    it("is the attempt sshd's own Failed line counts, never a second failure", () => {
      const lines = [
        secure(1560, PAM("192.0.2.115", "root")),
        secure(1560, "Failed password for root from 192.0.2.115 port 52100 ssh2"),
        secure(1560, "Accepted password for known from 192.0.2.115 port 52100 ssh2"),
      ];
      expect(detect(lines).ips).toEqual(["192.0.2.115"]);
    });

    it("counts nothing in normal mode when the connection just ends", () => {
      const lines = [
        secure(2716, PAM("192.0.2.112", "root")),
        secure(2716, "Connection closed by 192.0.2.112 port 5 [preauth]"),
      ];
      expect(detect(lines).failures).toEqual([]);
      expect(detect(lines, "ddos").ips).toEqual(["192.0.2.112"]);
    });
  });
});
