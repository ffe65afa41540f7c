import type { Readable } from "node:stream";
import { formatDuration } from "../../lambda/core/duration";
import { parseLogLine } from "../../lambda/core/log-line-parser";
import { StampClock } from "../../lambda/core/stamp-clock";
import type { CloudjailConfig } from "../../lambda/core/types";
import { aggregate, respondAndAggregate } from "../../lambda/handlers/aggregate";
import { unban } from "../../lambda/handlers/unban";
import { type BanView, banView, scanState, summarizeJails } from "../cli/jail-status";
import { forEachLine } from "../cli/line-reader";
import { formatBanTable, formatJailStatus, formatOverview } from "../cli/status-view";
import { DemoClock } from "./demo-clock";
import { BATCH_LIMITS, LogEventBatcher, type LogsBatch } from "./demo-events";
import type { ProgressBar } from "./demo-progress";
import {
  banLine,
  clockText,
  type EntryView,
  entryChanges,
  formatNaclTables,
  pendingLines,
  snapshotEntries,
  unbanLine,
} from "./demo-timeline";
import { type DemoWorld, startDemoWorld } from "./demo-world";

export interface DemoRunOptions {
  /** The log, as bytes (a file stream or standard input). */
  readonly input: Readable;
  /** Standard input fed live (`tail -f | ...`): batches are also sent when the agent's flush interval passes. */
  readonly live: boolean;
  readonly config: CloudjailConfig;
  /** Keep dynalite's data and the NACL entries here between runs. */
  readonly dataDir?: string;
  /** Seconds of log time replayed per second, or as fast as possible. */
  readonly speed: number | "max";
  /** Where the timeline and the final tables go. */
  readonly write: (text: string) => void;
  readonly progress: ProgressBar;
  /** Bytes of input read so far (for the progress bar). */
  readonly bytesRead: () => number;
  /** Wall-clock epoch ms: the year of year-less syslog stamps, pacing and live flushes. */
  readonly wallClock?: () => number;
  /** Resolves when the run should stop early (Ctrl-C on a live feed). */
  readonly stop?: Promise<void>;
}

/** What a run did, for the closing line and tests. */
export interface DemoSummary {
  lines: number;
  batches: number;
  failures: number;
  ignored: number;
  bans: number;
  unbans: number;
  unbannerRuns: number;
  firstTime: number | undefined;
  lastTime: number | undefined;
  /** Wall-clock milliseconds spent in the responder and in the unbanner. */
  responderMs: number;
  unbannerMs: number;
}

/** CloudWatch Logs keeps an event of at most 256 KiB including its 26 bytes of overhead. */
const MAX_LINE_BYTES = 262_144 - BATCH_LIMITS.eventOverheadBytes;

/**
 * Replays a log through the real responder and unbanner on the demo world: lines become subscription events,
 * batched as the CloudWatch agent sends them, delivered at the simulated time their batch is flushed; the
 * unbanner runs at every simulated minute. Prints the timeline as it goes and, at the end, the NACL table and
 * the status view.
 */
