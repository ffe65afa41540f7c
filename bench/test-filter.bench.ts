/**
 * Whole-process throughput of `cloudjail test-filter --out ip` vs sshguard's `sshg-parser` on the same generated
 * 1,000,000-line sshd log, alternating the two (ROUNDS each, default 3), as median lines/s and their ratio: first
 * with both outputs sent to /dev/null (parsing alone: the target's measure, issue 12), then read through a pipe.
 * Issue 2 target: cloudjail >= 4x sshg-parser (product goal 10x). Also peak RSS of test-filter (GNU time), and
 * with BENCH_BIG=1 on a ~1 GB log generated to the temp dir and deleted afterwards (bounded memory).
 *
 * Exits 1 when the ratio parsing alone is below the target, or without numbers when the peers cannot be fetched.
 * CLOUDJAIL_BIN selects the CLI measured (default: the working tree; `CLOUDJAIL_BIN=$(bash bench/peers/snapshot.sh)`
 * measures HEAD).
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { CLOUDJAIL_BIN } from "./peers/ip-counts";
import { loadPeers, type Peers, PeersUnavailableError } from "./peers/peers";

const LINES = 1_000_000;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TARGET_RATIO = 4;
const GNU_TIME = "/usr/bin/time";

interface Run {
  readonly seconds: number;
  /** Peak resident set size in MB, when GNU time is installed. */
  readonly peakRssMb?: number;
  /** User + system CPU seconds of the process (GNU time): less skewed than wall time on a busy shared machine. */
  readonly cpuSeconds?: number;
  readonly outputLines: number;
}

function generate(args: readonly string[]): string {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", join(__dirname, "gen-sshd-log.ts"), ...args],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  if (result.status !== 0) throw new Error("gen-sshd-log.ts failed");
  return result.stdout.trim();
}

/**
 * Runs `command` with the log on stdin or as an argument; wall time of the whole process. Counts the output lines
 * read from a pipe, or with `toDevNull` sends them to /dev/null (outputLines is then -1).
 */
