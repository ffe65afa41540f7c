import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { ENFORCEMENTS, type Enforcement } from "../core/enforcement";

/** The dimension that says whether a count is of enforced or of observed (detect-only) bans (issue 15 §1). */
export const ENFORCEMENT_DIMENSION = "Enforcement";

/**
 * Emits `name` once per enforcement with the {@link ENFORCEMENT_DIMENSION} dimension, beside the metric without it
 * that the caller adds (the alarms and older dashboards read that one): one EMF line each, published at once.
 */
export function addCountsByEnforcement(
  metrics: Metrics,
  name: string,
  counts: Readonly<Record<Enforcement, number>>,
): void {
  for (const enforcement of ENFORCEMENTS) {
    const metric = metrics.singleMetric();
    metric.addDimension(ENFORCEMENT_DIMENSION, enforcement);
    metric.addMetric(name, MetricUnit.Count, counts[enforcement]);
  }
}