export async function runDemo(options: DemoRunOptions): Promise<DemoSummary> {
  const wall = options.wallClock ?? Date.now;
  const summary: DemoSummary = {
    lines: 0,
    batches: 0,
    failures: 0,
    ignored: 0,
    bans: 0,
    unbans: 0,
    unbannerRuns: 0,
    firstTime: undefined,
    lastTime: undefined,
    responderMs: 0,
    unbannerMs: 0,
  };
  let clock: DemoClock | undefined;
  const world = await startDemoWorld(options.config, () => clock?.now() ?? wall(), options.dataDir);
  const say = (text: string) => options.progress.print(options.write, text);
  const tracked = new Map<string, BanView>();
  const stamps = new StampClock(wall());
  const batcher = new LogEventBatcher({ logGroup: "/cloudjail/demo/auth", logStream: world.instanceId });
  let lastLine: { time: number; wall: number } | undefined;
  let paced: number | undefined;
  let queue: Promise<void> = Promise.resolve();
  const serial = (task: () => Promise<void>) => {
    queue = queue.then(task);
    return queue;
  };

  const runUnbanner = async (at: number) => {
    const before = await entries(world);
    const started = performance.now();
    const result = await unban(world.runtime, at);
    // As the unbanner Lambda does (unbanAndAggregate), but keeping the covered bans it lifts for the timeline.
    const lifted = (await aggregate(world.runtime, at, true))?.lifted ?? [];
    summary.unbannerMs += performance.now() - started;
    summary.unbannerRuns += 1;
    const after = await entries(world);
    let text = "";
    for (const ip of [...result.unbanned, ...lifted.map((record) => record.ip)]) {
      const ban = tracked.get(ip);
      tracked.delete(ip);
      summary.unbans += 1;
      text += ban === undefined ? `${clockText(at)}  UNBAN  ${ip}\n` : unbanLine(at, ban);
    }
    const changes = entryChanges(before, after);
    if (text === "" && changes !== "")
      text = `${clockText(at)}  RECONCILE (the unbanner repaired the NACLs)\n`;
    say(text + changes);
  };

  const deliver = async (batch: LogsBatch, at: number) => {
    if (clock === undefined) return;
    await clock.advanceTo(at, runUnbanner);
    const before = await entries(world);
    const started = performance.now();
    const result = await respondAndAggregate(world.runtime, batch.event, clock.now());
    summary.responderMs += performance.now() - started;
    summary.batches += 1;
    summary.failures += result.failures;
    summary.ignored += result.ignored;
    const after = await entries(world);
    let text = "";
    for (const ip of result.bans) {
      const record = await world.runtime.store.getRecord(ip);
      const ban = record === undefined ? undefined : banView(record);
      if (ban === undefined) continue;
      tracked.set(ip, ban);
      summary.bans += 1;
      text += banLine(clock.now(), ban) + pendingLines(ban);
    }
    say(text + entryChanges(before, after));
  };

  const feed = async (text: string) => {
    summary.lines += 1;
    const parsed = parseLogLine(text);
    const stamped = parsed === undefined ? undefined : stamps.timeOf(parsed);
    const time =
      stamped ??
      (options.live && lastLine ? lastLine.time + (wall() - lastLine.wall) : (clock?.now() ?? wall()));
    clock ??= new DemoClock(time);
    summary.firstTime ??= time;
    summary.lastTime = Math.max(summary.lastTime ?? time, time);
    lastLine = { time, wall: wall() };
    if (typeof options.speed === "number" && paced !== undefined && time > paced) {
      await sleep((time - paced) / options.speed);
    }
    paced = Math.max(paced ?? time, time);
    const openSince = batcher.openSince;
    const closed = batcher.add(text, time);
    if (closed !== undefined && openSince !== undefined) {
      await deliver(closed, Math.max(closed.lastTimestamp, Math.min(time, openSince + BATCH_LIMITS.flushMs)));
    }
  };

  // A live feed: the agent flushes every 5 s even when no new line comes, and the unbanner's schedule keeps
  // running while the log is quiet (log time moves on with the wall clock since the last line).
  const ticker = options.live
    ? setInterval(() => {
        void serial(async () => {
          if (clock === undefined || lastLine === undefined) return;
          const logNow = lastLine.time + (wall() - lastLine.wall);
          const openSince = batcher.openSince;
          if (openSince !== undefined && logNow - openSince >= BATCH_LIMITS.flushMs) {
            const batch = batcher.flush();
            if (batch !== undefined) await deliver(batch, logNow);
          }
          await clock.advanceTo(logNow, runUnbanner);
        });
      }, 1_000)
    : undefined;

  try {
    let pending: string[] = [];
    let stopped = false;
    void options.stop?.then(() => {
      stopped = true;
      options.input.destroy();
    });
    const reading = forEachLine(
      options.input,
      MAX_LINE_BYTES,
      (text) => {
        pending.push(text);
      },
      () => {
        const lines = pending;
        pending = [];
        if (stopped) return Promise.resolve();
        return serial(async () => {
          for (const line of lines) if (line !== "") await feed(line);
          options.progress.update(options.bytesRead(), summary.lines, summary.bans);
        });
      },
    );
    try {
      await reading;
    } catch (error) {
      // Ctrl-C on a live feed destroys standard input mid-read: that is how a live demo ends.
      if (!stopped) throw error;
    }
    const rest = pending;
    pending = [];
    await serial(async () => {
      for (const line of rest) if (line !== "") await feed(line);
      const batch = batcher.flush();
      if (batch !== undefined) await deliver(batch, batch.lastTimestamp);
    });
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    options.progress.clear();
  }
  try {
    await printEnd(world, options, summary, clock?.now() ?? wall());
  } finally {
    await world.close();
  }
  return summary;
}

async function entries(world: DemoWorld): Promise<Map<string, EntryView>> {
  return snapshotEntries(new Map(world.naclIds.map((naclId) => [naclId, world.model.entriesOf(naclId)])));
}

/** The closing line, the NACL table and the status view. */
async function printEnd(
  world: DemoWorld,
  options: DemoRunOptions,
  summary: DemoSummary,
  now: number,
): Promise<void> {
  const span =
    summary.firstTime !== undefined && summary.lastTime !== undefined
      ? `, log time ${clockText(summary.firstTime)} -> ${clockText(summary.lastTime)} (${formatDuration(Math.round((summary.lastTime - summary.firstTime) / 1000))})`
      : "";
  options.write(
    `\n${summary.lines} lines in ${summary.batches} batches${span}: ${summary.failures} failures counted, ` +
      `${summary.ignored} from ignoreip addresses not counted, ${summary.bans} bans, ${summary.unbans} unbans, ` +
      `unbanner ran ${summary.unbannerRuns} times (${seconds(summary.responderMs)} s in the responder, ` +
      `${seconds(summary.unbannerMs)} s in the unbanner)\n\n`,
  );
  const nacls = new Map(world.naclIds.map((naclId) => [naclId, world.model.entriesOf(naclId)]));
  options.write(`${formatNaclTables(nacls, world.vpcId)}\n`);
  const { runtime } = world;
  const state = await scanState(world.documents, runtime.tableName);
  const jails = runtime.config.jails.filter((jail) => jail.enabled);
  const statuses = summarizeJails(jails, state, now);
  options.write(formatOverview(statuses));
  for (const status of statuses) {
    options.write(`\n${formatJailStatus(status, "/cloudjail/demo/auth (simulated)")}\n`);
    options.write(formatBanTable(status.bans, "no address is banned in this jail"));
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(ms, 60_000))));
}
