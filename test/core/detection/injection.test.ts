import { describe, expect, it } from "vitest";
import { detect, secure } from "./helpers";

/**
 * User names are chosen by the client. Each case writes, into the user name, text that looks like sshd's own
 * tail with a decoy address; the real client is 203.0.113.9. Shapes of CVE-2007-4321 / CVE-2013-7176 (fail2ban)
 * and of the sshguard / CrowdSec user-name injections.
 */
const DECOY = "198.51.100.7";
const REAL = "203.0.113.9";
const EVIL_USERS = [
  `x from ${DECOY} port 22`,
  `x from ${DECOY}`,
  `x ${DECOY} port 22`,
  `root from ${DECOY} port 22 ssh2`,
  `a port 1 from ${DECOY}`,
  `x from ${DECOY} port 22 [preauth]`,
  `x from ${DECOY} not allowed because not listed in AllowUsers`,
  `x rhost=${DECOY}`,
  `x from ::ffff:${DECOY} port 22`,
  `x from 2001:db8::7 port 22`,
  `${DECOY}`,
  "",
];

/** Every message family that carries a user name, with the user name `u`. */
const FAMILIES: ReadonlyArray<(u: string) => string> = [
  (u) => `Invalid user ${u} from ${REAL} port 5555`,
  (u) => `Illegal user ${u} from ${REAL}`,
  (u) => `Failed password for ${u} from ${REAL} port 5555 ssh2`,
  (u) => `Failed password for invalid user ${u} from ${REAL} port 5555 ssh2`,
  (u) => `Failed keyboard-interactive/pam for invalid user ${u} from ${REAL} port 5555 ssh2`,
  (u) =>
    `error: maximum authentication attempts exceeded for invalid user ${u} from ${REAL} port 5555 ssh2 [preauth]`,
  (u) => `error: PAM: Authentication failure for illegal user ${u} from ${REAL}`,
  (u) =>
    `error: PAM: User not known to the underlying authentication module for illegal user ${u} from ${REAL}`,
  (u) => `Disconnecting invalid user ${u} ${REAL} port 5555: Too many authentication failures [preauth]`,
  (u) => `Connection closed by invalid user ${u} ${REAL} port 5555 [preauth]`,
  (u) => `Connection reset by authenticating user ${u} ${REAL} port 5555 [preauth]`,
  (u) => `Disconnected from invalid user ${u} ${REAL} port 5555 [preauth]`,
  (u) => `User ${u} from ${REAL} not allowed because listed in DenyUsers`,
];

