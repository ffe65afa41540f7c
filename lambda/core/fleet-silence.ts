/**
 * Whether a protected instance ships its auth log: the one definition of "silent" that the fleet watcher's metric
 * (lambda/handlers/watch-fleet.ts) and `cloudjail fleet` share. Pure: the facts and the time come in.
 *
 * An instance is silent when it runs and CloudWatch Logs holds no auth-log event of it newer than the threshold,
 * counted from its last event, or from its (re)start when it has none since: a stopped instance or one that has just
 * started is never silent. CloudWatch Logs updates a stream's last-event time "typically in less than an hour", so
 * thresholds below a few hours would flag instances that do ship.
 */

/** The default threshold: a day, long enough for a quiet host behind a bastion to log something (cron, a login). */
export const DEFAULT_SILENT_AFTER_SECONDS = 86_400;

/** Below this, the up-to-an-hour lag of CloudWatch Logs' stream times would flag instances that ship. */
export const MIN_SILENT_AFTER_SECONDS = 7_200;

/** What the watcher knows of one protected instance. Times in epoch ms. */
export interface InstanceActivity {
  readonly instanceId: string;
  /** EC2's state name: pending, running, stopping, stopped, shutting-down, terminated. */
  readonly state: string;
  /** EC2's LaunchTime: when the instance last started. */
  readonly launchedAt?: number;
  /** The newest auth-log event CloudWatch Logs holds of the instance, over every stream named for it. */
  readonly lastEventAt?: number;
}

/**
 * `shipping`: an event within the threshold. `silent`: events, but none within it. `never-shipped`: running past the
 * threshold with no event at all. `starting`: (re)started within the threshold, no event since. `not-running`.
 */
export type ShippingState = "shipping" | "silent" | "never-shipped" | "starting" | "not-running";

/** The shipping state of one instance at `now`. */
export function shippingState(
  instance: InstanceActivity,
  now: number,
  silentAfterSeconds: number,
): ShippingState {
  if (instance.state !== "running") return "not-running";
  const since = now - silentAfterSeconds * 1000;
  if (instance.lastEventAt !== undefined && instance.lastEventAt >= since) return "shipping";
  if (instance.launchedAt !== undefined && instance.launchedAt >= since) return "starting";
  return instance.lastEventAt === undefined ? "never-shipped" : "silent";
}

/** True for the states the alarm counts: running instances whose auth log does not arrive. */
export function isSilent(state: ShippingState): boolean {
  return state === "silent" || state === "never-shipped";
}

/** The running protected instances that are silent at `now`, by id, sorted. */
export function silentInstances(
  instances: readonly InstanceActivity[],
  now: number,
  silentAfterSeconds: number,
): string[] {
  return instances
    .filter((instance) => isSilent(shippingState(instance, now, silentAfterSeconds)))
    .map((instance) => instance.instanceId)
    .sort();
}

/** One log stream as CloudWatch Logs describes it. */
export interface StreamActivity {
  readonly logStreamName?: string;
  readonly lastEventTimestamp?: number;
  readonly lastIngestionTime?: number;
}

/**
 * The instance a stream belongs to: the agent names streams by instance id (`{instance_id}`), possibly followed by
 * a per-source suffix (`i-0abc.../journal`); undefined for a stream of no instance.
 */
export function instanceIdOfStream(streamName: string): string | undefined {
  return /^(i-(?:[0-9a-f]{17}|[0-9a-f]{8}))(?![0-9a-z])/.exec(streamName)?.[1];
}

/**
 * Instance id -> newest event time over its streams (all sources, all log groups). A stream without a last-event
 * time yet counts by its last ingestion.
 */
export function lastEventByInstance(streams: Iterable<StreamActivity>): Map<string, number> {
  const latest = new Map<string, number>();
  for (const stream of streams) {
    const instanceId = instanceIdOfStream(stream.logStreamName ?? "");
    const at = stream.lastEventTimestamp ?? stream.lastIngestionTime;
    if (instanceId === undefined || at === undefined) continue;
    latest.set(instanceId, Math.max(at, latest.get(instanceId) ?? Number.NEGATIVE_INFINITY));
  }
  return latest;
}
