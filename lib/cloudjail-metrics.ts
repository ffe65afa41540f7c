import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { type METRIC, METRICS_NAMESPACE } from "../lambda/core/telemetry";

/**
 * The Powertools service name both Lambdas run with (`POWERTOOLS_SERVICE_NAME`). Powertools Metrics adds it as
 * the `service` dimension of every metric, so dashboards and alarms must name it to find the series.
 */
export const SERVICE_NAME = "cloudjail";

/** One of the runtime's EMF metrics (names from `lambda/core/telemetry.ts`). */
export function cloudjailMetric(
  name: (typeof METRIC)[keyof typeof METRIC],
  statistic: string,
  label?: string,
  period: Duration = Duration.minutes(1),
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME },
    statistic,
    period,
    label,
  });
}
