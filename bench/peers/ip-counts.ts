/**
 * Runs a tool that prints one source address per counted failure (`fail2ban-regex -o ip`,
 * `cloudjail test-filter --out ip`) and returns failures per canonical address.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { canonicalIp } from "../../lambda/core/ip";
import type { SshdMode } from "../../lambda/core/types";
import type { Peers } from "./peers";

/** Failures per canonical source address. */
export type IpCounts = Map<string, number>;

const REPO = join(__dirname, "..", "..");
/** The CLI measured: the working tree's, or a snapshot's (`CLOUDJAIL_BIN=$(bash bench/peers/snapshot.sh)`). */
export const CLOUDJAIL_BIN = process.env.CLOUDJAIL_BIN ?? join(REPO, "bin", "cloudjail.js");

/** Counts one address per non-empty output line; a line that is not an address is kept verbatim (and shows up). */
export function countLines(output: string): IpCounts {
  const counts: IpCounts = new Map();
  for (const raw of output.split("\n")) {
    const text = raw.trim();
    if (text === "") continue;
    const ip = canonicalIp(text) ?? text;
    counts.set(ip, (counts.get(ip) ?? 0) + 1);
  }
  return counts;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): string {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    env,
    cwd: REPO,
    maxBuffer: 256 * 1024 * 1024,
    timeout: 600_000,
  });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr.slice(0, 500)}`);
  }
  return result.stdout;
}

/** fail2ban-regex with the Debian package's own filter.d, e.g. `sshd[mode=aggressive]`. */
export function fail2banCounts(peers: Peers, file: string, mode: SshdMode): IpCounts {
  const env = { ...process.env, PYTHONPATH: peers.fail2banPythonPath };
  return countLines(
    run(
      "python3",
      [peers.fail2banRegex, "-c", peers.fail2banConfig, "-o", "ip", file, `sshd[mode=${mode}]`],
      env,
    ),
  );
}

/** cloudjail's own `test-filter`, as a user would run it. */
export function cloudjailCounts(file: string, mode: SshdMode): IpCounts {
  return countLines(
    run(
      process.execPath,
      [join(REPO, "bin", "cloudjail.js"), "test-filter", file, "--mode", mode, "--out", "ip"],
      {
        ...process.env,
      },
    ),
  );
}

/** Sum of all counts. */
export function total(counts: IpCounts): number {
  let sum = 0;
  for (const count of counts.values()) sum += count;
  return sum;
}
