/**
 * `npx tsx bench/agreement.ts [name-filter...]`: for every fixture in test/fixtures/sshd and each sshd mode, counts
 * failures per source address three ways and prints a Markdown table of where they differ:
 *   expected  — from the capture manifests (what the clients did; never from a parser),
 *   fail2ban  — `fail2ban-regex -o ip <log> 'sshd[mode=M]'` with Debian's fail2ban filter.d,
 *   cloudjail — `cloudjail test-filter <log> --mode M --out ip`.
 * Exits 1 if the peers cannot be fetched or cloudjail counts an address that only appears in attacker-controlled
 * text (a manifest's `never` list, or any non-loopback address in the captured fixtures).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalIp } from "../lambda/core/ip";
import { SSHD_MODES, type SshdMode } from "../lambda/core/types";
import { cloudjailCounts, fail2banCounts, type IpCounts, total } from "./peers/ip-counts";
import { loadPeers, PeersUnavailableError } from "./peers/peers";

const FIXTURES = join(__dirname, "..", "test", "fixtures", "sshd");

interface Expectation {
  readonly expected: Record<SshdMode, IpCounts>;
  /** Addresses that appear only in text the attacker (or the log sender) controls. */
  readonly never: ReadonlySet<string>;
  /** Captured on loopback: every counted address must be loopback. */
  readonly loopbackOnly: boolean;
}

interface ManifestFamily {
  files: string[];
  expected: Record<SshdMode, Record<string, number>>;
  never?: string[];
}

function loadExpectations(): Map<string, Expectation> {
  const byFile = new Map<string, Expectation>();
  for (const [manifest, loopbackOnly] of [
    ["manifest.json", true],
    ["handwritten.manifest.json", false],
  ] as const) {
    const families = JSON.parse(readFileSync(join(FIXTURES, manifest), "utf8")).families as Record<
      string,
      ManifestFamily
    >;
    for (const family of Object.values(families)) {
      const expected = Object.fromEntries(
        SSHD_MODES.map((mode) => [
          mode,
          new Map(Object.entries(family.expected[mode]).map(([ip, n]) => [canonicalIp(ip) ?? ip, n])),
        ]),
      ) as Record<SshdMode, IpCounts>;
      const never = new Set((family.never ?? []).map((ip) => canonicalIp(ip) ?? ip));
      for (const file of family.files) byFile.set(file, { expected, never, loopbackOnly });
    }
  }
  return byFile;
}

function isLoopback(ip: string): boolean {
  return ip === "::1" || ip.startsWith("127.");
}

/** `ip expected/fail2ban/cloudjail` for every address on which the three do not all agree. */
function differences(expected: IpCounts, fail2ban: IpCounts, cloudjail: IpCounts): string[] {
  const ips = [...new Set([...expected.keys(), ...fail2ban.keys(), ...cloudjail.keys()])].sort();
  return ips
    .map((ip) => [ip, expected.get(ip) ?? 0, fail2ban.get(ip) ?? 0, cloudjail.get(ip) ?? 0] as const)
    .filter(([, e, f, c]) => !(e === f && f === c))
    .map(([ip, e, f, c]) => `${ip} ${e}/${f}/${c}`);
}

function sameCounts(a: IpCounts, b: IpCounts): boolean {
  return differences(a, b, b).length === 0;
}

function main(): number {
  const filters = process.argv.slice(2);
  let peers: ReturnType<typeof loadPeers>;
  try {
    peers = loadPeers();
  } catch (error) {
    if (error instanceof PeersUnavailableError) {
      console.error(`agreement: peers unavailable, nothing measured: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const expectations = loadExpectations();
  const files = readdirSync(FIXTURES)
    .filter((name) => name.endsWith(".log"))
    .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
    .sort();

  console.log(
    `Peers: ${peers.fail2banVersion} (Debian filter.d/sshd.conf), sshguard ${peers.sshguardVersion}.`,
  );
  console.log(
    "Cells: failures counted (sum over addresses). Differences: `address expected/fail2ban/cloudjail`.\n",
  );
  console.log("| fixture | mode | expected | fail2ban | cloudjail | differences |");
  console.log("| --- | --- | ---: | ---: | ---: | --- |");
  const score = { rows: 0, cloudjailExact: 0, fail2banExact: 0, forged: [] as string[] };
  for (const file of files) {
    const expectation = expectations.get(file);
    if (!expectation) {
      console.error(`agreement: ${file} is in no manifest; skipped`);
      continue;
    }
    for (const mode of SSHD_MODES) {
      const path = join(FIXTURES, file);
      const expected = expectation.expected[mode];
      const fail2ban = fail2banCounts(peers, path, mode);
      const cloudjail = cloudjailCounts(path, mode);
      const forgedBy = (counts: IpCounts) =>
        [...counts.keys()].filter(
          (ip) => expectation.never.has(ip) || (expectation.loopbackOnly && !isLoopback(ip)),
        );
      const forged = [
        ...forgedBy(fail2ban).map((ip) => `fail2ban counted forged ${ip}`),
        ...forgedBy(cloudjail).map((ip) => `**cloudjail counted forged ${ip}**`),
      ];
      score.forged.push(...forgedBy(cloudjail).map((ip) => `${file} ${mode} ${ip}`));
      score.rows++;
      if (sameCounts(expected, cloudjail)) score.cloudjailExact++;
      if (sameCounts(expected, fail2ban)) score.fail2banExact++;
      const diff = [...differences(expected, fail2ban, cloudjail), ...forged].join(", ") || "all agree";
      console.log(
        `| ${file} | ${mode} | ${total(expected)} | ${total(fail2ban)} | ${total(cloudjail)} | ${diff} |`,
      );
    }
  }
  console.log(
    `\n${score.rows} fixture x mode rows: cloudjail matches the expected counts exactly in ${score.cloudjailExact}, ` +
      `fail2ban in ${score.fail2banExact}. Addresses forged in attacker text counted by cloudjail: ` +
      `${score.forged.length === 0 ? "none" : score.forged.join("; ")}.`,
  );
  return score.forged.length === 0 ? 0 : 1;
}

process.exitCode = main();
