import type { Command } from "commander";
import { createDetector } from "../../lambda/core/create-detector";
import type { Detector } from "../../lambda/core/detector-api";
import { FilterConfigError } from "../../lambda/core/filter-config-error";
import { type BanEvent, JailEngine } from "../../lambda/core/jail-engine";
import { MAX_LINE_LENGTH } from "../../lambda/core/line-limits";
import { isIgnored } from "../../lambda/core/policy";
import { seededRandom } from "../../lambda/core/seeded-random";
import type { Failure, JailConfig } from "../../lambda/core/types";
import { UsageError } from "./errors";
import { FailureTimeline } from "./failure-timeline";
import { forEachLine } from "./line-reader";
import { configPath, loadConfig } from "./load-config";
import { openLog } from "./log-input";
import { eventJson, eventLine, ReplayTally } from "./replay-report";
import { logZone, ZONE_OPTION_HELP, zoneNote } from "./zone-option";

export interface ReplayOptions {
  readonly config?: string;
  readonly jail?: string;
  readonly year?: string;
  readonly zone?: string;
  readonly json?: boolean;
}

/** `cloudjail replay <log> --config <jail.local|config.json> [--jail NAME] [--year YYYY] [--zone Z] [--json]` */
export function registerReplay(program: Command): void {
  program
    .command("replay")
    .description(
      "run a whole log through detection and the jails: what would cloudjail have banned, when, for how long",
    )
    .argument(
      "<log>",
      "sshd log file (auth.log, secure, journalctl output; .gz read as is), or - for standard input",
    )
    .option("--config <file>", "jail.local or config.json (default: config/jail.local)")
    .option("--jail <name>", "replay only this jail")
    .option(
      "--year <year>",
      "year of syslog time stamps that have none (default: this year, or last if in the future)",
    )
    .option("--zone <zone>", ZONE_OPTION_HELP)
    .option("--json", "one JSON object per event on stdout; the summary on stderr")
    .action(async (log: string, options: ReplayOptions) => {
      await runReplay(log, options, process.stdout, process.stderr, Date.now());
    });
}

/**
 * Replays `log`: every enabled log jail gets its own detector, all failures go through the jail engine in time
 * order (a stable sort, so a log merged from several hosts works), and each ban/unban is written as it is decided.
 * `now` places year-less syslog stamps (as in a live run). rndtime jitter comes from a fixed seed, so a replay
 * is reproducible.
 */
export async function runReplay(
  log: string,
  options: ReplayOptions,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  now: number,
  /** What `-` reads. */
  stdin: AsyncIterable<Buffer | string> = process.stdin,
): Promise<void> {
  const year = options.year === undefined ? undefined : parseYear(options.year);
  const zone = logZone(options.zone);
  const loaded = loadConfig(configPath(options.config));
  for (const warning of loaded.warnings) err.write(`warning: ${warning}\n`);
  const { shown, logJails } = selectJails(loaded.config.jails, options.jail);
  const detectors = logJails.map((jail) => detectorFor(jail, now, year, zone));
  const input = openLog(log, stdin);

  const failures = new FailureTimeline();
  let undated = 0;
  const collect = (jail: number, found: readonly Failure[]) => {
    for (const failure of found) {
      if (failure.at === undefined) undated++;
      else failures.add(jail, failure.ip, failure.at);
    }
  };
  const lines = await forEachLine(input, MAX_LINE_LENGTH, (text, line) => {
    for (let index = 0; index < detectors.length; index++) {
      const found = detectors[index].push(text, { line });
      if (found.length > 0) collect(index, found);
    }
  });
  detectors.forEach((detector, index) => {
    collect(index, detector.end());
  });

  const engine = new JailEngine(
    {
      ...loaded.config,
      jails: loaded.config.jails.filter((jail) => shown.has(jail.name) || logJails.includes(jail)),
    },
    { random: seededRandom(0x5eed) },
  );
  const tally = new ReplayTally();
  const write = (events: readonly BanEvent[]) => {
    for (const event of events) {
      if (!shown.has(event.jail)) continue;
      tally.countEvent(event);
      out.write(`${options.json ? eventJson(event) : eventLine(event)}\n`);
    }
  };
  for (const failure of failures.inOrder()) {
    const jail = logJails[failure.jail].name;
    if (shown.has(jail) && !isIgnored(logJails[failure.jail], failure.ip)) tally.countFailure(failure.ip);
    write(engine.pushFailure(jail, failure.ip, failure.at));
  }
  const endedAt = failures.lastTime;
  if (endedAt !== undefined) write(engine.advance(endedAt));

  const summary = tally.summary(
    engine,
    {
      log: log === "-" ? "standard input" : log,
      config: loaded.path,
      lines,
      failures: failures.size,
      undated,
      startedAt: failures.firstTime,
      endedAt,
    },
    [...shown],
  );
  (options.json ? err : out).write(options.json ? summary : `\n${summary}`);
  (options.json ? err : out).write(`${zoneNote(zone)}\n`);
}

/** The jails whose events are shown, and the log jails that must run (a recidive jail needs all of them). */
function selectJails(
  jails: readonly JailConfig[],
  only: string | undefined,
): { shown: Set<string>; logJails: JailConfig[] } {
  const enabled = jails.filter((jail) => jail.enabled);
  if (enabled.length === 0)
    throw new UsageError(`no jail is enabled in the configuration: add "enabled = true" under [sshd]`);
  let shown = enabled;
  if (only !== undefined) {
    const chosen = enabled.find((jail) => jail.name === only);
    if (!chosen)
      throw new UsageError(
        `unknown or disabled jail "${only}" (enabled jails: ${enabled.map((jail) => jail.name).join(", ")})`,
      );
    shown = [chosen];
  }
  const logJails = enabled.filter(
    (jail) =>
      jail.filter !== "recidive" && (shown.includes(jail) || shown.some((s) => s.filter === "recidive")),
  );
  if (logJails.length === 0)
    throw new UsageError("no enabled jail reads log lines: enable [sshd] or a jail with a failregex");
  return { shown: new Set(shown.map((jail) => jail.name)), logJails };
}

function detectorFor(jail: JailConfig, now: number, year: number | undefined, zone: string): Detector {
  try {
    return createDetector({ filter: jail, now, zone, ...(year !== undefined ? { year } : {}) });
  } catch (error) {
    if (error instanceof FilterConfigError) throw new UsageError(`jail [${jail.name}]: ${error.message}`);
    throw error;
  }
}

function parseYear(text: string): number {
  if (!/^\d{4}$/.test(text) || Number(text) < 1970)
    throw new UsageError(`invalid --year "${text}" (a four-digit year from 1970)`);
  return Number(text);
}
