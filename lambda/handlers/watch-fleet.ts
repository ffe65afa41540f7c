import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { FleetInstances } from "../aws/fleet-instances";
import type { LogStreamActivity } from "../aws/log-stream-activity";
import { silentInstances } from "../core/fleet-silence";
import { METRIC } from "../core/telemetry";

/** What one run of the fleet watcher needs: its adapters, the log groups, the threshold and its telemetry. */
export interface FleetWatch {
  readonly instances: FleetInstances;
  readonly activity: LogStreamActivity;
  readonly logGroupNames: readonly string[];
  readonly silentAfterSeconds: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/** What a run found: the running protected instances and the silent ones among them. */
export interface FleetWatchSummary {
  readonly running: number;
  readonly silent: readonly string[];
}

/**
 * One run: the protected instances (EC2), when each last shipped an auth-log line (CloudWatch Logs), which are
 * silent (lambda/core/fleet-silence.ts), then the `SilentInstances` and `ProtectedInstances` metrics and, when some
 * are silent, one log line naming them.
 */
export async function watchFleet(watch: FleetWatch, now: number): Promise<FleetWatchSummary> {
  const [instances, lastEvents] = await Promise.all([
    watch.instances.list(),
    watch.activity.lastEvents(watch.logGroupNames),
  ]);
  const activity = instances.map((instance) => ({
    ...instance,
    ...(lastEvents.has(instance.instanceId) ? { lastEventAt: lastEvents.get(instance.instanceId) } : {}),
  }));
  const running = activity.filter((instance) => instance.state === "running").length;
  const silent = silentInstances(activity, now, watch.silentAfterSeconds);
  watch.metrics.addMetric(METRIC.silentInstances, MetricUnit.Count, silent.length);
  watch.metrics.addMetric(METRIC.protectedInstances, MetricUnit.Count, running);
  watch.metrics.publishStoredMetrics();
  if (silent.length > 0) {
    watch.logger.warn("protected instances silent", {
      silentAfterSeconds: watch.silentAfterSeconds,
      instances: silent,
    });
  }
  return { running, silent };
}
