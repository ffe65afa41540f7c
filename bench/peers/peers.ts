/**
 * Where the peers live: runs `bench/peers/fetch.sh` (apt-get download + dpkg -x into a scratch dir, idempotent) and
 * reads the paths it prints. Throws PeersUnavailableError when they cannot be fetched or do not run, so that a
 * benchmark says so and exits non-zero instead of inventing numbers.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export interface Peers {
  readonly fail2banRegex: string;
  readonly fail2banPythonPath: string;
  readonly fail2banConfig: string;
  readonly fail2banVersion: string;
  readonly sshgParser: string;
  readonly sshguardVersion: string;
}

export class PeersUnavailableError extends Error {}

/** Fetches (once) and locates fail2ban-regex and sshg-parser. */
export function loadPeers(): Peers {
  const result = spawnSync("bash", [join(__dirname, "fetch.sh")], { encoding: "utf8", timeout: 300_000 });
  if (result.status !== 0) {
    throw new PeersUnavailableError(
      `bench/peers/fetch.sh failed (exit ${result.status}): ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`,
    );
  }
  const values = new Map<string, string>();
  for (const line of result.stdout.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 1).replace(/^'|'$/g, ""));
  }
  const get = (key: string): string => {
    const value = values.get(key);
    if (!value) throw new PeersUnavailableError(`bench/peers/fetch.sh printed no ${key}`);
    return value;
  };
  return {
    fail2banRegex: get("FAIL2BAN_REGEX"),
    fail2banPythonPath: get("FAIL2BAN_PYTHONPATH"),
    fail2banConfig: get("FAIL2BAN_CONFIG"),
    fail2banVersion: get("FAIL2BAN_VERSION"),
    sshgParser: get("SSHG_PARSER"),
    sshguardVersion: get("SSHGUARD_VERSION"),
  };
}
