/**
 * The attack the simulator replays: N source addresses spread round-robin over M /24 prefixes (outside 10.0.0.0/8,
 * where the protected VPC lives), emitting R failed logins per second for D seconds, each line from a source picked
 * by a seeded generator, so that every run with the same parameters sees the same attack.
 */
export interface AttackShape {
  readonly addresses: number;
  readonly prefixes: number;
  readonly linesPerSecond: number;
  readonly seconds: number;
  readonly seed: number;
}

/** Source address `index` of the attack: prefix index % M, host 1 + index / M. */
export function sourceAddress(shape: AttackShape, index: number): string {
  const prefix = index % shape.prefixes;
  const host = 1 + Math.floor(index / shape.prefixes);
  return `${20 + Math.floor(prefix / 256)}.${prefix % 256}.${(prefix * 37) % 256}.${host}`;
}

/** Throws when the shape cannot be built (more than 254 hosts per /24, or more than 200 * 256 prefixes). */
export function checkShape(shape: AttackShape): void {
  if (shape.addresses > shape.prefixes * 254) {
    throw new Error(`${shape.addresses} addresses do not fit in ${shape.prefixes} /24s (254 hosts each)`);
  }
  if (shape.prefixes > 200 * 256) throw new Error("at most 51,200 prefixes");
}

/** A deterministic generator of source indices (xorshift32). */
export function sourcePicker(shape: AttackShape): () => number {
  let state = shape.seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % shape.addresses;
  };
}

/** A traditional-syslog sshd failed-password line from `ip` at `at` (epoch ms). */
export function failedLoginLine(ip: string, at: number, pid: number): string {
  const date = new Date(at);
  const stamp = `Nov ${String(date.getUTCDate()).padStart(2, " ")} ${date.toISOString().slice(11, 19)}`;
  return `${stamp} web-1 sshd[${pid}]: Failed password for root from ${ip} port ${30000 + (pid % 30000)} ssh2`;
}