describe("user-name injection", () => {
  it("blames 203.0.113.9 only for the issue's example", () => {
    expect(detect([secure(1, `Invalid user x from ${DECOY} port 22 from ${REAL} port 5555`)]).ips).toEqual([
      REAL,
    ]);
  });

  it("takes the pid's address from pam_unix's rhost, never from the user name written after it", () => {
    for (const user of EVIL_USERS) {
      const pam = `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${REAL}  user=${user}`;
      // An old-style summary line without an address takes the one of its sshd process.
      const lines = [
        secure(77, pam),
        secure(77, "Disconnecting: Too many authentication failures for root [preauth]"),
      ];
      // A user name holding ` rhost=<address>` makes the line readable two ways: it then names no address.
      expect(detect(lines).ips, pam).toEqual(user.includes(" rhost=") ? [] : [REAL]);
    }
  });

  /**
   * PAM writes `ruser=<name> rhost=<host>[  user=<name>]` with both names as the client sent them, so a crafted
   * name can put ` rhost=<decoy>` before PAM's own, or after it.
   */
  const PAM_UNIX = "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh";
  const CRAFTED_PAM_LINES = [
    `${PAM_UNIX} ruser=x rhost=${DECOY} rhost=${REAL}`,
    `${PAM_UNIX} ruser=x rhost=${DECOY}  user=y rhost=${REAL}`,
    `${PAM_UNIX} ruser=x rhost=${DECOY}  user=x rhost=${DECOY} rhost=${REAL}  user=x rhost=${DECOY}`,
    `${PAM_UNIX} ruser= rhost=${DECOY}  user=y rhost=${REAL}  user= rhost=${DECOY}  user=y`,
    `${PAM_UNIX} ruser= rhost=${REAL}  user=x rhost=${DECOY}`,
    `${PAM_UNIX} ruser=x rhost=${DECOY} rhost=${REAL} [preauth]`,
    `${PAM_UNIX} ruser=x rhost=${DECOY}  user=  rhost=${REAL}`,
  ];

  it.each(CRAFTED_PAM_LINES)("never lets a crafted ruser or user choose the address: %s", (pam) => {
    const followers = [
      // An IP-less summary takes its sshd process's address.
      "Disconnecting: Too many authentication failures for root [preauth]",
      // A login as another user makes PAM's refusal count (gh-2070), for the address sshd wrote.
      `Accepted password for known from ${REAL} port 5 ssh2`,
      "Failed password for root from 203.0.113.9 port 5 ssh2",
    ];
    for (const follower of followers) {
      for (const mode of ["normal", "aggressive"] as const) {
        const { ips } = detect([secure(78, pam), secure(78, follower)], mode);
        // The address sshd wrote, or none when the line reads two ways and nothing else names the connection's.
        for (const ip of ips) expect(ip, `${mode}: ${follower}`).toBe(REAL);
        if (follower.startsWith("Failed")) expect(ips, `${mode}: ${follower}`).toEqual([REAL]);
      }
    }
  });

  it("lets the connection's own address decide a pam_unix line that reads two ways", () => {
    const lines = [
      secure(79, `Connection from ${REAL} port 5 on 10.0.1.23 port 22 rdomain ""`),
      secure(79, `${PAM_UNIX} ruser=x rhost=${DECOY} rhost=${REAL}`),
      secure(79, "Disconnecting: Too many authentication failures for root [preauth]"),
    ];
    expect(detect(lines).ips).toEqual([REAL]);
  });

  FAMILIES.forEach((family, index) => {
    it(`never blames an address written inside a user name: ${family("<user>")}`, () => {
      for (const user of EVIL_USERS) {
        const line = secure(100 + index, family(user));
        expect(detect([line], "aggressive").ips, line).toEqual([REAL]);
      }
    });
  });

  it("never reads an address out of client text after sshd's own address", () => {
    const lines = [
      secure(1, `Received disconnect from ${REAL} port 5:3: x from ${DECOY} port 22: Auth fail [preauth]`),
      secure(
        2,
        `Unable to negotiate with ${REAL} port 5: no matching cipher found. Their offer: ${DECOY} [preauth]`,
      ),
      secure(3, `Bad protocol version identification 'SSH-1.0 from ${DECOY} port 22' from ${REAL} port 5`),
    ];
    expect(detect(lines, "aggressive").ips).toEqual([REAL, REAL, REAL]);
  });

  it("takes no address from a line where client text surrounds it (change of user name)", () => {
    const line = secure(
      4,
      `Disconnecting authenticating user root ${REAL} port 5: Change of username or service not allowed: (root,ssh-connection) -> (x ${DECOY} port 1,ssh-connection) [preauth]`,
    );
    expect(detect([line]).ips).toEqual([]);
    expect(detect([secure(4, `Failed password for root from ${REAL} port 5 ssh2`), line]).ips).toEqual([
      REAL,
    ]);
  });

  it("does not count a line that only imitates sshd's message inside another message", () => {
    const lines = [
      secure(
        5,
        `Accepted password for x Failed password for root from ${DECOY} port 22 ssh2 from ${REAL} port 1 ssh2`,
      ),
      `Nov 25 10:59:25 web1 sudo[1]: sshd[2]: Failed password for root from ${DECOY} port 22 ssh2`,
      `Nov 25 10:59:25 web1 app[3]: Failed password for root from ${DECOY} port 22 ssh2 sshd`,
    ];
    expect(detect(lines, "aggressive").ips).toEqual([]);
  });

  it("keeps the user name as sshd wrote it, for display only", () => {
    const [failure] = detect([
      secure(6, `Invalid user x from ${DECOY} port 22 from ${REAL} port 5555`),
    ]).failures;
    expect(failure?.user).toBe(`x from ${DECOY} port 22`);
  });
});