function timeProcess(command: string, args: readonly string[], stdinFile?: string, toDevNull = false): Run {
  const rssFile = join(tmpdir(), `cloudjail-bench-rss-${process.pid}`);
  const useTime = existsSync(GNU_TIME);
  const argv = useTime ? ["-f", "%M %U %S", "-o", rssFile, command, ...args] : [...args];
  const input = stdinFile ? openSync(stdinFile, "r") : "ignore";
  const output = toDevNull ? openSync("/dev/null", "w") : "pipe";
  const started = performance.now();
  const result = spawnSync(useTime ? GNU_TIME : command, argv, {
    stdio: [input, output, "pipe"],
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  const seconds = (performance.now() - started) / 1000;
  if (typeof input === "number") closeSync(input);
  if (typeof output === "number") closeSync(output);
  if (result.status !== 0)
    throw new Error(`${command} exited ${result.status}: ${result.stderr.slice(0, 400)}`);
  const stdout = result.stdout ?? "";
  const outputLines = toDevNull ? -1 : stdout.length === 0 ? 0 : stdout.split("\n").length - 1;
  if (!useTime) return { seconds, outputLines };
  const [rssKb, user, system] = (readFileSync(rssFile, "utf8").trim().split("\n").pop() ?? "").split(" ");
  rmSync(rssFile, { force: true });
  return { seconds, peakRssMb: Number(rssKb) / 1024, cpuSeconds: Number(user) + Number(system), outputLines };
}

const cloudjail = (log: string, toDevNull = false) =>
  timeProcess(process.execPath, [CLOUDJAIL_BIN, "test-filter", log, "--out", "ip"], undefined, toDevNull);
const sshguard = (peers: Peers, log: string, toDevNull = false) =>
  timeProcess(peers.sshgParser, [], log, toDevNull);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

interface Rounds {
  readonly ours: readonly Run[];
  readonly theirs: readonly Run[];
}

/** ROUNDS alternating runs of each tool, the first one swapping every round. */
function alternate(peers: Peers, log: string, toDevNull: boolean): Rounds {
  const ours: Run[] = [];
  const theirs: Run[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? ["cloudjail", "sshguard"] : ["sshguard", "cloudjail"];
    for (const who of order) {
      const run = who === "cloudjail" ? cloudjail(log, toDevNull) : sshguard(peers, log, toDevNull);
      (who === "cloudjail" ? ours : theirs).push(run);
      const rss =
        run.peakRssMb === undefined
          ? ""
          : `, CPU ${run.cpuSeconds?.toFixed(2)} s, peak RSS ${run.peakRssMb.toFixed(0)} MB`;
      const lines = run.outputLines === -1 ? "output to /dev/null" : `${run.outputLines} output lines`;
      console.log(
        `round ${round} ${who.padEnd(9)} ${run.seconds.toFixed(2)} s = ${Math.round(LINES / run.seconds)} lines/s` +
          ` (${lines}${rss})`,
      );
    }
  }
  return { ours, theirs };
}

/** Prints the median rates and ratios of `rounds`; returns the wall-time ratio. */
function report(title: string, { ours, theirs }: Rounds): number {
  const oursRate = LINES / median(ours.map((run) => run.seconds));
  const theirsRate = LINES / median(theirs.map((run) => run.seconds));
  console.log(`${title}:`);
  console.log(
    `  median wall: cloudjail test-filter ${Math.round(oursRate)} lines/s, sshg-parser ${Math.round(theirsRate)} ` +
      `lines/s, ratio ${(oursRate / theirsRate).toFixed(2)}x`,
  );
  if (ours[0]?.cpuSeconds !== undefined) {
    const oursCpu = LINES / median(ours.map((run) => run.cpuSeconds ?? 0));
    const theirsCpu = LINES / median(theirs.map((run) => run.cpuSeconds ?? 0));
    console.log(
      `  median per CPU second: cloudjail ${Math.round(oursCpu)} lines/s, sshg-parser ${Math.round(theirsCpu)} ` +
        `lines/s, ratio ${(oursCpu / theirsCpu).toFixed(2)}x`,
    );
  }
  return oursRate / theirsRate;
}

function main(): number {
  let peers: Peers;
  try {
    peers = loadPeers();
  } catch (error) {
    if (!(error instanceof PeersUnavailableError)) throw error;
    console.error(`test-filter bench: sshg-parser unavailable, NOTHING MEASURED: ${error.message}`);
    return 1;
  }
  const log = generate(["--lines", String(LINES)]);
  const megabytes = statSync(log).size / 1e6;
  console.log(`log: ${log} (${LINES} lines, ${megabytes.toFixed(1)} MB); cloudjail CLI: ${CLOUDJAIL_BIN}`);
  console.log(
    `peer: sshg-parser from sshguard ${peers.sshguardVersion}; node ${process.version}; ${ROUNDS} rounds`,
  );
  const load = () => loadavg()[0]?.toFixed(1);
  console.log(
    `machine: ${cpus().length} cores, load average ${load()} at start (shared: the ratio is fairer than rates)`,
  );

  // The headline: both outputs to /dev/null, so the figure is the parsers alone (issue 12). sshg-parser writes
  // each of its lines separately, which a pipe makes it pay for; that figure follows, labelled.
  const alone = alternate(peers, log, true);
  const ratio = report("PARSING ALONE (both outputs to /dev/null; the target's measure)", alone);
  const piped = alternate(peers, log, false);
  report(
    "through a pipe (outputs read by the harness, as in `test-filter --out ip | sort | uniq -c`)",
    piped,
  );
  console.log(
    `ratio, parsing alone: ${ratio.toFixed(2)}x (target >= ${TARGET_RATIO}x: ${ratio >= TARGET_RATIO ? "MET" : "BELOW TARGET"}; goal 10x)`,
  );
  const peak = Math.max(
    ...alone.ours.map((run) => run.peakRssMb ?? 0),
    ...piped.ours.map((run) => run.peakRssMb ?? 0),
  );
  console.log(`load average at end: ${load()}`);
  if (peak > 0)
    console.log(`test-filter peak RSS on ${LINES} lines: ${peak.toFixed(0)} MB (target <= 100 MB)`);

  if (process.env.BENCH_BIG === "1") {
    const big = generate([
      "--bytes",
      "1000000000",
      "--out",
      join(tmpdir(), "cloudjail-bench", "sshd-1GB.secure.log"),
    ]);
    try {
      const bigMb = statSync(big).size / 1e6;
      const run = cloudjail(big);
      console.log(
        `~1 GB log (${bigMb.toFixed(0)} MB): test-filter ${run.seconds.toFixed(1)} s, ` +
          `${Math.round((bigMb * 1e6) / run.seconds / 1e6)} MB/s, peak RSS ${run.peakRssMb?.toFixed(0) ?? "n/a"} MB`,
      );
    } finally {
      rmSync(big, { force: true });
    }
  }
  // Like the responder bench: a missed target fails the run.
  return ratio >= TARGET_RATIO ? 0 : 1;
}

process.exitCode = main();
