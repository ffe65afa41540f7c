import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { OverflowReport } from "../aws/overflow-sync";
import { METRIC } from "../core/telemetry";
import type { Runtime } from "./runtime";

/**
 * Puts bans the NACLs could not hold (`pending` for want of room, or evicted by aggregation) into the stack's
 * overflow target at once. A failure is logged, not thrown: the bans are recorded, and the unbanner's next sync
 * adds them.
 */
export async function holdInOverflow(
  runtime: Runtime,
  addresses: readonly string[],
  why: string,
): Promise<void> {
  const overflow = runtime.overflow;
  if (overflow === undefined || addresses.length === 0) return;
  try {
    const result = await overflow.hold(addresses);
    if (result?.status === "full") {
      runtime.metrics.addMetric(METRIC.overflowRefused, MetricUnit.Count, addresses.length);
      runtime.logger.error("the overflow target is full: these bans are blocked nowhere until room frees", {
        addresses,
        limit: result.limit,
      });
      return;
    }
    runtime.logger.info("bans held by the overflow target", { addresses, why, size: result?.size });
  } catch (error) {
    runtime.logger.error("overflow target not updated; the unbanner's sync retries", {
      addresses,
      error: String(error),
    });
  }
}

/**
 * The unbanner's sync: the overflow target holds exactly the active bans the NACLs do not. Adds the OverflowSize
 * and OverflowRefused metrics (the caller publishes). A failure is logged, not thrown.
 */
export async function syncOverflow(runtime: Runtime, now: number): Promise<OverflowReport | undefined> {
  const overflow = runtime.overflow;
  if (overflow === undefined) return undefined;
  try {
    const records = [];
    for await (const record of runtime.store.activeBans()) records.push(record);
    const report = await overflow.sync(records, Math.floor(now / 1000));
    const { result } = report;
    runtime.metrics.addMetric(METRIC.overflowSize, MetricUnit.Count, result.size);
    if (report.refused.length > 0) {
      runtime.metrics.addMetric(METRIC.overflowRefused, MetricUnit.Count, report.refused.length);
      runtime.logger.error("the overflow target is full: these pending bans are blocked nowhere", {
        refused: report.refused,
        limit: result.status === "full" ? result.limit : undefined,
      });
    }
    if (report.added.length + report.removed.length > 0) {
      runtime.logger.info("overflow target synced", { added: report.added, removed: report.removed });
    }
    return report;
  } catch (error) {
    runtime.logger.error("overflow target not synced; the next run retries", { error: String(error) });
    return undefined;
  }
}
