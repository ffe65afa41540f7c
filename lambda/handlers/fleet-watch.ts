import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EC2Client } from "@aws-sdk/client-ec2";
import { FleetInstances } from "../aws/fleet-instances";
import { LogStreamActivity } from "../aws/log-stream-activity";
import { SDK_RETRY } from "../aws/sdk-retry";
import { METRICS_NAMESPACE } from "../core/telemetry";
import { readFleetWatchEnvironment } from "./fleet-watch-environment";
import { watchFleet } from "./watch-fleet";

/**
 * Lambda entry of the fleet watcher (EventBridge schedule): counts the protected instances whose auth log has gone
 * silent. The environment is read once at cold start (a missing or bad variable fails the start); the clock once
 * per invocation. EC2 calls are retried by the SDK in adaptive mode (SDK_RETRY).
 */
const environment = readFleetWatchEnvironment(process.env);
const watch = {
  instances: new FleetInstances(new EC2Client(SDK_RETRY), environment.network),
  activity: new LogStreamActivity(new CloudWatchLogsClient({})),
  logGroupNames: environment.logGroupNames,
  silentAfterSeconds: environment.silentAfterSeconds,
  metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "cloudjail" }),
  logger: new Logger({ serviceName: "cloudjail" }),
};

export const handler = async (_event: unknown) => watchFleet(watch, Date.now());
