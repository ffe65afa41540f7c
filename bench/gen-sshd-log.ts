/**
 * Deterministic generator of a large sshd auth log for benchmarks, built from the shapes of the real lines in
 * test/fixtures/sshd (OpenSSH 9.2 + PAM). Sessions (one sshd pid each) are interleaved like a busy server's;
 * sources spread over 1,200 IPv4 /24s and 300 IPv6 /64s with a few heavy hitters; ~15% of lines are not sshd.
 *
 * `npx tsx bench/gen-sshd-log.ts [--lines 1000000] [--bytes N] [--format secure|auth] [--seed 1] [--out path]`
 * Prints the path written (default: <tmpdir>/cloudjail-bench/sshd-<lines>.<format>.log) and, on stderr, what it
 * put in: sessions per kind and the number of wrong passwords offered.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { seededRandom } from "../lambda/core/seeded-random";

const { values } = parseArgs({
  options: {
    lines: { type: "string", default: "1000000" },
    bytes: { type: "string" },
    format: { type: "string", default: "secure" },
    seed: { type: "string", default: "1" },
    out: { type: "string" },
  },
});
const maxLines = values.bytes ? Number.POSITIVE_INFINITY : Number(values.lines);
const maxBytes = values.bytes ? Number(values.bytes) : Number.POSITIVE_INFINITY;
const format = values.format === "auth" ? "auth" : "secure";
const label = values.bytes ? `${Math.round(Number(values.bytes) / 1e6)}MB` : String(values.lines);
const out = values.out ?? join(tmpdir(), "cloudjail-bench", `sshd-${label}.${format}.log`);
const random = seededRandom(Number(values.seed));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const INVALID_USERS = [
  "admin",
  "test",
  "user",
  "oracle",
  "postgres",
  "git",
  "ftpuser",
  "support",
  "guest",
  "pi",
  "hadoop",
  "ubnt",
  "minecraft",
  "steam",
  "jenkins",
  "mysql",
  "www",
  "nagios",
  "deployer",
  "test1",
  "usuario",
];
const VALID_USERS = ["root", "ubuntu", "ec2-user", "alice", "deploy"];
const HOST = "ip-10-0-1-23";

/**
 * Sources as a real attack spreads them: a few hundred busy hosts (a power law over 1,200 IPv4 /24s and 300 IPv6
 * /64s) beside a long tail of sources seen once or twice, so that a 1M-line log holds hundreds of thousands of
 * distinct addresses. Each connection keeps its one source for all its lines.
 */
const BUSY: string[] = [];
for (let net = 0; net < 1200; net++) {
  const a = 1 + Math.floor(random() * 222);
  const b = Math.floor(random() * 256);
  const c = Math.floor(random() * 256);
  const hosts = 1 + Math.floor(random() * 4);
  for (let h = 0; h < hosts; h++)
    BUSY.push(`${a === 127 ? 128 : a}.${b}.${c}.${1 + Math.floor(random() * 254)}`);
}
for (let net = 0; net < 300; net++) {
  const word = () => Math.floor(random() * 0x10000).toString(16);
  BUSY.push(`2001:db8:${word()}:${word()}::${word()}`);
}
function tailSource(): string {
  if (random() < 0.1) {
    const word = () => Math.floor(random() * 0x10000).toString(16);
    return `2001:db8:${word()}:${word()}:${word()}::${word()}`;
  }
  const a = 1 + Math.floor(random() * 222);
  return `${a === 127 ? 128 : a}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
}
const attacker = () =>
  random() < 0.25 ? (BUSY[Math.floor(random() ** 3 * BUSY.length)] as string) : tailSource();
const port = () => 1024 + Math.floor(random() * 64000);

type Session = string[];
const stats = { sessions: new Map<string, number>(), wrongPasswords: 0, sources: new Set<string>() };
const note = (kind: string) => stats.sessions.set(kind, (stats.sessions.get(kind) ?? 0) + 1);

function pamFailure(ip: string, user?: string): string {
  const tail = user ? `  user=${user}` : " ";
  return `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}${tail}`;
}

/** One sshd connection: the messages its pid writes, in order (without stamp/host/program prefix). */
function session(): Session {
  const ip = attacker();
  stats.sources.add(ip);
  const p = port();
  const roll = random();
  if (roll < 0.3) {
    note("invalid-user");
    stats.wrongPasswords++;
    const user = pick(INVALID_USERS);
    return [
      `Invalid user ${user} from ${ip} port ${p}`,
      "pam_unix(sshd:auth): check pass; user unknown",
      pamFailure(ip),
      `Failed password for invalid user ${user} from ${ip} port ${p} ssh2`,
      `Connection closed by invalid user ${user} ${ip} port ${p} [preauth]`,
    ];
  }
  if (roll < 0.45) {
    note("wrong-password");
    stats.wrongPasswords++;
    const user = pick(VALID_USERS);
    if (random() < 0.2) {
      stats.wrongPasswords += 2;
      return [
        pamFailure(ip, user),
        `Failed password for ${user} from ${ip} port ${p} ssh2`,
        `message repeated 2 times: [ Failed password for ${user} from ${ip} port ${p} ssh2]`,
        `Connection closed by authenticating user ${user} ${ip} port ${p} [preauth]`,
      ];
    }
    return [
      pamFailure(ip, user),
      `Failed password for ${user} from ${ip} port ${p} ssh2`,
      `Connection closed by authenticating user ${user} ${ip} port ${p} [preauth]`,
    ];
  }
  if (roll < 0.53) {
    note("max-auth-tries");
    stats.wrongPasswords += 3;
    const user = pick(VALID_USERS);
    const failed = `Failed password for ${user} from ${ip} port ${p} ssh2`;
    return [
      pamFailure(ip, user),
      failed,
      failed,
      failed,
      `error: maximum authentication attempts exceeded for ${user} from ${ip} port ${p} ssh2 [preauth]`,
      `Disconnecting authenticating user ${user} ${ip} port ${p}: Too many authentication failures [preauth]`,
      `PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`,
    ];
  }
  if (roll < 0.78) {
    note("preauth-noise");
    return pick<() => Session>([
      () => [
        'error: kex_exchange_identification: client sent invalid protocol identifier "GET / HTTP/1.1"',
        `banner exchange: Connection from ${ip} port ${p}: invalid format`,
      ],
      () => [
        "error: kex_exchange_identification: Connection closed by remote host",
        `Connection closed by ${ip} port ${p}`,
      ],
      () => [`Connection reset by ${ip} port ${p} [preauth]`],
      () => [`Connection closed by ${ip} port ${p} [preauth]`],
      () => [
        `Unable to negotiate with ${ip} port ${p}: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1,diffie-hellman-group14-sha1 [preauth]`,
      ],
      () => [
        `ssh_dispatch_run_fatal: Connection from ${ip} port ${p}: message authentication code incorrect [preauth]`,
      ],
      () => [
        `Received disconnect from ${ip} port ${p}:11: Bye Bye [preauth]`,
        `Disconnected from authenticating user root ${ip} port ${p} [preauth]`,
      ],
    ])();
  }
  if (roll < 0.85) {
    note("success");
    const user = pick(["alice", "deploy", "ec2-user"]);
    const accepted =
      random() < 0.5
        ? `Accepted password for ${user} from ${ip} port ${p} ssh2`
        : `Accepted publickey for ${user} from ${ip} port ${p} ssh2: ED25519 SHA256:Z97TU4YD4JMtUIhDskJyIValOAI7Hq/L7HCy8gHQFBI`;
    return [
      accepted,
      `pam_unix(sshd:session): session opened for user ${user}(uid=1001) by (uid=0)`,
      `Received disconnect from ${ip} port ${p}:11: disconnected by user`,
      `Disconnected from user ${user} ${ip} port ${p}`,
      `pam_unix(sshd:session): session closed for user ${user}`,
    ];
  }
  if (roll < 0.86) {
    note("injection");
    stats.wrongPasswords++;
    const forged = `x from ${attacker()} port 22`;
    return [
      `Invalid user ${forged} from ${ip} port ${p}`,
      "pam_unix(sshd:auth): check pass; user unknown",
      pamFailure(ip),
      `Failed password for invalid user ${forged} from ${ip} port ${p} ssh2`,
      `Connection closed by invalid user ${forged} ${ip} port ${p} [preauth]`,
    ];
  }
  if (roll < 0.89) {
    // The 9.8+ listener (its own pid) drops a penalised source: written by sshd, not by a session.
    note("penalty-drop");
    return [
      `@listener drop connection #${Math.floor(random() * 10)} from [${ip}]:${p} on [10.0.1.23]:22 penalty: failed authentication`,
    ];
  }
  note("other-program");
  return [];
}

const OTHER_PROGRAMS = [
  "CRON[%p]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
  "CRON[%p]: pam_unix(cron:session): session closed for user root",
  "systemd-logind[412]: New session 17 of user alice.",
  "systemd-logind[412]: Session 17 logged out. Waiting for processes to exit.",
  "sudo[%p]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl status sshd",
  "sudo[%p]: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1001)",
];

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");
function stamp(ms: number): string {
  const d = new Date(ms);
  if (format === "secure") {
    const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
    return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${time}`;
  }
  return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds() * 1000 + Math.floor(random() * 1000)).padStart(6, "0")}+00:00`;
}

mkdirSync(dirname(out), { recursive: true });
const fd = openSync(out, "w");
const active: { pid: number; lines: Session }[] = [];
let nextPid = 20000;
let clock = Date.UTC(2026, 0, 5);
let written = 0;
let bytes = 0;
let chunk = "";
while (written < maxLines && bytes < maxBytes) {
  while (active.length < 8) {
    const lines = session();
    nextPid = nextPid >= 4_194_000 ? 20000 : nextPid + 1 + Math.floor(random() * 7);
    if (lines.length > 0) active.push({ pid: nextPid, lines });
    else active.push({ pid: nextPid, lines: [pick(OTHER_PROGRAMS).replace("%p", String(nextPid))] });
  }
  const at = Math.floor(random() * active.length);
  const current = active[at] as { pid: number; lines: Session };
  const message = current.lines.shift() as string;
  if (current.lines.length === 0) active.splice(at, 1);
  clock += Math.floor(random() * 180);
  const listener = message.startsWith("@listener ");
  const text = listener ? message.slice(10) : message;
  const program = listener
    ? "sshd[900]: "
    : /^[A-Za-z-]+\[\d+\]: /.test(text)
      ? ""
      : `sshd[${current.pid}]: `;
  const line = `${stamp(clock)} ${HOST} ${program}${text}\n`;
  chunk += line;
  bytes += line.length;
  written++;
  if (chunk.length > 1 << 20) {
    writeSync(fd, chunk);
    chunk = "";
  }
}
writeSync(fd, chunk);
closeSync(fd);
console.error(
  `gen-sshd-log: ${written} lines, ${(bytes / 1e6).toFixed(1)} MB, seed ${values.seed}, format ${format}; ` +
    `sessions ${JSON.stringify(Object.fromEntries(stats.sessions))}; wrong passwords offered ${stats.wrongPasswords}; ${stats.sources.size} distinct sources`,
);
console.log(out);
